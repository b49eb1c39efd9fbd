"""The export's SQL: one grouped query per question, never a loop over occurrences."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, and_, cast, func, select
from sqlmodel import Session

from storage.export_ports import ExportFacts, ProblemRow
from storage.tables import AreaRow, OccurrenceRow
from storage.tables import ProblemRow as ProblemTable


class SqlExportFacts(ExportFacts):
    def __init__(self, session: Session) -> None:
        self.session = session

    def problems(self, workspace_id: int, start: date, end: date) -> list[ProblemRow]:
        o, p, a = OccurrenceRow, ProblemTable, AreaRow
        count = cast(o.count, BigInteger)
        in_period = (
            select(
                o.problem_id.label("pid"),
                func.sum(count).label("n"),
                func.sum(count * o.effort_minutes).label("minutes"),
                func.sum(count * o.users_affected).label("users"),
            )
            .where(o.workspace_id == workspace_id, o.occurred_on >= start, o.occurred_on <= end)
            .group_by(o.problem_id)
            .subquery()
        )
        ever = (
            select(
                o.problem_id.label("pid"), func.min(o.occurred_on).label("first"), func.max(o.occurred_on).label("last")
            )
            .where(o.workspace_id == workspace_id)
            .group_by(o.problem_id)
            .subquery()
        )
        query = (
            select(
                p.id,
                p.number,
                p.title,
                a.name,
                p.impact_areas,
                p.effort_minutes,
                p.failure_demand,
                p.status,
                p.created_at,
                in_period.c.n,
                in_period.c.minutes,
                in_period.c.users,
                ever.c.first,
                ever.c.last,
            )  # fmt: skip
            .outerjoin(a, a.id == p.area_id)
            .outerjoin(in_period, in_period.c.pid == p.id)
            .outerjoin(ever, ever.c.pid == p.id)
            .where(and_(p.workspace_id == workspace_id, p.merged_into_id.is_(None)))
            .order_by(p.number)
        )
        return [
            ProblemRow(
                id=int(pid),
                number=int(number),
                title=title,
                area=area or "",
                impact_areas=tuple(x for x in (impacts or "").split(",") if x),
                effort_minutes=int(effort or 0),
                failure_demand=bool(fd),
                status=status,
                created_at=created,
                count=int(n or 0),
                staff_minutes=int(minutes or 0),
                users=int(users or 0),
                first_seen=first,
                last_seen=last,
            )  # fmt: skip
            for pid, number, title, area, impacts, effort, fd, status, created, n, minutes, users, first, last in (
                self.session.execute(query)
            )
        ]

    def first_occurrence(self, workspace_id: int) -> date | None:
        query = select(func.min(OccurrenceRow.occurred_on)).where(OccurrenceRow.workspace_id == workspace_id)
        return self.session.execute(query).scalar()
