"""The chat grammar of DESIGN.md: one line of text in, one neutral command out (or BadInput)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from bot import commands as c
from bot import help as usage
from bot.dates import (
    DATE_LIKE,
    MAX_DATE_WORDS,
    bad_date,
    check_no_date_attempt_at_end,
    is_date_attempt,
    is_date_word,
    parse_date,
)
from bot.errors import BadInput
from bot.names import MAX_AREA_NAME as MAX_AREA_NAME  # re-exported: where the grammar's callers look
from bot.names import area_name as area_name
from bot.names import checked_area_name as checked_area_name
from bot.names import clean as clean
from bot.names import slugify as slugify
from storage.model import ImpactArea, Status

MAX_COUNT = 1_000_000
MAX_USERS = 1_000_000
MAX_EFFORT_MINUTES = 24 * 60
MAX_TEXT = 1000
MAX_DAYS_BACK = 90

_TOKEN = re.compile(r'#["“][^"”]*["”]|\S+')
_QUOTED_AREA = re.compile(r'#["“][^"”]*["”]')
_COUNT = re.compile(r"[x×](-?\d+)", re.IGNORECASE)
_EFFORT_PART = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?:ins?)?)?", re.IGNORECASE)
_EFFORT_SHAPE = re.compile(r"[\d.]+(?:h|m|min|mins)(?:[\d.]*(?:h|m|min|mins))*(?:\+.*)?", re.IGNORECASE)
_USERS = re.compile(r"users=(.*)", re.IGNORECASE)
_IMPACT = re.compile(r"\+([a-z]+)", re.IGNORECASE)
_ID = re.compile(r"#?(\d{1,9})")

PROBLEM_SUBCOMMANDS = ("again", "show", "list", "top", "status", "merge", "help")
STATUS_WORDS = {
    "open": Status.OPEN,
    "reopen": Status.OPEN,
    "investigating": Status.INVESTIGATING,
    "fixed": Status.FIXED,
    "wontfix": Status.WONT_FIX,
    "won't-fix": Status.WONT_FIX,
    "won'tfix": Status.WONT_FIX,
}
LIST_FILTERS = {
    "open": (Status.OPEN, Status.INVESTIGATING),
    "investigating": (Status.INVESTIGATING,),
    "fixed": (Status.FIXED,),
    "wontfix": (Status.WONT_FIX,),
    "all": tuple(s for s in Status if s is not Status.MERGED),
}
PERIODS = ("week", "month", "quarter")


def _whole_number(raw: str, low: int, high: int, message: str, how: str) -> int:
    try:
        n = int(raw)
    except ValueError:
        n = low - 1
    if not low <= n <= high:
        raise BadInput(message, how)
    return n


def parse_count(raw: str, token: str | None = None) -> int:
    return _whole_number(
        raw,
        1,
        MAX_COUNT,
        f"'{token or raw}' isn't a number of occurrences I can count.",
        f"Write how many times as x followed by a whole number from 1 to {MAX_COUNT:,}, e.g. x17.",
    )


def parse_effort(raw: str) -> int:
    """'20m', '1h', '1h30m', '0.5h', '20m+10m' or a plain number of minutes -> minutes."""
    raw = raw.strip()
    how = "Write effort per occurrence as 20m, 1h, 1h30m, 0.5h or 20m+10m, at most 24h."
    if raw.isdigit():
        minutes = Decimal(raw)
    else:
        minutes = Decimal(0)
        for part in raw.split("+"):
            match = _EFFORT_PART.fullmatch(part.strip())
            if not part.strip() or not match or not any(match.groups()):
                raise BadInput(f"'{raw}' isn't an amount of effort I understand.", how)
            try:
                minutes += Decimal(match.group(1) or 0) * 60 + Decimal(match.group(2) or 0)
            except InvalidOperation as exc:
                raise BadInput(f"'{raw}' isn't an amount of effort I understand.", how) from exc
    if minutes > MAX_EFFORT_MINUTES:
        raise BadInput(f"'{raw}' is more than 24 hours for one occurrence.", how)
    whole = int(minutes.to_integral_value())
    if whole < 1:
        raise BadInput(f"'{raw}' is less than a minute.", how)
    return whole


def parse_users(raw: str, token: str | None = None) -> int:
    return _whole_number(
        raw,
        0,
        MAX_USERS,
        f"'{token or raw}' isn't a number of service users.",
        f"Write users=N with a whole number from 0 to {MAX_USERS:,}, e.g. users=3.",
    )


def _check_quotes(text: str, tokens: list[re.Match[str]]) -> None:
    for token in tokens:
        if token.group().startswith(('#"', "#“")) and not _QUOTED_AREA.fullmatch(token.group()):
            rest = text[token.start() :].strip()
            shown = rest if len(rest) <= 40 else rest[:39] + "…"
            raise BadInput(
                f"The area {shown} has no closing quote.",
                'Close the quote around an area\'s name, e.g. #"Benefits appeals".',
            )


def parse_problem_id(raw: str | None, what: str, how: str) -> int:
    match = _ID.fullmatch(raw or "")
    if not match or int(match.group(1)) < 1:
        shown = f"'{raw}' isn't a problem id." if raw else f"Which problem? {what} needs a problem id."
        raise BadInput(shown, f"Write it like this: {how}")
    return int(match.group(1))


@dataclass
class _Options:
    """Keywords collected from a line; words that are not keywords stay as text."""

    text: list[str] = field(default_factory=list)
    area: str | None = None
    count: int | None = None
    effort: int | None = None
    users: int | None = None
    impacts: list[ImpactArea] = field(default_factory=list)
    fd: bool = False
    anon: bool = False
    when: c.DateSpec | None = None


def _once(current: object, token: str, what: str) -> None:
    if current is not None:
        raise BadInput(f"You gave {what} twice ('{token}').", f"Give {what} once. {usage.PROBLEM_USAGE}")


def _is_option(token: str, allowed: set[str]) -> bool:
    """Whether `token` is shaped like an option (its value is checked when it is collected)."""
    lower = token.lower()
    return bool(
        ("area" in allowed and token.startswith("#") and len(token) > 1 and not token[1:].isdigit())
        or _COUNT.fullmatch(token)
        or _EFFORT_SHAPE.fullmatch(token)
        or _USERS.fullmatch(token)
        or ("impact" in allowed and _IMPACT.fullmatch(token))
        or ("fd" in allowed and lower == "fd")
        or lower == "anon"
    )


def _collect(tokens: list[str], allowed: set[str]) -> _Options:
    opts = _Options()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        lower = token.lower()
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if "area" in allowed and token.startswith("#") and len(token) > 1 and not token[1:].isdigit():
            _once(opts.area, token, "an area")
            opts.area = checked_area_name(area_name(token))
        elif match := _COUNT.fullmatch(token):
            _once(opts.count, token, "the number of occurrences")
            opts.count = parse_count(match.group(1), token)
        elif _EFFORT_SHAPE.fullmatch(token):
            _once(opts.effort, token, "the effort")
            opts.effort = parse_effort(token)
        elif match := _USERS.fullmatch(token):
            _once(opts.users, token, "the users affected")
            opts.users = parse_users(match.group(1), token)
        elif "impact" in allowed and (match := _IMPACT.fullmatch(token)):
            try:
                impact = ImpactArea(match.group(1).lower())
            except ValueError as exc:
                raise BadInput(
                    f"'{token}' isn't an impact area.", "Use +cost, +delivery, +quality or +people."
                ) from exc
            if impact not in opts.impacts:
                opts.impacts.append(impact)
        elif "fd" in allowed and lower == "fd":
            opts.fd = True
        elif lower == "anon":
            opts.anon = True
        elif lower == "on" and nxt is not None and DATE_LIKE.fullmatch(nxt):
            _once(opts.when, f"on {nxt}", "the date")
            opts.when = parse_date(nxt)
            i += 1
        elif lower == "on" and nxt is not None and is_date_attempt(nxt):
            words = []
            for word in tokens[i + 1 : i + 1 + MAX_DATE_WORDS]:
                if not is_date_word(word) or _is_option(word, allowed):
                    break
                words.append(word)
            raise bad_date(words)
        else:
            opts.text.append(token)
        i += 1
    return opts


def _split_options(text: str, allowed: set[str]) -> tuple[str, _Options]:
    """The text as typed, and the options in the run of option tokens that ends the line.

    Option-like words before that run ('waited on hold for 2h before giving up') stay text.
    """
    tokens = list(_TOKEN.finditer(text))
    if "area" in allowed:
        _check_quotes(text, tokens)
    words = [token.group() for token in tokens]
    start = len(words)
    while start > 0:
        if _is_option(words[start - 1], allowed):
            start -= 1
        elif start > 1 and words[start - 2].lower() == "on" and DATE_LIKE.fullmatch(words[start - 1]):
            start -= 2
        else:
            break
    check_no_date_attempt_at_end(words[:start])
    opts = _collect(words[start:], allowed)
    issue = text[: tokens[start].start()] if start < len(tokens) else text
    return issue.strip(), opts


def parse_new_problem(text: str, ws: c.WorkspaceRef, actor: c.Actor, delivery_id: str | None) -> c.ReportProblem:
    issue, opts = _split_options(text, {"area", "impact", "fd"})
    if len(issue) > MAX_TEXT:
        raise BadInput(
            f"That's {len(issue):,} characters; a problem fits in {MAX_TEXT:,}.",
            "Describe it in a sentence or two: what went wrong, and for whom.",
        )
    if not issue:
        raise BadInput(
            "What went wrong? There was no description before the options.",
            f"Write it like this: {usage.EXAMPLE}",
        )
    return c.ReportProblem(
        ws=ws,
        actor=actor,
        text=issue,
        area=opts.area,
        count=opts.count or 1,
        effort_minutes=opts.effort,
        users=opts.users,
        impacts=tuple(opts.impacts),
        failure_demand=opts.fd,
        anonymous=opts.anon,
        when=opts.when or c.TODAY,
        delivery_id=delivery_id,
    )


def _parse_again(args: list[str], ws: c.WorkspaceRef, actor: c.Actor, delivery_id: str | None) -> c.Command:
    number = parse_problem_id(args[0] if args else None, "again", usage.AGAIN_USAGE)
    opts = _collect(args[1:], set())
    if opts.text:
        raise BadInput(f"I didn't understand '{' '.join(opts.text)}'.", f"Write it like this: {usage.AGAIN_USAGE}")
    return c.LogOccurrence(
        ws=ws,
        actor=actor,
        number=number,
        count=opts.count or 1,
        effort_minutes=opts.effort,
        users=opts.users,
        when=opts.when or c.TODAY,
        anonymous=opts.anon,
        delivery_id=delivery_id,
    )


def _no_more(args: list[str], how: str) -> None:
    if args:
        raise BadInput(f"I didn't understand '{' '.join(args)}'.", f"Write it like this: {how}")


def _parse_list(args: list[str], ws: c.WorkspaceRef, actor: c.Actor) -> c.Command:
    area, statuses = None, LIST_FILTERS["open"]
    text = " ".join(args)
    tokens = list(_TOKEN.finditer(text))
    _check_quotes(text, tokens)
    for token in (match.group() for match in tokens):
        if token.startswith("#") and len(token) > 1:
            area = checked_area_name(area_name(token))
        elif token.lower() in LIST_FILTERS:
            statuses = LIST_FILTERS[token.lower()]
        else:
            raise BadInput(f"I didn't understand '{token}'.", f"Write it like this: {usage.LIST_USAGE}")
    return c.ListProblems(ws=ws, actor=actor, area=area, statuses=statuses)


def _parse_status(args: list[str], ws: c.WorkspaceRef, actor: c.Actor) -> c.Command:
    number = parse_problem_id(args[0] if args else None, "status", usage.STATUS_USAGE)
    if len(args) == 1:
        raise BadInput(
            f"Which status should #{number} have?",
            f"Write it like this: /problem status {number} open|investigating|fixed|wontfix"
            f"   e.g. /problem status {number} fixed",
        )
    word = args[1].lower()
    if word not in STATUS_WORDS or len(args) > 2:
        raise BadInput(f"'{' '.join(args[1:])}' isn't a status I know.", f"Write it like this: {usage.STATUS_USAGE}")
    return c.SetStatus(ws=ws, actor=actor, number=number, status=STATUS_WORDS[word])


def parse_problem(text: str, ws: c.WorkspaceRef, actor: c.Actor, delivery_id: str | None = None) -> c.Command:
    """Everything after '/problem'."""
    text = clean(text).strip()
    if not text:
        return c.OpenCaptureForm(ws=ws, actor=actor)
    words = text.split()
    sub, args = words[0].lower(), words[1:]
    if sub not in PROBLEM_SUBCOMMANDS:
        return parse_new_problem(text, ws, actor, delivery_id)
    if sub == "again":
        return _parse_again(args, ws, actor, delivery_id)
    if sub == "show":
        number = parse_problem_id(args[0] if args else None, "show", usage.SHOW_USAGE)
        _no_more(args[1:], usage.SHOW_USAGE)
        return c.ShowProblem(ws=ws, actor=actor, number=number)
    if sub == "list":
        return _parse_list(args, ws, actor)
    if sub == "top":
        period = args[0].lower() if args else "week"
        if period not in PERIODS or len(args) > 1:
            raise BadInput(f"I didn't understand '{' '.join(args)}'.", f"Write it like this: {usage.TOP_USAGE}")
        return c.TopProblems(ws=ws, actor=actor, period=period)
    if sub == "status":
        return _parse_status(args, ws, actor)
    if sub == "merge":
        if len(args) != 3 or args[1].lower() != "into":
            raise BadInput("That merge isn't quite right.", f"Write it like this: {usage.MERGE_USAGE}")
        source = parse_problem_id(args[0], "merge", usage.MERGE_USAGE)
        target = parse_problem_id(args[2], "merge", usage.MERGE_USAGE)
        return c.MergeProblems(ws=ws, actor=actor, source=source, target=target)
    return c.ShowHelp(ws=ws, actor=actor, topic="problem")


def parse_tally(text: str, ws: c.WorkspaceRef, actor: c.Actor) -> c.Command:
    """Everything after '/tally' (help, agenda, owners): bot/idea_grammar.py reads it."""
    from bot.idea_grammar import parse_tally as tally

    return tally(text, ws, actor)


def parse_idea(text: str, ws: c.WorkspaceRef, actor: c.Actor, delivery_id: str | None = None) -> c.Command:
    """Everything after '/idea': bot/idea_grammar.py reads it."""
    from bot.idea_grammar import parse_idea as idea

    return idea(text, ws, actor, delivery_id)


COMMAND_WORDS = {"problem": parse_problem, "problems": parse_problem}


def parse_line(line: str, ws: c.WorkspaceRef, actor: c.Actor, delivery_id: str | None = None) -> c.Command:
    """A whole line as typed in the console or a Teams chat: 'problem …', '/problem …', 'tally help'."""
    stripped = line.strip()
    word, _, rest = stripped.lstrip("/").partition(" ")
    word = word.lower()
    if word in COMMAND_WORDS:
        return parse_problem(rest, ws, actor, delivery_id)
    if word in ("idea", "ideas"):
        return parse_idea(rest, ws, actor, delivery_id)
    if word == "tally":
        return parse_tally(rest, ws, actor)
    if word in ("help", "?", ""):
        return c.ShowHelp(ws=ws, actor=actor, topic="tally")
    if word in PROBLEM_SUBCOMMANDS:
        meant = " ".join(["/problem", word, *rest.split()])
        raise BadInput(f"I don't know the command '{word}'.", f"Did you mean `{meant}`?")
    raise BadInput(f"I don't know the command '{word}'.", usage.COMMANDS_HELP)
