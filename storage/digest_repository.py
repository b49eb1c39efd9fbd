"""What a forum's digest reads, aggregated in SQL: weekly tallies per problem, the week's new and fixed problems,
demand, and ideas. Every query is scoped by workspace and by the forum's process areas."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, Table, and_, cast, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlmodel import Session

from storage import digest_ports as dp
from storage.tables import AreaRow, DemandRow, IdeaRow, IdeaVoteRow, OccurrenceRow, ProblemRow

OPEN_STATUSES = ("open", "investigating")

# Core tables, not the mapped classes: a statement built from mapped classes goes through the ORM, whose per-row
# loading cost more than SQLite's reading for a forum's thousands of weekly tallies.
AREA: Table = AreaRow.__table__  # type: ignore[attr-defined]
DEMAND: Table = DemandRow.__table__  # type: ignore[attr-defined]
IDEA: Table = IdeaRow.__table__  # type: ignore[attr-defined]
OCCURRENCE: Table = OccurrenceRow.__table__  # type: ignore[attr-defined]
PROBLEM: Table = ProblemRow.__table__  # type: ignore[attr-defined]
VOTE: Table = IdeaVoteRow.__table__  # type: ignore[attr-defined]


class week_index(FunctionElement):  # noqa: N801 - reads as the SQL function it compiles to
    """Whole weeks between a fixed Monday and a date column: the bucket a row's week falls in, in SQL."""

    type = Integer()
    inherit_cache = True


@compiles(week_index, "sqlite")
def _week_index_sqlite(element: week_index, compiler: Any, **kw: Any) -> str:
    column, monday = list(element.clauses)
    return (
        f"CAST((julianday({compiler.process(column, **kw)}) - julianday({compiler.process(monday, **kw)})) / 7"
        " AS INTEGER)"
    )


@compiles(week_index, "postgresql")
def _week_index_postgresql(element: week_index, compiler: Any, **kw: Any) -> str:
    column, monday = list(element.clauses)
    return f"(({compiler.process(column, **kw)} - CAST({compiler.process(monday, **kw)} AS DATE)) / 7)"


def _in_areas(column: Any, area_ids: Sequence[int] | None) -> ColumnElement[bool]:
    """Every area when the forum names none; else those areas (a problem with no area belongs to none of them)."""
    return column.in_(list(area_ids)) if area_ids else and_(True)


def _forum_problems(workspace_id: int, area_ids: Sequence[int] | None) -> Any:
    """The forum's problems, as a subquery: the weeks are read problem by problem, through the occurrence index on
    (workspace, problem, date), so the work follows the forum's rows in those weeks and not the whole history."""
    p = PROBLEM.c
    return select(p.id).where(p.workspace_id == workspace_id, _in_areas(p.area_id, area_ids))


def _first(facts: list[dp.ProblemFacts], limit: int) -> list[dp.ProblemFacts]:
    """Ordered by number here, not in SQL: an ORDER BY number lets a planner walk every problem by number."""
    return sorted(facts, key=lambda f: f.number)[:limit]


