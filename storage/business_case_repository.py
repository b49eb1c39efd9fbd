"""The business case's aggregates in SQL: occurrences are summed per area and week by the database, not in Python."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import BigInteger, Date, and_, case, cast, func, literal, select
from sqlmodel import Session

from storage.business_case_ports import AreaFacts, BusinessCaseRepository, IdeaFacts
from storage.model import Totals
from storage.tables import AreaRow, DemandRow, IdeaProblemRow, IdeaRow, OccurrenceRow, ProblemRow

NO_AREA = "No process area"


class SqlBusinessCase(BusinessCaseRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def areas(self, workspace_id: int, weeks: Sequence[date]) -> list[AreaFacts]:
        if not weeks:
            return []
        o, p, d, a = OccurrenceRow.__table__.c, ProblemRow.__table__.c, DemandRow.__table__.c, AreaRow.__table__.c  # type: ignore[attr-defined]
        count = cast(o.count, BigInteger)
        week = case(*((o.occurred_on.between(w, w + timedelta(days=6)), literal(w, Date)) for w in weeks)).label("week")
        dated = (
            select(
                p.area_id.label("area_id"),
                week,
                count.label("n"),
                (count * o.effort_minutes).label("minutes"),
                (count * o.users_affected).label("users"),
            )
            .select_from(OccurrenceRow.__table__.join(ProblemRow.__table__, p.id == o.problem_id))  # type: ignore[attr-defined]
            .where(
                o.workspace_id == workspace_id,
                p.workspace_id == workspace_id,
                p.failure_demand.is_(True),
                o.occurred_on.between(weeks[0], weeks[-1] + timedelta(days=6)),
            )
            .subquery()
        )
        failure = (
            select(
                dated.c.area_id,
                dated.c.week,
                func.sum(dated.c.n).label("n"),
                func.sum(dated.c.minutes).label("minutes"),
                func.sum(dated.c.users).label("users"),
            )
            .group_by(dated.c.area_id, dated.c.week)
            .subquery()
        )
        in_weeks = (d.workspace_id == workspace_id, d.week_start.in_(list(weeks)))
        matched = d.total.isnot(None)
        per_area = select(
            failure.c.area_id,
            func.sum(failure.c.n),
            func.sum(failure.c.minutes),
            func.sum(failure.c.users),
            func.sum(case((matched, failure.c.n), else_=0)),
        ).select_from(
            failure.outerjoin(
                DemandRow.__table__,
                and_(  # type: ignore[attr-defined]
                    d.area_id == failure.c.area_id, d.week_start == failure.c.week, *in_weeks
                ),
            )
        )
        failures = {
            area: (Totals(int(n or 0), int(m or 0), int(u or 0)), int(hit or 0))
            for area, n, m, u, hit in self.session.execute(per_area.group_by(failure.c.area_id))
        }
        demand = dict(
            self.session.execute(select(d.area_id, func.sum(d.total)).where(*in_weeks).group_by(d.area_id)).all()
        )
        ids = [i for i in {*failures, *demand} if i is not None]
        names = dict(
            self.session.execute(select(a.id, a.name).where(a.workspace_id == workspace_id, a.id.in_(ids))).all()
        )
        facts = [
            AreaFacts(
                area,
                names.get(area, NO_AREA) if area is not None else NO_AREA,
                int(demand[area]) if area in demand else None,
                *failures.get(area, (Totals(), 0)),
            )
            for area in {*failures, *demand}
        ]
        return sorted(facts, key=lambda f: (f.area_id is None, f.name.lower(), f.area_id or 0))

    def ideas(self, workspace_id: int, decisions: Sequence[str], start: date, end: date) -> list[IdeaFacts]:
        i, link, o = IdeaRow.__table__.c, IdeaProblemRow.__table__.c, OccurrenceRow.__table__.c  # type: ignore[attr-defined]
        rows = self.session.execute(
            select(i.id, i.number, i.title, i.decision, i.reduction_pct, i.cost)
            .where(i.workspace_id == workspace_id, i.merged_into_id.is_(None), i.decision.in_(list(decisions)))
            .order_by(i.number)
        ).all()
        count = cast(o.count, BigInteger)
        totals = self.session.execute(
            select(
                link.idea_id,
                link.problem_id,
                func.sum(count),
                func.sum(count * o.effort_minutes),
                func.sum(count * o.users_affected),
            )
            .select_from(
                IdeaProblemRow.__table__.join(
                    OccurrenceRow.__table__,
                    and_(  # type: ignore[attr-defined]
                        o.problem_id == link.problem_id, o.workspace_id == workspace_id
                    ),
                )
            )
            .where(
                link.workspace_id == workspace_id,
                link.idea_id.in_([r.id for r in rows]),
                o.occurred_on.between(start, end),
            )
            .group_by(link.idea_id, link.problem_id)
            .order_by(link.idea_id, link.problem_id)
        ).all()
        linked: dict[int, list[Totals]] = {}
        for idea_id, _, n, m, u in totals:
            linked.setdefault(idea_id, []).append(Totals(int(n or 0), int(m or 0), int(u or 0)))
        return [
            IdeaFacts(r.number, r.title, r.decision, r.reduction_pct, r.cost, tuple(linked.get(r.id, ()))) for r in rows
        ]
