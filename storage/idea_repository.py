"""SQL repositories for ideas, forums, review reminders and demand; every query is scoped by workspace."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import ports
from storage import statements as sql
from storage.model import (
    Decision,
    Evidence,
    Idea,
    IdeaChange,
    Platform,
    Stage,
    Workspace,
)
from storage.statements import INSERTS
from storage.tables import (
    DemandRow,
    IdeaChangeRow,
    IdeaEvidenceRow,
    IdeaReviewReminderRow,
    IdeaRow,
    WorkspaceRow,
    utcnow,
)

_CENT = Decimal("0.01")


def _two_places(value: Decimal | None) -> Decimal | None:
    """As NUMERIC(_, 2) keeps it on PostgreSQL (half away from zero), so SQLite and the fakes agree."""
    return None if value is None else Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP)


def _idea(row: Any) -> Idea:
    return Idea(
        id=row.id,
        workspace_id=row.workspace_id,
        number=row.number,
        title=row.title,
        description=row.description,
        proposer_id=row.proposer_id,
        stage=Stage(row.stage),
        decision=Decision(row.decision) if row.decision else None,
        decision_reason=row.decision_reason,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        review_on=row.review_on,
        root_cause=row.root_cause,
        reduction_pct=_two_places(row.reduction_pct),
        cost=_two_places(row.cost),
        outcome=row.outcome,
        merged_into_id=row.merged_into_id,
        forum_id=row.forum_id,
        created_at=row.created_at,
    )


def _idea_values(idea: Idea) -> dict[str, Any]:
    """Everything `save` may change: not the workspace, number or creation time."""
    return {
        "title": idea.title,
        "description": idea.description,
        "proposer_id": idea.proposer_id,
        "stage": Stage(idea.stage).value,
        "decision": Decision(idea.decision).value if idea.decision else None,
        "decision_reason": idea.decision_reason,
        "decided_by": idea.decided_by,
        "decided_at": idea.decided_at,
        "review_on": idea.review_on,
        "root_cause": idea.root_cause,
        "reduction_pct": _two_places(idea.reduction_pct),
        "cost": _two_places(idea.cost),
        "outcome": idea.outcome,
        "merged_into_id": idea.merged_into_id,
        "forum_id": idea.forum_id,
    }


class SqlIdeas(ports.IdeaRepository):
    """Core statements throughout (no ORM identity map to go stale between them)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    def _run(self, statement: Any, params: dict[str, Any] | None = None) -> Any:
        # Rows other repositories added through the ORM (a new workspace) must be there first.
        self.session.flush()
        return self.session.execute(statement, params)

    def next_number(self, workspace_id: int) -> int:
        return int(self._run(sql.NEXT_IDEA_NUMBER, {"ws": workspace_id}).scalar_one())

    def add(self, idea: Idea) -> Idea:
        values = _idea_values(idea)
        values.update(workspace_id=idea.workspace_id, number=idea.number, created_at=idea.created_at or utcnow())
        new_id = self._run(sql.INSERT_IDEA, values).scalar_one()
        return replace(
            idea,
            id=int(new_id),
            created_at=values["created_at"],
            reduction_pct=values["reduction_pct"],
            cost=values["cost"],
        )

    def _one(self, *where: Any) -> Idea | None:
        row = self._run(select(*sql.I.c).where(*where)).first()
        return _idea(row) if row else None

    def get(self, workspace_id: int, number: int) -> Idea | None:
        return self._one(sql.I.c.workspace_id == workspace_id, sql.I.c.number == number)

    def get_by_id(self, workspace_id: int, idea_id: int) -> Idea | None:
        return self._one(sql.I.c.workspace_id == workspace_id, sql.I.c.id == idea_id)

    def save(self, idea: Idea) -> None:
        result = self._run(
            update(sql.I)
            .where(sql.I.c.id == idea.id, sql.I.c.workspace_id == idea.workspace_id)
            .values(**_idea_values(idea))
        )
        if not result.rowcount:
            raise LookupError(f"idea {idea.id} is not in workspace {idea.workspace_id}")

    def _listed(self, workspace_id: int, *where: Any, limit: int) -> list[Idea]:
        i = sql.I.c
        query = (
            select(*sql.I.c)
            .where(i.workspace_id == workspace_id, i.merged_into_id.is_(None), *where)
            .order_by(i.number.desc())
            .limit(limit)
        )
        return [_idea(r) for r in self._run(query)]

    def list(
        self,
        workspace_id: int,
        stages: Iterable[Stage] | None = None,
        decided: bool | None = None,
        limit: int = 50,
    ) -> list[Idea]:
        i = sql.I.c
        where = []
        if stages is not None:
            where.append(i.stage.in_([Stage(s).value for s in stages]))
        if decided is not None:
            where.append(i.decision.is_not(None) if decided else i.decision.is_(None))
        return self._listed(workspace_id, *where, limit=limit)

    def open_ideas(self, workspace_id: int, limit: int = 500) -> list[Idea]:
        i = sql.I.c
        return self._listed(workspace_id, or_(i.decision.is_(None), i.decision == Decision.PARK.value), limit=limit)

    def link(self, workspace_id: int, idea_id: int, problem_id: int) -> None:
        params = {"ws": workspace_id, "idea": idea_id, "problem": problem_id}
        if self._run(sql.link(self.dialect), params).first() is not None:
            return
        if problem_id not in self.linked_problem_ids(workspace_id, idea_id):
            raise LookupError(f"idea {idea_id} or problem {problem_id} is not in workspace {workspace_id}")

    def linked_problem_ids(self, workspace_id: int, idea_id: int) -> list[int]:
        query = (
            select(sql.L.c.problem_id)
            .where(sql.L.c.workspace_id == workspace_id, sql.L.c.idea_id == idea_id)
            .order_by(sql.L.c.id)
        )
        return [int(pid) for pid in self._run(query).scalars()]

    def lock(self, workspace_id: int, idea_id: int) -> None:
        if self.dialect == "postgresql":  # SQLite's writers already go one at a time
            i = IdeaRow.__table__.c  # type: ignore[attr-defined]
            query = select(i.id).where(i.id == idea_id, i.workspace_id == workspace_id).with_for_update()
            self._run(query)

    def vote(self, workspace_id: int, idea_id: int, user_id: str) -> bool:
        params = {"ws": workspace_id, "idea": idea_id, "user": user_id}
        return self._run(sql.vote(self.dialect), params).first() is not None

    def unvote(self, workspace_id: int, idea_id: int, user_id: str) -> bool:
        return bool(self._run(sql.UNVOTE, {"ws": workspace_id, "idea": idea_id, "user": user_id}).rowcount)

    def has_voted(self, workspace_id: int, idea_id: int, user_id: str) -> bool:
        return self._run(sql.HAS_VOTED, {"ws": workspace_id, "idea": idea_id, "user": user_id}).first() is not None

    def vote_counts(self, workspace_id: int, idea_ids: Sequence[int]) -> dict[int, int]:
        counts = dict.fromkeys(idea_ids, 0)
        if counts:
            for idea_id, count in self._run(sql.VOTE_COUNTS, {"ws": workspace_id, "ids": list(counts)}):
                counts[idea_id] = int(count)
        return counts

    def voters(self, workspace_id: int, idea_id: int) -> list[str]:
        v = sql.V.c
        query = select(v.user_id).where(v.workspace_id == workspace_id, v.idea_id == idea_id).order_by(v.id)
        return list(self._run(query).scalars())

    def move_votes(self, workspace_id: int, from_idea_id: int, to_idea_id: int) -> int:
        if from_idea_id == to_idea_id:
            return 0
        if self.get_by_id(workspace_id, to_idea_id) is None:
            raise LookupError(f"idea {to_idea_id} is not in workspace {workspace_id}")
        # Copy, skipping whoever voted for both (or votes for the target meanwhile), then drop the originals.
        params = {"ws": workspace_id, "src": from_idea_id, "dst": to_idea_id}
        moved = len(self._run(sql.move_votes(self.dialect), params).all())
        v = sql.V.c
        self._run(delete(sql.V).where(v.workspace_id == workspace_id, v.idea_id == from_idea_id))
        return moved

    def add_evidence(self, evidence: Evidence) -> Evidence:
        row = IdeaEvidenceRow(
            workspace_id=evidence.workspace_id,
            idea_id=evidence.idea_id,
            text=evidence.text,
            author_id=evidence.author_id,
            at=evidence.at or utcnow(),
        )
        self.session.add(row)
        self.session.flush()
        return replace(evidence, id=row.id, at=row.at)

    def evidence(self, workspace_id: int, idea_id: int) -> list[Evidence]:
        e = IdeaEvidenceRow
        rows = self.session.scalars(
            select(e).where(e.workspace_id == workspace_id, e.idea_id == idea_id).order_by(e.id)
        )
        return [Evidence(r.workspace_id, r.idea_id, r.text, r.author_id, r.at, r.id) for r in rows]

    def add_change(self, change: IdeaChange) -> None:
        self.session.add(
            IdeaChangeRow(
                workspace_id=change.workspace_id,
                idea_id=change.idea_id,
                actor_id=change.actor_id,
                before=change.before,
                after=change.after,
                reason=change.reason,
                at=change.at or utcnow(),
            )
        )
        self.session.flush()

    def changes(self, workspace_id: int, idea_id: int) -> list[IdeaChange]:
        c = IdeaChangeRow
        rows = self.session.scalars(
            select(c).where(c.workspace_id == workspace_id, c.idea_id == idea_id).order_by(c.id)
        )
        return [
            IdeaChange(r.workspace_id, r.idea_id, r.actor_id, r.before, r.after, r.reason, r.at, r.id) for r in rows
        ]

    def for_user(self, workspace_id: int, user_id: str, limit: int = 10) -> list[Idea]:
        v = sql.V.c
        voted = select(v.idea_id).where(v.workspace_id == workspace_id, v.user_id == user_id)
        i = sql.I.c
        return self._listed(workspace_id, or_(i.proposer_id == user_id, i.id.in_(voted)), limit=limit)


