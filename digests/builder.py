"""One forum's week, from tallies the database has already summed: the must-haves, with SPC so owners react to
signals, not to noise."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from bot.impact import SIXTY
from digests.model import TOP, Digest, IdeaLine, ProblemLine, Series, SignalLine
from digests.spc import latest, xmr
from digests.weeks import IsoWeek
from storage.digest_ports import IdeaRowFacts, ProblemFacts, WeekTally
from storage.model import Forum, Workspace
from storage.ports import UnitOfWork

HISTORY = 26  # weeks of counts the SPC reads, the digest's week last
MIN_SERIES = 2  # a problem needs this many weeks since its first tally before its chart says anything


def build_digest(uow: UnitOfWork, workspace: Workspace, forum: Forum, week: IsoWeek, *, unassigned: bool) -> Digest:
    """`unassigned`: the forum also takes ideas filed to no forum (the workspace's first forum does)."""
    assert workspace.id is not None
    areas = forum.area_ids or None
    first = week.previous(HISTORY - 1)
    tallies = uow.digests.weekly(workspace.id, areas, first.monday, HISTORY)
    start, end = week.bounds(workspace.timezone)
    new = uow.digests.new_problems(workspace.id, areas, start, end)
    fixed = uow.digests.fixed(workspace.id, areas, start, end)
    facts = uow.digests.problems(workspace.id, sorted({t.problem_id for t in tallies} - {p.id for p in new + fixed}))
    facts |= {p.id: p for p in new + fixed}
    last = HISTORY - 1
    by_problem: dict[int, dict[int, WeekTally]] = defaultdict(dict)
    for tally in tallies:
        by_problem[tally.problem_id][tally.week] = tally
    this_week = [t for t in tallies if t.week == last]
    minutes = sum(t.staff_minutes for t in this_week)
    hours = Decimal(minutes) / SIXTY

    def line(problem: ProblemFacts, weeks: Iterable[int] = (last,)) -> ProblemLine:
        mine = [by_problem[problem.id][w] for w in weeks if w in by_problem[problem.id]]
        problem_hours = Decimal(sum(t.staff_minutes for t in mine)) / SIXTY
        before = by_problem[problem.id].get(last - 1)
        return ProblemLine(
            number=problem.number,
            title=problem.title,
            area=problem.area,
            count=sum(t.count for t in mine),
            staff_hours=problem_hours,
            users=sum(t.users for t in mine),
            cost=problem_hours * workspace.hourly_cost,
            previous_hours=Decimal(before.staff_minutes if before else 0) / SIXTY,
        )

    ranked = sorted(this_week, key=lambda t: (-t.staff_minutes, -t.count, facts[t.problem_id].number))
    top = tuple(line(facts[t.problem_id]) for t in ranked[:TOP])
    signals, series, history = _trends(by_problem, facts, week, top[0].number if top else None)
    ideas = uow.digests.ideas(workspace.id, forum.id or 0, unassigned, start, end)
    demand = uow.digests.demand(workspace.id, areas, week.monday)
    # The share's numerator counts only the areas whose demand was recorded: same areas, same week.
    failure = [t for t in this_week if facts[t.problem_id].failure_demand]
    counted = [t for t in failure if facts[t.problem_id].area_id in demand] if demand else failure
    notes = []  # trial limits are noted by each rendering, from history_weeks
    if not demand:
        notes.append("Failure-demand share unknown: record the week's contacts with /tally demand #area N.")
    return Digest(
        workspace=workspace.name or workspace.external_id,
        forum_slug=forum.slug,
        forum_name=forum.name,
        week=str(week),
        starts=week.monday,
        ends=week.sunday,
        currency=workspace.currency,
        occurrences=sum(t.count for t in this_week),
        staff_hours=hours,
        cost=hours * workspace.hourly_cost,
        users=sum(t.users for t in this_week),
        failure_demand=sum(t.count for t in counted),
        demand=sum(demand.values()) if demand else None,
        top=top,
        new_problems=tuple(line(p) for p in new),
        signals=signals,
        series=series,
        history_weeks=history,
        ideas_new=_ideas(ideas.new),
        ideas_most_voted=_ideas(ideas.most_voted),
        ideas_awaiting=_ideas(ideas.awaiting),
        ideas_decided=_ideas(ideas.decided),
        fixed=tuple(line(p, range(HISTORY)) for p in fixed),
        notes=tuple(notes),
    )


def _ideas(rows: Sequence[IdeaRowFacts]) -> tuple[IdeaLine, ...]:
    return tuple(IdeaLine(r.number, r.title, r.stage, r.votes, r.decision, r.reason) for r in rows)


def _trends(
    by_problem: dict[int, dict[int, WeekTally]], facts: dict[int, ProblemFacts], week: IsoWeek, top_number: int | None
) -> tuple[tuple[SignalLine, ...], Series | None, int]:
    """SPC on weekly counts per problem and per area, each from its first tally to the digest's week; a signal is
    reported when the digest's week carries one. Also the chart's series: the top problem's, else the forum's."""
    signals: list[SignalLine] = []
    # Sums per week in lists, with the first week that had a tally: a busy forum's weeks are thousands of tallies.
    per_area: dict[str, _Sums] = {}
    overall = _Sums()
    chart_series: Series | None = None
    for pid, weeks in sorted(by_problem.items(), key=lambda kv: facts[kv[0]].number):
        problem = facts[pid]
        area = problem.area or "No area"
        area_sums = per_area.get(area) or per_area.setdefault(area, _Sums())
        first = min(weeks)
        values = [0.0] * (HISTORY - first)
        for w, tally in weeks.items():
            values[w - first] = float(tally.count)
            area_sums.counts[w] += tally.count
            overall.counts[w] += tally.count
        area_sums.seen(first)
        overall.seen(first)
        if len(values) < MIN_SERIES:
            continue
        signal = _latest_signal(f"#{problem.number} {problem.title}", values)
        if signal:
            signals.append(signal)
        if problem.number == top_number:
            chart_series = _chart(f"#{problem.number} {problem.title}: occurrences a week", values, week)
    for area in sorted(per_area):
        values = per_area[area].series()
        if len(values) >= MIN_SERIES and (signal := _latest_signal(f"{area} (area)", values)):
            signals.append(signal)
    everything = overall.series()
    if chart_series is None and len(everything) >= MIN_SERIES:
        chart_series = _chart("All problems: occurrences a week", everything, week)
    signals.sort(key=lambda s: (s.kind != "concern", s.kind != "improvement", s.subject))
    return tuple(signals), chart_series, len(everything)


class _Sums:
    """Counts summed per week (0 is the first of HISTORY), and the first week any tally fell in."""

    __slots__ = ("counts", "first")

    def __init__(self) -> None:
        self.counts = [0] * HISTORY
        self.first = HISTORY

    def seen(self, week: int) -> None:
        self.first = min(self.first, week)

    def series(self) -> list[float]:
        """From the first week with a tally to the digest's week, zeros where nothing was tallied; none without."""
        return [float(c) for c in self.counts[self.first :]]


def _latest_signal(subject: str, values: list[float]) -> SignalLine | None:
    point = latest(values)  # the week's point alone: the same verdict as xmr's chart, without charting every week
    if point.signal is None or point.kind is None:
        return None
    return SignalLine(subject, point.signal.value, point.kind.value, point.signal.label, int(values[-1]))


def _chart(title: str, values: list[float], week: IsoWeek) -> Series:
    labels = tuple(str(week.previous(len(values) - 1 - i)) for i in range(len(values)))
    return Series(title=title, weeks=labels, values=tuple(values), chart=xmr(values))
