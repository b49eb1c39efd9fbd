"""The `/idea` and `/tally` grammar of DESIGN.md: one line in, one neutral command out (or BadInput)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import commands as c
from bot import form_text as wording
from bot import idea_help as usage
from bot.dates import parse_date
from bot.errors import BadInput
from bot.forum_grammar import parse_digest, parse_export, parse_forum
from bot.grammar import MAX_TEXT, area_name, checked_area_name, clean, parse_problem_id
from bot.ids import FormOption, IdeaField

_IDEA_ID = re.compile(r"[iI]?(\d{1,9})")
MAX_USER_ID = 64  # longer than any platform's user id (Entra object ids: 36), and what the audit trail keeps
_USER = re.compile(r"<@([\w][\w.:-]*)(?:\|[^>]*)?>|@?([A-Z][A-Z0-9]{2,})|([\w.-]+)")
STAGES = ("information", "insight", "improve")
LISTS = (*STAGES, "decided", "all", "open")
DECISIONS = ("approve", "experiment", "reject", "park", "done")
IDEA_SUBCOMMANDS = (
    "vote", "unvote", "show", "list", "evidence", "insight", "estimate", "move", "decide", "merge", "help",
)  # fmt: skip


def parse_idea_id(raw: str | None, what: str, how: str) -> int:
    """'I7', 'i7' or '7'."""
    match = _IDEA_ID.fullmatch(raw or "")
    if not match or int(match.group(1)) < 1:
        shown = f"'{raw}' isn't an idea id." if raw else f"Which idea? {what} needs an idea id, like I3."
        raise BadInput(shown, f"Write it like this: {how}")
    return int(match.group(1))


def _rest(args: list[str], what: str, how: str) -> str:
    text = " ".join(args).strip()
    if not text:
        raise BadInput(f"{what} needs some words after the idea's id.", f"Write it like this: {how}")
    if len(text) > MAX_TEXT:
        raise BadInput(f"That's {len(text):,} characters; keep it under {MAX_TEXT:,}.", f"Write it like this: {how}")
    return text


def _new_idea(text: str, ws: c.WorkspaceRef, actor: c.Actor, delivery_id: str | None) -> c.Command:
    words = text.split()
    anonymous = bool(words) and words[-1].lower() == "anon"
    if anonymous:
        words = words[:-1]
    problems: list[int] = []
    if "for" in (w.lower() for w in words):
        at = max(i for i, w in enumerate(words) if w.lower() == "for")
        tail = words[at + 1 :]
        if tail and all(re.fullmatch(r"#?\d{1,9}", w.rstrip(",")) for w in tail):
            problems = [parse_problem_id(w.rstrip(","), "for", usage.IDEA_USAGE) for w in tail]
            words = words[:at]
        elif tail and tail[0].startswith("#"):
            raise BadInput(
                f"'{' '.join(tail)}' isn't a list of problem ids.", f"Write it like this: {usage.IDEA_USAGE}"
            )
    if words and words[-1].lower() == "anon":  # 'anon' before the problems counts just the same
        anonymous, words = True, words[:-1]
    idea = " ".join(words).strip()
    if not idea:
        raise BadInput("What's the idea? There were no words left for it.", f"Write it like this: {usage.IDEA_USAGE}")
    if len(idea) > MAX_TEXT:
        raise BadInput(
            f"That's {len(idea):,} characters; an idea fits in {MAX_TEXT:,}.",
            "Say in a sentence or two what would fix it; add detail later with /idea evidence.",
        )
    return c.ProposeIdea(
        ws=ws,
        actor=actor,
        text=idea,
        problems=tuple(dict.fromkeys(problems)),
        anonymous=anonymous,
        delivery_id=delivery_id,
    )


def _form_text(values: dict, key: IdeaField) -> str:
    value = values.get(key)
    return clean(str(value)).strip() if value is not None else ""


FIXES_EXAMPLE = "#12 #13"


def parse_fixes(raw: str) -> tuple[int, ...]:
    """The idea form's 'Problems it fixes': numbers as '/idea … for' takes them, apart by spaces or commas."""
    if len(raw) > wording.FIXES_MAX_LENGTH:
        raise BadInput(
            f"Keep it under {wording.FIXES_MAX_LENGTH:,} characters (this is {len(raw):,}).",
            f"Write the numbers only, like this: {FIXES_EXAMPLE}",
        )
    numbers = []
    for token in re.split(r"[\s,]+", raw):
        if not token:
            continue
        if not re.fullmatch(r"#?\d{1,9}", token):
            raise BadInput(f"'{token[:40]}' isn't a problem number.", f"Write them like this: {FIXES_EXAMPLE}")
        numbers.append(parse_problem_id(token, "Problems it fixes", FIXES_EXAMPLE))
    return tuple(dict.fromkeys(numbers))


