"""The digest's words, shared by its plain text, Block Kit and Adaptive Card so that each says the same thing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from bot.impact import format_hours, format_money, plural
from digests.model import Digest, IdeaLine, ProblemLine, SignalLine

ELLIPSIS = "…"

KIND_WORDS = {"concern": "concern", "improvement": "improvement", "neutral": "worth a look"}
DECISION_WORDS = {
    "approve": "approved",
    "experiment": "approved as an experiment",
    "reject": "not taken forward",
    "park": "parked",
    "done": "done",
}
TRIAL_NOTE = "Limits are trial limits: fewer than 12 weeks of counts so far, so read signals with care."
QUIET = "Nothing new this week: no problems tallied, no new ideas, nothing decided or fixed."


def cut(text: str, limit: int) -> str:
    """One line of at most `limit` characters, ending in an ellipsis when something was cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def escape(text: str) -> str:
    """Slack mrkdwn treats &, < and > as control characters (<!channel> would ping everyone)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def number(value: Decimal) -> str:
    """8.50 -> '8.5', 2 -> '2': hours to two places at most, as format_hours rounds them."""
    rounded = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()
    return f"{rounded:f}"


def change(line: ProblemLine, new: bool = False) -> str:
    """The change in staff hours on the previous week: '▲ 2.5 h', '▼ 1 h', 'no change' or 'new'."""
    if new and line.previous_hours == 0:
        return "new"
    delta = line.change_hours
    if number(delta) in ("0", "-0"):
        return "no change"
    return f"{'▲' if delta > 0 else '▼'} {number(abs(delta))} h"


def share(d: Digest) -> str:
    """Failure demand as a share of the demand recorded; unknown, not zero, when none was recorded."""
    ratio = d.failure_demand_share
    if ratio is None:
        return "unknown (no demand recorded)"
    percent = (ratio * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{percent}% ({d.failure_demand:,} of {d.demand:,})"


def period(d: Digest) -> str:
    """'2026-W47 (16–22 Nov 2026)', '2026-W49 (30 Nov – 6 Dec 2026)'."""
    if (d.starts.year, d.starts.month) == (d.ends.year, d.ends.month):
        start = f"{d.starts.day}–"
    elif d.starts.year == d.ends.year:
        start = f"{d.starts.day} {d.starts:%b} – "
    else:
        start = f"{d.starts.day} {d.starts:%b %Y} – "
    return f"{d.week} ({start}{d.ends.day} {d.ends:%b %Y})"


def totals(d: Digest) -> list[tuple[str, str]]:
    """The week's headline figures, label and value."""
    return [
        ("Occurrences", f"{d.occurrences:,}"),
        ("Staff time", format_hours(d.staff_hours)),
        ("Cost", format_money(d.cost, d.currency)),
        ("Service users affected", f"{d.users:,}"),
        ("Failure demand", share(d)),
    ]


def problem_name(line: ProblemLine, limit: int = 200) -> str:
    area = f" ({cut(line.area, 60)})" if line.area.strip() else ""
    return f"#{line.number} {cut(line.title, limit)}{area}"


def problem_figures(line: ProblemLine, currency: str) -> str:
    """'8.5 hours, 3 occurrences, 17 users affected, £255.00'."""
    return ", ".join(
        (
            format_hours(line.staff_hours),
            plural(line.count, "occurrence"),
            f"{plural(line.users, 'user')} affected",
            format_money(line.cost, currency),
        )
    )


def new_numbers(d: Digest) -> set[int]:
    return {p.number for p in d.new_problems}


def signal_words(s: SignalLine, limit: int = 200) -> str:
    """'#12 Letters not received: 7 in a row on one side of the mean (concern, 9 this week)'."""
    kind = KIND_WORDS.get(s.kind, s.kind)
    return f"{cut(s.subject, limit)}: {cut(s.label, 120)} ({kind}, {s.latest:,} this week)"


def idea_name(idea: IdeaLine, limit: int = 200) -> str:
    return f"I{idea.number} {cut(idea.title, limit)}"


def idea_decision(idea: IdeaLine, reason_limit: int = 300) -> str:
    """'approved — the reason' — the decision in words, and the forum's reason when it gave one."""
    words = DECISION_WORDS.get(idea.decision, idea.decision or "decided")
    reason = cut(idea.reason, reason_limit)
    return f"{words} — {reason}" if reason else words


