"""The workspace's evidence for spreadsheets: problems in the seed's problem capture template's columns, ideas with
their business case and decisions, and weekly totals. One plain object; CSV, XLSX and JSON are drawn from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bot.impact import SIXTY
from bot.roi import Annual, baseline, idea_return
from digests.weeks import IsoWeek
from storage.model import Stage, Workspace
from storage.ports import UnitOfWork

MAX_WEEKS = 520  # ten years of weekly columns at the most

PROBLEM_COLUMNS = (
    "Problem",
    "Process area",
    "Issue",
    "Impact area",
    "Number of occurrences",
    "Effort to work around (minutes each)",
    "Total impact: staff hours",
    "Total impact: service users",
    "Cost",
    "Currency",
    "Failure demand",
    "Status",
    "First seen",
    "Last seen",
)
IDEA_COLUMNS = (
    "Idea",
    "Title",
    "Stage",
    "Votes",
    "Linked problems",
    "Expected reduction (%)",
    "Implementation cost",
    "Expected annual saving",
    "ROI",
    "Payback (weeks)",
    "Decision",
    "Reason",
    "Decided on",
)
WEEK_COLUMNS = ("Week", "Week starting", "Occurrences", "Staff hours", "Service users", "Cost")


@dataclass(frozen=True)
class Export:
    workspace: str
    currency: str
    start: date
    end: date
    weeks: tuple[str, ...]  # the ISO weeks the problems' weekly counts are given for
    problems: tuple[tuple[Any, ...], ...]  # PROBLEM_COLUMNS, then one count per week
    ideas: tuple[tuple[Any, ...], ...] = ()
    weekly: tuple[tuple[Any, ...], ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def problem_header(self) -> tuple[str, ...]:
        return PROBLEM_COLUMNS + self.weeks


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / SIXTY).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize() + 0


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def build_export(uow: UnitOfWork, ws: Workspace, start: date | None, end: date | None, today: date) -> Export:
    """Between start and end (inclusive); by default from the first occurrence ever to today."""
    assert ws.id is not None
    end = end or today
    start = start or uow.exports.first_occurrence(ws.id) or end
    if start > end:
        raise ValueError(f"--from {start} is after --to {end}")
    first, last = IsoWeek.of(start), IsoWeek.of(end)
    count = min(MAX_WEEKS, (last.monday - first.monday).days // 7 + 1)
    first = last.previous(count - 1)
    weeks = tuple(str(IsoWeek.of(first.monday + timedelta(weeks=i))) for i in range(count))
    tallies = uow.digests.weekly(ws.id, None, first.monday, count)
    by_problem: dict[int, dict[int, int]] = {}
    totals: dict[int, list[int]] = {}
    for t in tallies:
        by_problem.setdefault(t.problem_id, {})[t.week] = t.count
        week = totals.setdefault(t.week, [0, 0, 0])
        week[0] += t.count
        week[1] += t.staff_minutes
        week[2] += t.users
    rows = []
    for p in uow.exports.problems(ws.id, start, end):
        hours = _hours(p.staff_minutes)
        each = Decimal(p.staff_minutes) / p.count if p.count else Decimal(p.effort_minutes)
        effort = each.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP).normalize() + 0
        rows.append(
            (
                p.number,
                p.area,
                p.title,
                ", ".join(p.impact_areas),
                p.count,
                effort,
                hours,
                p.users,
                _money(Decimal(p.staff_minutes) / SIXTY * ws.hourly_cost),
                ws.currency,
                "yes" if p.failure_demand else "no",
                p.status,
                p.first_seen,
                p.last_seen,
                *(by_problem.get(p.id, {}).get(i, 0) for i in range(count)),
            )
        )
    weekly = tuple(
        (w, first.monday + timedelta(weeks=i), *(_week_figures(totals.get(i, [0, 0, 0]), ws)))
        for i, w in enumerate(weeks)
    )
    return Export(
        workspace=ws.name or ws.external_id,
        currency=ws.currency,
        start=start,
        end=end,
        weeks=weeks,
        problems=tuple(rows),
        ideas=_ideas(uow, ws, today),
        weekly=weekly,
    )


def _week_figures(week: list[int], ws: Workspace) -> tuple[int, Decimal, int, Decimal]:
    count, minutes, users = week
    return count, _hours(minutes), users, _money(Decimal(minutes) / SIXTY * ws.hourly_cost)


def _ideas(uow: UnitOfWork, ws: Workspace, today: date) -> tuple[tuple[Any, ...], ...]:
    """Every idea, with its business case over the baseline weeks and its latest decision."""
    assert ws.id is not None
    ideas = sorted(
        (i for i in uow.ideas.list(ws.id, [*Stage], None, limit=10_000) if i.merged_into_id is None),
        key=lambda i: i.number,
    )
    votes = uow.ideas.vote_counts(ws.id, [i.id for i in ideas if i.id is not None])
    start, end = baseline(today)
    rows = []
    for idea in ideas:
        assert idea.id is not None
        linked = uow.ideas.linked_problem_ids(ws.id, idea.id)
        problems = [uow.problems.get_by_id(ws.id, pid) for pid in linked]
        numbers = ", ".join(f"#{p.number}" for p in problems if p is not None)
        saving: Decimal | None = None
        roi: Decimal | None = None
        payback: int | None = None
        if idea.reduction_pct is not None and idea.cost is not None and linked:
            annual = Annual(Decimal(0), 0)
            for t in uow.occurrences.totals(ws.id, linked, start, end).values():
                annual += Annual.of(t, ws.hourly_cost)
            result = idea_return(annual, idea.reduction_pct, idea.cost)
            saving, payback = _money(result.annual_saving), result.payback_weeks
            roi = result.roi.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP) if result.roi is not None else None
        decided: datetime | None = idea.decided_at
        rows.append(
            (
                f"I{idea.number}",
                idea.title,
                idea.stage.value,
                votes.get(idea.id, 0),
                numbers,
                idea.reduction_pct,
                idea.cost,
                saving,
                roi,
                payback,
                idea.decision.value if idea.decision else "",
                idea.decision_reason,
                decided.date() if decided else None,
            )
        )
    return tuple(rows)
