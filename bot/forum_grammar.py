"""`/tally forum …`, `/tally digest …` and `/tally export …`: one line in, one command out."""

from __future__ import annotations

import re
from datetime import date

from bot import commands as c
from bot import idea_help as usage
from bot.errors import BadInput
from bot.grammar import area_name, checked_area_name, slugify

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_WORDS = {
    **{d: n for n, d in enumerate(DAYS)},
    **{name.lower(): n for n, name in enumerate(DAY_NAMES)},
    **{name.lower() + "s": n for n, name in enumerate(DAY_NAMES)},
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
}
ORDINALS = ("first", "second", "third", "fourth", "last")
CHANGES = ("here", "schedule", "meets")
RESERVED_SLUGS = ("new", *CHANGES)
MAX_FORUM_NAME = 80
MAX_SLUG = 60

_SLUG = re.compile(rf"[a-z0-9](?:[a-z0-9-]{{0,{MAX_SLUG - 1}}})")
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})")
_CADENCE = re.compile(r"([a-z]+)[- ]([a-z]+)")
_ISO_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})", re.IGNORECASE)
# An area as typed: #words, #"Words in quotes", or what Slack makes of #name when a channel has that name.
_AREA_TOKEN = re.compile(r'#["“][^"”]*["”]|<#[A-Z0-9]+\|[^>]*>|\S+')
_SLACK_CHANNEL = re.compile(r"<#[A-Z0-9]+\|([^>]*)>")

SCHEDULE_HOW = f"Write it like this: {usage.FORUM_SCHEDULE_USAGE} (a day, then a 24-hour time)"
MEETS_HOW = f"Write it like this: {usage.FORUM_MEETS_USAGE}"


def day_number(raw: str) -> int | None:
    return _DAY_WORDS.get(raw.lower().rstrip(","))


def cadence_words(meets: str) -> str:
    """'first-tue' -> 'first Tuesday of the month'."""
    ordinal, _, day = meets.partition("-")
    if ordinal in ORDINALS and day in DAYS:
        return f"{ordinal} {DAY_NAMES[DAYS.index(day)]} of the month"
    return meets


def parse_slug(raw: str) -> str:
    slug = raw.lower()
    if not _SLUG.fullmatch(slug):
        raise BadInput(
            f"'{raw[:60]}' isn't a forum's slug.",
            "A slug is the forum's short name, like benefits-forum: /tally forum lists them.",
        )
    return slug


def parse_forum(args: list[str], rest: str, ws: c.WorkspaceRef, actor: c.Actor) -> c.Command:
    """The words after '/tally forum'; `rest` is the same, as typed (for names and quoted areas)."""
    if not args:
        return c.ShowForums(ws=ws, actor=actor)
    if args[0].lower() == "new":
        return _new_forum(rest.split(None, 1)[1] if len(args) > 1 else "", ws, actor)
    slug = None
    if args[0].lower() not in CHANGES:
        slug, args = parse_slug(args[0]), args[1:]
        if not args:
            return c.ShowForums(ws=ws, actor=actor, forum=slug)
    change, values = args[0].lower(), args[1:]
    if change == "here":
        if values:
            raise BadInput(
                f"I didn't understand '{' '.join(values)[:80]}'.",
                f"Type it in the channel or conversation the digest should go to: {usage.FORUM_HERE_USAGE}",
            )
        return c.ChangeForum(ws=ws, actor=actor, forum=slug, setting="here")
    if change == "schedule":
        day, time = _schedule(values)
        return c.ChangeForum(ws=ws, actor=actor, forum=slug, setting="schedule", digest_day=day, digest_time=time)
    if change == "meets":
        return c.ChangeForum(ws=ws, actor=actor, forum=slug, setting="meets", meets=_meets(values))
    raise BadInput(
        f"I didn't understand '/tally forum {' '.join(args)[:80]}'.",
        f"Write it like one of these:\n{usage.FORUM_USAGE}",
    )


def _schedule(values: list[str]) -> tuple[int, str]:
    if len(values) != 2:
        raise BadInput("A digest's schedule is a day and a time.", SCHEDULE_HOW)
    day = day_number(values[0])
    if day is None:
        raise BadInput(f"'{values[0][:40]}' isn't a day of the week.", SCHEDULE_HOW)
    match = _TIME.fullmatch(values[1])
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise BadInput(f"'{values[1][:40]}' isn't a time of day.", SCHEDULE_HOW)
    return day, f"{int(match.group(1)):02d}:{match.group(2)}"


def _meets(values: list[str]) -> str:
    match = _CADENCE.fullmatch(" ".join(values).lower())
    if not match:
        shown = f"'{' '.join(values)[:60]}' isn't" if values else "That isn't"
        raise BadInput(f"{shown} a meeting cadence.", MEETS_HOW)
    ordinal, day = match.group(1), day_number(match.group(2))
    if ordinal not in ORDINALS:
        raise BadInput(
            f"'{ordinal}' isn't which week of the month: say first, second, third, fourth or last.", MEETS_HOW
        )
    if day is None:
        raise BadInput(f"'{match.group(2)}' isn't a day of the week.", MEETS_HOW)
    return f"{ordinal}-{DAYS[day]}"