class SqlReviewReminders(ports.ReviewReminders):
    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    def due(self, on: date, limit: int = 100) -> list[tuple[Workspace, Idea]]:
        i, w, r = IdeaRow.__table__.c, WorkspaceRow.__table__.c, IdeaReviewReminderRow.__table__.c  # type: ignore[attr-defined]
        reminded = select(r.id).where(r.idea_id == i.id, r.review_on == i.review_on).exists()
        query = (
            select(IdeaRow.__table__, *[c.label(f"ws_{c.name}") for c in WorkspaceRow.__table__.c])  # type: ignore[attr-defined]
            .join(WorkspaceRow.__table__, w.id == i.workspace_id)  # type: ignore[attr-defined]
            .where(i.decision == Decision.EXPERIMENT.value, i.merged_into_id.is_(None), i.review_on <= on, ~reminded)
            .order_by(i.review_on, i.id)
            .limit(limit)
        )
        found = []
        for row in self.session.execute(query):
            data = row._mapping
            ws = Workspace(
                id=data["ws_id"],
                platform=Platform(data["ws_platform"]),
                external_id=data["ws_external_id"],
                name=data["ws_name"],
                hourly_cost=Decimal(data["ws_hourly_cost"]),
                currency=data["ws_currency"],
                timezone=data["ws_timezone"],
                week_start=data["ws_week_start"],
            )
            found.append((ws, _idea(row)))
        return found

    def claim(self, workspace_id: int, idea_id: int, review_on: date) -> bool:
        insert = INSERTS[self.dialect](IdeaReviewReminderRow.__table__)  # type: ignore[attr-defined]
        stmt = (
            insert.values(workspace_id=workspace_id, idea_id=idea_id, review_on=review_on)
            .on_conflict_do_nothing(index_elements=["idea_id", "review_on"])
            .returning(IdeaReviewReminderRow.__table__.c.id)  # type: ignore[attr-defined]
        )
        return self.session.execute(stmt).first() is not None