def votes(idea: IdeaLine) -> str:
    return plural(idea.votes, "vote")


def fixed_words(line: ProblemLine) -> str:
    """A fixed problem, with what it still cost this week if anything: the 'you said, we did' line."""
    if line.count or line.staff_hours:
        return f"fixed (this week: {plural(line.count, 'occurrence')}, {format_hours(line.staff_hours)})"
    return "fixed"


@dataclass(frozen=True)
class Part:
    """One section of the digest: a heading and its lines, raw (each renderer escapes and cuts them)."""

    key: str
    heading: str
    lines: tuple[str, ...]
    footnote: str = ""


def top_line(rank: int, line: ProblemLine, d: Digest, limit: int = 200) -> str:
    """'1. #12 Letters not received (Benefits): 8.5 hours, … — ▲ 2.5 h on last week'."""
    moved = change(line, line.number in new_numbers(d))
    when = "new this week" if moved == "new" else f"{moved} on last week"
    return f"{rank}. {problem_name(line, limit)}: {problem_figures(line, d.currency)} — {when}"


def parts(d: Digest, limit: int = 200, reason_limit: int = 300) -> list[Part]:
    """The digest's sections in reading order, empty ones left out; titles cut to `limit` characters."""
    trial = TRIAL_NOTE if d.trial_limits else ""
    found = [
        Part("top", "Top problems by staff hours", tuple(top_line(i, p, d, limit) for i, p in enumerate(d.top, 1))),
        Part(
            "new",
            "New problems",
            tuple(
                f"{problem_name(p, limit)}: {plural(p.count, 'occurrence')}, {format_hours(p.staff_hours)}"
                for p in d.new_problems
            ),
        ),
        Part("signals", "Signals in the weekly counts", tuple(signal_words(s, limit) for s in d.signals), trial),
        Part("ideas_new", "New ideas", tuple(f"{idea_name(i, limit)} ({cut(i.stage, 40)})" for i in d.ideas_new)),
        Part(
            "ideas_most_voted",
            "Most voted ideas",
            tuple(f"{idea_name(i, limit)}: {votes(i)}" for i in d.ideas_most_voted),
        ),
        Part(
            "ideas_awaiting",
            "Awaiting the forum's decision",
            tuple(f"{idea_name(i, limit)}: {votes(i)}" for i in d.ideas_awaiting),
        ),
        Part(
            "ideas_decided",
            "Decided this week",
            tuple(f"{idea_name(i, limit)}: {idea_decision(i, reason_limit)}" for i in d.ideas_decided),
        ),
        Part("fixed", "You said, we did", tuple(f"{problem_name(p, limit)}: {fixed_words(p)}" for p in d.fixed)),
    ]
    notes = [n for n in dict.fromkeys(d.notes) if n.strip()]
    if trial and not d.signals and trial not in notes:
        notes.append(trial)
    found.append(Part("notes", "Notes", tuple(notes)))
    return [p for p in found if p.lines]


def chart_description(d: Digest, limit: int = 400) -> str:
    """The chart's alt text: what it shows and what stands out, for screen readers and blocked images."""
    said = []
    if d.series is not None:
        s = d.series
        flagged = [p.kind.value for p in s.chart.points if p.kind is not None]
        counts = ", ".join(f"{flagged.count(k)} {KIND_WORDS[k]}" for k in KIND_WORDS if k in flagged)
        limits = "no limits (the counts barely vary)" if s.chart.limits is None else "mean and process limits"
        trial = ", trial limits" if s.chart.limits is not None and s.chart.limits.trial else ""
        latest = f", {s.values[-1]:g} in {s.weeks[-1]}" if s.values and s.weeks else ""
        said.append(
            f"Weekly counts of {cut(s.title, 60)} over {plural(len(s.values), 'week')}{latest}, with {limits}{trial}"
            + (f"; signals: {counts}" if counts else "; no signals")
        )
    if d.top:
        bars = "; ".join(f"#{p.number} {cut(p.title, 30)} {number(p.staff_hours)} h" for p in d.top)
        said.append(f"Top problems by staff hours: {bars}")
    return cut(". ".join(said) + "." if said else "No chart this week.", limit)