def _new_forum(text: str, ws: c.WorkspaceRef, actor: c.Actor) -> c.Command:
    tokens = _AREA_TOKEN.findall(text)
    at = next((n for n, t in enumerate(tokens) if t.startswith(("#", "<#"))), len(tokens))
    name = " ".join(tokens[:at]).strip()
    areas: list[str] = []
    for token in tokens[at:]:
        channel = _SLACK_CHANNEL.fullmatch(token)
        token = f"#{channel.group(1)}" if channel else token
        if not token.startswith("#") or len(token) < 2:
            raise BadInput(
                f"'{token[:40]}' isn't a process area: the areas go last, each starting with #.",
                f"Write it like this: {usage.FORUM_NEW_USAGE}",
            )
        areas.append(checked_area_name(area_name(token)))
    if not name:
        raise BadInput("A new forum needs a name before its areas.", f"Write it like this: {usage.FORUM_NEW_USAGE}")
    if len(name) > MAX_FORUM_NAME:
        raise BadInput(
            f"That name is {len(name):,} characters; keep a forum's name under {MAX_FORUM_NAME}.",
            f"Write it like this: {usage.FORUM_NEW_USAGE}",
        )
    if not areas:
        raise BadInput(
            "A new forum covers at least one process area: name them after the forum's name.",
            f"Write it like this: {usage.FORUM_NEW_USAGE}",
        )
    slug = slugify(name)[:MAX_SLUG].strip("-")
    if not slug:
        raise BadInput(f"'{name}' has no letters or digits to make the forum's slug from.", usage.FORUM_NEW_USAGE)
    if slug in RESERVED_SLUGS:
        raise BadInput(f"A forum can't be called '{name}': it's one of the forum commands.", usage.FORUM_NEW_USAGE)
    unique = tuple(dict.fromkeys(areas, None))
    return c.AddForum(ws=ws, actor=actor, name=name, areas=unique)


def parse_week(raw: str) -> str:
    """'2026-W47' (or 2026W47, 2026-w47) -> '2026-W47'."""
    match = _ISO_WEEK.fullmatch(raw)
    try:
        if match:
            date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
            return f"{int(match.group(1)):04d}-W{int(match.group(2)):02d}"
    except ValueError:
        pass
    raise BadInput(
        f"'{raw[:40]}' isn't a week I understand.", "Write the week as 2026-W47 (the year, W and the ISO week)."
    )


def parse_digest(args: list[str], ws: c.WorkspaceRef, actor: c.Actor) -> c.Command:
    """The words after '/tally digest': `forum <slug>` and `week YYYY-Www`, either order, each at most once."""
    forum = week = None
    rest = list(args)
    while rest:
        word = rest.pop(0).lower()
        if word == "forum" and rest and forum is None:
            forum = parse_slug(rest.pop(0))
        elif word == "week" and rest and week is None:
            week = parse_week(rest.pop(0))
        elif _ISO_WEEK.fullmatch(word) and week is None:
            week = parse_week(word)
        else:
            raise BadInput(
                f"I didn't understand '/tally digest {' '.join(args)[:80]}'.",
                f"Write it like this: {usage.DIGEST_USAGE}",
            )
    return c.PreviewDigest(ws=ws, actor=actor, forum=forum, week=week)


EXPORT_FORMATS = ("xlsx", "csv", "json")


def _export_date(word: str, raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise BadInput(f"'{raw[:40]}' isn't a date.", f"Write {word} as YYYY-MM-DD: {usage.EXPORT_USAGE}") from exc


def parse_export(args: list[str], ws: c.WorkspaceRef, actor: c.Actor) -> c.Command:
    """The words after '/tally export': a format, `from YYYY-MM-DD` and `to YYYY-MM-DD`, in any order, each once."""
    fmt: str | None = None
    dates: dict[str, date] = {}
    rest = list(args)
    while rest:
        word = rest.pop(0).lower()
        if word in EXPORT_FORMATS and fmt is None:
            fmt = word
        elif word in ("from", "to") and rest and word not in dates:
            dates[word] = _export_date(word, rest.pop(0))
        else:
            raise BadInput(
                f"I didn't understand '/tally export {' '.join(args)[:80]}'.",
                f"Write it like this: {usage.EXPORT_USAGE}",
            )
    start, end = dates.get("from"), dates.get("to")
    if start and end and start > end:
        raise BadInput(f"{start} is after {end}.", f"Give the earlier date after from: {usage.EXPORT_USAGE}")
    return c.ExportEvidence(ws=ws, actor=actor, format=fmt or "xlsx", start=start, end=end)