def parse_idea_form(
    values: dict, ws: c.WorkspaceRef, actor: c.Actor, delivery_id: str | None = None
) -> tuple[c.ProposeIdea | None, dict[IdeaField, str], tuple[int, ...]]:
    """The idea form, checked field by field with the rules '/idea' typed follows: the idea to propose, or every
    field's error at once; and the problem numbers it names, as far as they could be read."""
    errors: dict[IdeaField, str] = {}
    text = " ".join(_form_text(values, IdeaField.TEXT).split())
    if not text:
        errors[IdeaField.TEXT] = "Say what would fix it, in a sentence or two."
    elif len(text) > MAX_TEXT:
        errors[IdeaField.TEXT] = (
            f"That's {len(text):,} characters; an idea fits in {MAX_TEXT:,}: say in a sentence or two what would fix it."
        )
    problems: tuple[int, ...] = ()
    try:
        problems = parse_fixes(_form_text(values, IdeaField.FIXES))
    except BadInput as exc:
        errors[IdeaField.FIXES] = f"{exc.message} {exc.how}".strip()
    options = values.get(IdeaField.OPTIONS) or ()
    options = [options] if isinstance(options, str) else list(options)
    if any(str(o) != FormOption.ANONYMOUS.value for o in options):
        errors[IdeaField.OPTIONS] = "The only option here is to propose it anonymously."
    if errors:
        return None, errors, problems
    idea = c.ProposeIdea(
        ws=ws,
        actor=actor,
        text=text,
        problems=problems,
        anonymous=FormOption.ANONYMOUS.value in map(str, options),
        delivery_id=delivery_id,
    )
    return idea, {}, problems


def _decimal(raw: str, what: str) -> Decimal:
    """To the penny (or a hundredth of a percent), as it is stored: the card and the database agree."""
    try:
        value = Decimal(raw.replace(",", "").lstrip("£$€"))
    except InvalidOperation as exc:
        raise BadInput(f"'{raw}' isn't a number for {what}.", f"Write it like this: {usage.ESTIMATE_USAGE}") from exc
    if not value.is_finite() or value.adjusted() > 12:
        raise BadInput(f"'{raw}' isn't a number for {what}.", f"Write it like this: {usage.ESTIMATE_USAGE}")
    return value.quantize(Decimal("0.01")) if value.adjusted() > -3 else Decimal("0.00")


def _estimate(args: list[str], ws: c.WorkspaceRef, actor: c.Actor) -> c.Command:
    number = parse_idea_id(args[0] if args else None, "estimate", usage.ESTIMATE_USAGE)
    reduction = cost = None
    for token in args[1:]:
        key, _, value = token.partition("=")
        if key.lower() == "reduction" and value:
            reduction = _decimal(value.rstrip("%"), "the reduction")
            if not 0 <= reduction <= 100:
                raise BadInput(f"A reduction of {value} isn't between 0% and 100%.", usage.ESTIMATE_USAGE)
        elif key.lower() == "cost" and value:
            cost = _decimal(value, "the cost")
            if not 0 <= cost <= Decimal("9999999999"):
                raise BadInput(f"A cost of {value} isn't one I can keep.", usage.ESTIMATE_USAGE)
        else:
            raise BadInput(f"I didn't understand '{token}'.", f"Write it like this: {usage.ESTIMATE_USAGE}")
    if reduction is None and cost is None:
        raise BadInput("An estimate needs a reduction, a cost or both.", f"Write it like this: {usage.ESTIMATE_USAGE}")
    return c.EstimateIdea(ws=ws, actor=actor, number=number, reduction_pct=reduction, cost=cost)


def _decide(args: list[str], ws: c.WorkspaceRef, actor: c.Actor) -> c.Command:
    number = parse_idea_id(args[0] if args else None, "decide", usage.DECIDE_USAGE)
    decision = args[1].lower() if len(args) > 1 else ""
    if decision not in DECISIONS:
        shown = f"'{args[1]}' isn't a decision." if len(args) > 1 else "Which decision?"
        raise BadInput(shown, f"Write it like this: {usage.DECIDE_USAGE}")
    review = None
    words = []
    for word in args[2:]:
        if word.lower().startswith("review="):
            review = parse_date(word.split("=", 1)[1])
        else:
            words.append(word)
    reason = " ".join(words).strip()
    if not reason:
        raise BadInput(
            "Every decision needs a reason: the proposer and everyone who voted are told it.",
            f"Write it like this: {usage.DECIDE_USAGE}",
        )
    if len(reason) > MAX_TEXT:
        raise BadInput(f"That reason is {len(reason):,} characters; keep it under {MAX_TEXT:,}.", usage.DECIDE_USAGE)
    return c.DecideIdea(ws=ws, actor=actor, number=number, decision=decision, reason=reason, review=review)