class SqlDigestFacts(dp.DigestFacts):
    def __init__(self, session: Session) -> None:
        self.session = session

    def weekly(
        self, workspace_id: int, area_ids: Sequence[int] | None, first_monday: date, weeks: int
    ) -> list[dp.WeekTally]:
        o = OCCURRENCE.c
        count = cast(o.count, BigInteger)
        week = week_index(o.occurred_on, first_monday)
        last = date.fromordinal(first_monday.toordinal() + 7 * weeks - 1)
        query = (
            select(
                o.problem_id,
                week,
                # Sums cast back to integers in SQL (PostgreSQL's sum of a bigint is a numeric), so each row is a
                # tally as it comes: thousands of them in a busy forum's 26 weeks. The columns are NOT NULL.
                *(
                    cast(func.sum(value), BigInteger)
                    for value in (count, count * o.effort_minutes, count * o.users_affected)
                ),
            )
            .where(o.workspace_id == workspace_id, o.occurred_on >= first_monday, o.occurred_on <= last)
            .where(o.problem_id.in_(_forum_problems(workspace_id, area_ids)))
            .group_by(o.problem_id, week)
        )
        return list(map(dp.WeekTally._make, self.session.execute(query).all()))

    def problems(self, workspace_id: int, problem_ids: Sequence[int]) -> dict[int, dp.ProblemFacts]:
        if not problem_ids:
            return {}
        p, a = PROBLEM.c, AREA.c
        # Looked up by id alone, and the workspace checked here: given the workspace too, SQLite (which has no
        # statistics) walks the workspace's problems through an index on it instead of fetching these by id.
        query = (
            select(p.workspace_id, p.id, p.number, p.title, p.area_id, a.name, p.failure_demand, p.status)
            .outerjoin(AREA, a.id == p.area_id)
            .where(p.id.in_(list(problem_ids)))
        )
        return {
            int(pid): dp.ProblemFacts(int(pid), int(n), t, area_id, area or "", bool(fd), st)
            for ws, pid, n, t, area_id, area, fd, st in self.session.execute(query).all()
            if ws == workspace_id
        }

    def new_problems(
        self, workspace_id: int, area_ids: Sequence[int] | None, start: datetime, end: datetime, limit: int = 10
    ) -> list[dp.ProblemFacts]:
        p = PROBLEM.c
        query = self._problem_query(workspace_id).where(
            p.created_at >= start, p.created_at < end, p.merged_into_id.is_(None), _in_areas(p.area_id, area_ids)
        )
        return _first(self._facts(query), limit)

    def fixed(
        self, workspace_id: int, area_ids: Sequence[int] | None, start: datetime, end: datetime, limit: int = 10
    ) -> list[dp.ProblemFacts]:
        p = PROBLEM.c
        query = self._problem_query(workspace_id).where(
            p.status == "fixed",
            p.status_changed_at >= start,
            p.status_changed_at < end,
            _in_areas(p.area_id, area_ids),
        )
        return _first(self._facts(query), limit)

    def demand(self, workspace_id: int, area_ids: Sequence[int] | None, week_start: date) -> dict[int, int]:
        d = DEMAND.c
        query = select(d.area_id, d.total).where(
            d.workspace_id == workspace_id, d.week_start == week_start, _in_areas(d.area_id, area_ids)
        )
        return {int(area): int(total) for area, total in self.session.execute(query)}

    def ideas(
        self,
        workspace_id: int,
        forum_id: int,
        unassigned: bool,
        start: datetime,
        end: datetime,
        limit: int = 5,
    ) -> dp.IdeaFacts:
        i, v = IDEA.c, VOTE.c
        # Votes are counted per idea through the (idea, user) unique index: only the forum's ideas' votes are read,
        # not every vote in the workspace. A vote always carries its idea's workspace.
        votes = select(func.count()).where(v.idea_id == i.id).correlate(IDEA).scalar_subquery()
        mine = i.forum_id == forum_id
        scope = (
            i.workspace_id == workspace_id,
            i.merged_into_id.is_(None),
            or_(mine, i.forum_id.is_(None)) if unassigned else mine,
        )
        base = select(i.number, i.title, i.stage, votes, i.decision, i.decision_reason).where(*scope)
        undecided = i.decision.is_(None)
        # The most voted: joined to their votes and counted once each (the inner join keeps only ideas with votes).
        tally = func.count()
        most_voted = (
            select(i.number, i.title, i.stage, tally, i.decision, i.decision_reason)
            .join(VOTE, v.idea_id == i.id)
            .where(*scope, undecided)
            .group_by(i.id, i.number, i.title, i.stage, i.decision, i.decision_reason)
            .order_by(tally.desc(), i.number)
        )

        def lines(query: Any) -> list[dp.IdeaRowFacts]:
            return [
                dp.IdeaRowFacts(int(n), t, s, int(count or 0), d or "", r or "")
                for n, t, s, count, d, r in self.session.execute(query).all()
            ]

        # The week's new ideas are few: ordered here, so no planner walks every idea by number to find them.
        new = lines(base.where(i.created_at >= start, i.created_at < end))
        return dp.IdeaFacts(
            new=sorted(new, key=lambda line: line.number)[:limit],
            most_voted=lines(most_voted.limit(limit)),
            awaiting=lines(base.where(undecided, i.stage == "improve").order_by(i.number).limit(limit)),
            decided=lines(
                base.where(i.decided_at >= start, i.decided_at < end).order_by(i.decided_at, i.number).limit(limit)
            ),
        )

    def _problem_query(self, workspace_id: int) -> Any:
        p, a = PROBLEM.c, AREA.c
        return (
            select(p.id, p.number, p.title, p.area_id, a.name, p.failure_demand, p.status)
            .outerjoin(AREA, a.id == p.area_id)
            .where(p.workspace_id == workspace_id)
        )

    def _facts(self, query: Any) -> list[dp.ProblemFacts]:
        return [
            dp.ProblemFacts(int(pid), int(n), t, area_id, area or "", bool(fd), st)
            for pid, n, t, area_id, area, fd, st in self.session.execute(query).all()
        ]