class SqlDemand(ports.DemandRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(self, workspace_id: int, area_id: int, week_start: date, total: int) -> int | None:
        d = DemandRow.__table__.c  # type: ignore[attr-defined]
        where = (d.workspace_id == workspace_id, d.area_id == area_id, d.week_start == week_start)
        before = self.session.execute(select(d.total).where(*where).with_for_update()).scalar()
        if before is None:
            try:
                with self.session.begin_nested():
                    self.session.execute(
                        DemandRow.__table__.insert().values(  # type: ignore[attr-defined]
                            workspace_id=workspace_id, area_id=area_id, week_start=week_start, total=total
                        )
                    )
                return None
            except IntegrityError:  # recorded at the same moment by someone else: this one replaces it
                before = self.session.execute(select(d.total).where(*where).with_for_update()).scalar()
        self.session.execute(update(DemandRow.__table__).where(*where).values(total=total))  # type: ignore[attr-defined]
        return int(before) if before is not None else None

    def totals(self, workspace_id: int, start: date, end: date) -> dict[int, int]:
        d = DemandRow.__table__.c  # type: ignore[attr-defined]
        query = (
            select(d.area_id, func.sum(d.total))
            .where(d.workspace_id == workspace_id, d.week_start >= start, d.week_start <= end)
            .group_by(d.area_id)
        )
        return {int(area): int(total) for area, total in self.session.execute(query)}