def parse_idea(text: str, ws: c.WorkspaceRef, actor: c.Actor, delivery_id: str | None = None) -> c.Command:
    """Everything after '/idea'."""
    text = clean(text).strip()
    if not text:
        return c.ShowHelp(ws=ws, actor=actor, topic="idea")
    words = text.split()
    sub, args = words[0].lower(), words[1:]
    if sub not in IDEA_SUBCOMMANDS:
        return _new_idea(text, ws, actor, delivery_id)
    if sub in ("vote", "unvote", "show"):
        how = usage.SHOW_USAGE if sub == "show" else usage.VOTE_USAGE
        number = parse_idea_id(args[0] if args else None, sub, how)
        if len(args) > 1:
            raise BadInput(f"I didn't understand '{' '.join(args[1:])}'.", f"Write it like this: {how}")
        if sub == "show":
            return c.ShowIdea(ws=ws, actor=actor, number=number)
        return c.VoteForIdea(ws=ws, actor=actor, number=number, vote=sub == "vote")
    if sub == "list":
        which = args[0].lower() if args else "open"
        if which not in LISTS or len(args) > 1:
            raise BadInput(f"I didn't understand '{' '.join(args)}'.", f"Write it like this: {usage.LIST_USAGE}")
        return c.ListIdeas(ws=ws, actor=actor, which=which)
    if sub == "evidence":
        number = parse_idea_id(args[0] if args else None, "evidence", usage.EVIDENCE_USAGE)
        return c.AddEvidence(ws=ws, actor=actor, number=number, text=_rest(args[1:], "Evidence", usage.EVIDENCE_USAGE))
    if sub == "insight":
        number = parse_idea_id(args[0] if args else None, "insight", usage.INSIGHT_USAGE)
        text = _rest(args[1:], "A root cause", usage.INSIGHT_USAGE)
        return c.RecordRootCause(ws=ws, actor=actor, number=number, text=text)
    if sub == "estimate":
        return _estimate(args, ws, actor)
    if sub == "move":
        number = parse_idea_id(args[0] if args else None, "move", usage.MOVE_USAGE)
        stage = args[1].lower() if len(args) > 1 else ""
        if stage not in STAGES:
            shown = f"'{args[1]}' isn't a stage." if len(args) > 1 else "Which stage?"
            raise BadInput(shown, f"Write it like this: {usage.MOVE_USAGE}")
        reason = " ".join(args[2:]).strip()
        if len(reason) > MAX_TEXT:
            raise BadInput(f"That reason is {len(reason):,} characters; keep it under {MAX_TEXT:,}.", usage.MOVE_USAGE)
        return c.MoveIdea(ws=ws, actor=actor, number=number, stage=stage, reason=reason)
    if sub == "decide":
        return _decide(args, ws, actor)
    if sub == "merge":
        if len(args) != 3 or args[1].lower() != "into":
            raise BadInput("That merge isn't quite right.", f"Write it like this: {usage.MERGE_USAGE}")
        source = parse_idea_id(args[0], "merge", usage.MERGE_USAGE)
        target = parse_idea_id(args[2], "merge", usage.MERGE_USAGE)
        return c.MergeIdeas(ws=ws, actor=actor, source=source, target=target)
    return c.ShowHelp(ws=ws, actor=actor, topic="idea")


def parse_user(raw: str) -> str:
    """A person as Slack escapes a mention (<@U123|ann>), or an id typed as it is."""
    match = _USER.fullmatch(raw.strip())
    if not match or len(raw.strip()) > MAX_USER_ID:
        raise BadInput(f"'{raw[:60]}' isn't someone I can find.", f"Mention them: {usage.OWNERS_USAGE}")
    return next(g for g in match.groups() if g)


