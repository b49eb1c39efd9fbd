"""Dates as people type them after 'on': the ones Tally reads, and the attempts it must not store as text."""

from __future__ import annotations

import re
from datetime import date

from bot import commands as c
from bot import help as usage
from bot.errors import BadInput

DATE_LIKE = re.compile(r"\d{2,4}-\d{1,2}-\d{1,2}|today|yesterday", re.IGNORECASE)
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")
# After 'on', words that try to say when (on tomorrow, on Monday, on 21/11/2026, on last Tuesday)
# and words that may sit between them (on the 3rd, on next week). 'on desk' is just text.
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun"
_MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
_FUTURE_WORDS = {"tomorrow", "tonight", "next"}
_DATE_ATTEMPTS = {"today", "yesterday", "last", *_FUTURE_WORDS, *_WEEKDAYS.split(), *_MONTHS.split()}
_DATE_FILLERS = {"the", "this", "of", "at", "week", "weekend", "month", "year", "morning", "afternoon", "evening"}
MAX_DATE_WORDS = 4


def parse_date(raw: str) -> c.DateSpec:
    word = raw.lower()
    if word == "today":
        return c.DateSpec(days_ago=0)
    if word == "yesterday":
        return c.DateSpec(days_ago=1)
    try:
        return c.DateSpec(iso=date.fromisoformat(raw))
    except ValueError as exc:
        raise BadInput(f"'{raw}' isn't a date I understand.", usage.DATE_USAGE) from exc


def _plain_word(word: str) -> str:
    return word.lower().strip(".,;:!?()")


_DATE_SHAPED = re.compile(r"\d{1,4}[/.\-]\d{1,2}(?:[/.\-]\d{1,4})?|\d{1,2}(?:st|nd|rd|th)", re.IGNORECASE)


def is_date_attempt(word: str) -> bool:
    """A word after 'on' that tries to say when: tomorrow, Monday, March, last, 21/11/2026, 3rd.
    A bare number is not one ('on 0800 123 456' is a phone line, 'on 5' a floor)."""
    plain = _plain_word(word)
    return plain in _DATE_ATTEMPTS or bool(_DATE_SHAPED.fullmatch(plain))


def is_date_word(word: str) -> bool:
    """Part of a date as people write one ('March 3 2026'), though on its own it may not be one."""
    plain = _plain_word(word)
    return is_date_attempt(word) or plain in _DATE_FILLERS or (plain.isdigit() and len(plain) <= 4)


def bad_date(words: list[str]) -> BadInput:
    """'on' followed by `words`, which try to give a date in a way Tally doesn't read."""
    shown = "on " + " ".join(words)
    if {_plain_word(w) for w in words} & _FUTURE_WORDS:
        message = f"'{shown}' is in the future; a problem is logged on or after the day it happens."
    else:
        message = f"'{shown}' isn't a date I understand."
    how = usage.DATE_USAGE
    if len(words) == 1 and (match := _DAY_MONTH_YEAR.fullmatch(words[0].rstrip(".,;:!?"))):
        try:
            meant = date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        except ValueError:
            pass
        else:
            how = f"Did you mean on {meant.isoformat()}? {how}"
    if not any(ch.isdigit() for ch in shown):
        how += f" If '{shown}' is part of the description, reword it without 'on'."
    return BadInput(message, how)


def check_no_date_attempt_at_end(words: list[str]) -> None:
    """Text ending 'on tomorrow', 'on Monday' or 'on 21/11/2026' was meant as a date: say so, don't store it."""
    tail: list[str] = []
    for word in reversed(words):
        if word.lower() == "on":
            if any(is_date_attempt(w) for w in tail):
                raise bad_date(tail[::-1])
            return
        if len(tail) == MAX_DATE_WORDS or not is_date_word(word):
            return
        tail.append(word)