def parse_tally(text: str, ws: c.WorkspaceRef, actor: c.Actor) -> c.Command:
    """Everything after '/tally'."""
    words = clean(text).split()
    if not words or words[0].lower() == "help":
        return c.ShowHelp(ws=ws, actor=actor, topic="tally")
    sub, args = words[0].lower(), words[1:]
    if sub == "agenda" and not args:
        return c.ShowAgenda(ws=ws, actor=actor)
    if sub == "owners":
        if not args:
            return c.ManageOwners(ws=ws, actor=actor, change="list")
        change = args[0].lower()
        if change not in ("add", "remove") or len(args) != 2:
            raise BadInput("That isn't how owners change.", f"Write it like this: {usage.OWNERS_USAGE}")
        return c.ManageOwners(ws=ws, actor=actor, change=change, user_id=parse_user(args[1]))
    if sub == "demand":
        return _demand(args, ws, actor)
    if sub == "roi":
        return _roi(args, ws, actor)
    if sub == "forum":
        rest = clean(text).strip().split(None, 1)
        return parse_forum(args, rest[1] if len(rest) > 1 else "", ws, actor)
    if sub == "digest":
        return parse_digest(args, ws, actor)
    if sub == "export":
        return parse_export(args, ws, actor)
    if sub == "settings":
        if not args:
            return c.ChangeSetting(ws=ws, actor=actor)
        if len(args) != 2 or args[0].lower() not in SETTINGS:
            raise BadInput("That isn't a setting I can change.", f"Write it like this: {usage.SETTINGS_USAGE}")
        return c.ChangeSetting(ws=ws, actor=actor, name=args[0].lower(), value=_setting(args[0].lower(), args[1]))
    raise BadInput(f"'/tally {words[0]}' isn't something I can do yet.", "Try /tally help to see what I can do.")


SETTINGS = ("hourly-cost", "currency", "timezone")
MAX_TIMEZONE = 64  # the workspace's timezone column


def _setting(name: str, raw: str) -> str:
    """Checked here, so a bad value is answered with how to write it and nothing changes."""
    if name == "hourly-cost":
        try:
            cost = Decimal(raw.replace(",", "").lstrip("£$€"))
        except InvalidOperation:
            cost = Decimal(-1)
        if not cost.is_finite() or not 0 <= cost <= 100_000:
            raise BadInput(
                f"'{raw}' isn't an hourly cost.", "Give the cost of an hour of staff time, e.g. 30 or 31.50."
            )
        return str(cost.quantize(Decimal("0.01")))
    if name == "currency":
        if len(raw) != 3 or not raw.isalpha():
            raise BadInput(f"'{raw}' isn't a currency code.", "Give a three-letter code, e.g. GBP or EUR.")
        return raw.upper()
    try:
        if len(raw) > MAX_TIMEZONE:
            raise ValueError("longer than any timezone's name")
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: 'Europe' is a folder of the database
        raise BadInput(f"'{raw[:40]}' isn't a timezone.", "Give a name like Europe/London.") from exc
    return raw


def _roi(args: list[str], ws: c.WorkspaceRef, actor: c.Actor) -> c.Command:
    """`roi` or `roi programme-cost 50000`: checked here, so a bad cost says how to write it."""
    if not args:
        return c.ShowRoi(ws=ws, actor=actor)
    if len(args) != 2 or args[0].lower() not in ("programme-cost", "program-cost"):
        raise BadInput("That isn't how the business case is asked for.", f"Write it like this: {usage.ROI_USAGE}")
    try:
        cost = Decimal(args[1].replace(",", "").lstrip("£$€"))
    except InvalidOperation:
        cost = Decimal(0)
    if not cost.is_finite() or not 0 < cost <= 10**12:
        raise BadInput(f"'{args[1]}' isn't a programme cost.", f"Give an amount above 0: {usage.ROI_USAGE}")
    return c.ShowRoi(ws=ws, actor=actor, programme_cost=cost)


_ISO_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})", re.IGNORECASE)


def _demand(args: list[str], ws: c.WorkspaceRef, actor: c.Actor) -> c.Command:
    if not 2 <= len(args) <= 3 or not args[0].startswith("#") or len(args[0]) < 2:
        raise BadInput("That demand isn't quite right.", f"Write it like this: {usage.DEMAND_USAGE}")
    area = checked_area_name(area_name(args[0]))
    raw = args[1].replace(",", "")
    if not raw.isdigit() or not 0 <= int(raw) <= 100_000_000:
        raise BadInput(f"'{args[1]}' isn't a number of contacts or cases.", f"Write it like this: {usage.DEMAND_USAGE}")
    week = None
    if len(args) == 3:
        match = _ISO_WEEK.fullmatch(args[2])
        try:
            week = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1) if match else None
        except ValueError:
            week = None
        if week is None:
            raise BadInput(f"'{args[2]}' isn't a week I understand.", "Write the ISO week as YYYY-Www, e.g. 2026-W47.")
    return c.RecordDemand(ws=ws, actor=actor, area=area, total=int(raw), week=week)
