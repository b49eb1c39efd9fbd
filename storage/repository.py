"""SQL implementations of the repository ports; every query is scoped by workspace."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import BigInteger, cast, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import ports
from storage import statements as sql
from storage.model import (
    Area,
    AuditEvent,
    Decision,
    Evidence,
    Forum,
    Idea,
    IdeaChange,
    ImpactArea,
    Occurrence,
    Platform,
    Problem,
    Stage,
    Status,
    Totals,
    Workspace,
    WorkspaceDefaults,
)
from storage.secrets import TokenCipher
from storage.tables import (
    AreaRow,
    AuditRow,
    ConversationRefRow,
    DemandRow,
    ForumRow,
    IdeaChangeRow,
    IdeaEvidenceRow,
    IdeaReviewReminderRow,
    IdeaRow,
    OccurrenceRow,
    ProblemRow,
    SlackInstallationRow,
    SlackOAuthStateRow,
    WorkspaceOwnerRow,
    WorkspaceRow,
    utcnow,
)


def _workspace(row: WorkspaceRow) -> Workspace:
    return Workspace(
        id=row.id or 0,
        platform=Platform(row.platform),
        external_id=row.external_id,
        name=row.name,
        hourly_cost=Decimal(row.hourly_cost),
        currency=row.currency,
        timezone=row.timezone,
        week_start=row.week_start,
    )


class SqlWorkspaces(ports.WorkspaceRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, platform: Platform, external_id: str) -> Workspace | None:
        row = self.session.execute(
            sql.WORKSPACE_BY_REF, {"platform": platform.value, "external_id": external_id}
        ).first()
        return _workspace(row) if row else None

    def get_or_create(self, platform: Platform, external_id: str, defaults: WorkspaceDefaults) -> Workspace:
        if found := self.find(platform, external_id):
            return found
        # Its first request: a concurrent one may create it too, so insert in a savepoint and re-read.
        try:
            with self.session.begin_nested():
                row = WorkspaceRow(
                    platform=platform.value,
                    external_id=external_id,
                    hourly_cost=defaults.hourly_cost,
                    currency=defaults.currency,
                    timezone=defaults.timezone,
                )
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            created = self.find(platform, external_id)
            assert created is not None, "a workspace that made the insert fail must be there to read"
            return created
        return _workspace(row)

    def save_settings(self, workspace: Workspace) -> None:
        self.session.execute(
            update(WorkspaceRow)
            .where(WorkspaceRow.id == workspace.id)
            .values(
                hourly_cost=workspace.hourly_cost.quantize(Decimal("0.01")),
                currency=workspace.currency,
                timezone=workspace.timezone,
            )
        )

    def next_problem_number(self, workspace_id: int) -> int:
        return int(self.session.execute(sql.NEXT_PROBLEM_NUMBER, {"ws": workspace_id}).scalar_one())

    def owners(self, workspace_id: int) -> set[str]:
        rows = self.session.scalars(
            select(WorkspaceOwnerRow.user_id).where(WorkspaceOwnerRow.workspace_id == workspace_id)
        )
        return set(rows)

    def add_owner(self, workspace_id: int, user_id: str) -> None:
        if user_id not in self.owners(workspace_id):
            self.session.add(WorkspaceOwnerRow(workspace_id=workspace_id, user_id=user_id))
            self.session.flush()

    def remove_owner(self, workspace_id: int, user_id: str) -> bool:
        self.session.flush()  # an owner added in this unit of work
        result = self.session.execute(
            delete(WorkspaceOwnerRow).where(
                WorkspaceOwnerRow.workspace_id == workspace_id, WorkspaceOwnerRow.user_id == user_id
            )
        )
        return bool(result.rowcount)


def _area(row: AreaRow) -> Area:
    return Area(id=row.id or 0, workspace_id=row.workspace_id, name=row.name, slug=row.slug)


class SqlAreas(ports.AreaRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_slug(self, workspace_id: int, slug: str) -> Area | None:
        row = self.session.execute(sql.AREA_BY_SLUG, {"ws": workspace_id, "slug": slug}).first()
        return Area(row.id, row.workspace_id, row.name, row.slug) if row else None

    def get(self, workspace_id: int, area_id: int) -> Area | None:
        row = self.session.get(AreaRow, area_id)
        return _area(row) if row and row.workspace_id == workspace_id else None

    def add(self, workspace_id: int, name: str, slug: str) -> Area:
        row = AreaRow(workspace_id=workspace_id, name=name, slug=slug)
        self.session.add(row)
        self.session.flush()
        return _area(row)

    def list(self, workspace_id: int) -> list[Area]:
        rows = self.session.scalars(select(AreaRow).where(AreaRow.workspace_id == workspace_id).order_by(AreaRow.name))
        return [_area(r) for r in rows]


def _problem(row: ProblemRow) -> Problem:
    return Problem(
        id=row.id,
        workspace_id=row.workspace_id,
        number=row.number,
        title=row.title,
        description=row.description,
        area_id=row.area_id,
        impact_areas=tuple(ImpactArea(a) for a in row.impact_areas.split(",") if a),
        effort_minutes=row.effort_minutes,
        users_per_occurrence=row.users_per_occurrence,
        failure_demand=row.failure_demand,
        status=Status(row.status),
        merged_into_id=row.merged_into_id,
        reporter_id=row.reporter_id,
        created_at=row.created_at,
    )


def _copy_problem(problem: Problem, row: ProblemRow) -> None:
    row.title = problem.title
    row.description = problem.description
    row.area_id = problem.area_id
    row.impact_areas = ",".join(a.value for a in problem.impact_areas)
    row.effort_minutes = problem.effort_minutes
    row.users_per_occurrence = problem.users_per_occurrence
    row.failure_demand = problem.failure_demand
    row.status = problem.status.value
    row.merged_into_id = problem.merged_into_id
    row.reporter_id = problem.reporter_id


class SqlProblems(ports.ProblemRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, problem: Problem) -> Problem:
        row = ProblemRow(workspace_id=problem.workspace_id, number=problem.number, title=problem.title)
        _copy_problem(problem, row)
        values = {c.name: getattr(row, c.name) for c in sql.P.c if c.name != "id"}
        values["created_at"] = utcnow()
        new_id = self.session.execute(sql.INSERT_PROBLEM, values).scalar_one()
        return replace(problem, id=int(new_id), created_at=values["created_at"])

    def get(self, workspace_id: int, number: int) -> Problem | None:
        row = self.session.execute(sql.PROBLEM_BY_NUMBER, {"ws": workspace_id, "number": number}).first()
        return _problem(row) if row else None

    def get_by_id(self, workspace_id: int, problem_id: int) -> Problem | None:
        row = self.session.get(ProblemRow, problem_id)
        return _problem(row) if row and row.workspace_id == workspace_id else None

    def save(self, problem: Problem) -> None:
        row = self.session.get(ProblemRow, problem.id)
        if row is None or row.workspace_id != problem.workspace_id:
            raise LookupError(f"problem {problem.id} is not in workspace {problem.workspace_id}")
        _copy_problem(problem, row)
        self.session.flush()

    def list(
        self,
        workspace_id: int,
        statuses: Iterable[Status],
        area_id: int | None = None,
        reporter_id: str | None = None,
        limit: int = 50,
    ) -> list[Problem]:
        query = select(ProblemRow).where(
            ProblemRow.workspace_id == workspace_id,
            ProblemRow.status.in_([s.value for s in statuses]),
        )
        if area_id is not None:
            query = query.where(ProblemRow.area_id == area_id)
        if reporter_id is not None:
            query = query.where(ProblemRow.reporter_id == reporter_id)
        rows = self.session.scalars(query.order_by(ProblemRow.number.desc()).limit(limit))
        return [_problem(r) for r in rows]

    def open_in_area(self, workspace_id: int, area_id: int | None, limit: int = 500) -> list[Problem]:
        """Plain rows, not ORM objects: the duplicate check reads only words, and reads many."""
        if area_id is None:
            rows = self.session.execute(sql.OPEN_IN_NO_AREA, {"ws": workspace_id, "limit": limit})
        else:
            rows = self.session.execute(sql.OPEN_IN_AREA, {"ws": workspace_id, "area": area_id, "limit": limit})
        return [
            Problem(workspace_id, number, title, description, area_id=area_id, status=Status(status), id=pid)
            for pid, number, title, description, status in rows
        ]


def _occurrence(row: OccurrenceRow) -> Occurrence:
    return Occurrence(
        id=row.id,
        workspace_id=row.workspace_id,
        problem_id=row.problem_id,
        occurred_on=row.occurred_on,
        count=row.count,
        effort_minutes=row.effort_minutes,
        users_affected=row.users_affected,
        reporter_id=row.reporter_id,
        note=row.note,
        delivery_id=row.delivery_id,
    )


_INSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


class SqlOccurrences(ports.OccurrenceRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, occurrence: Occurrence) -> Occurrence:
        values = {
            "workspace_id": occurrence.workspace_id,
            "problem_id": occurrence.problem_id,
            "occurred_on": occurrence.occurred_on,
            "count": occurrence.count,
            "effort_minutes": occurrence.effort_minutes,
            "users_affected": occurrence.users_affected,
            "reporter_id": occurrence.reporter_id,
            "note": occurrence.note,
            "delivery_id": occurrence.delivery_id,
        }
        upsert = _INSERTS.get(self.session.get_bind().dialect.name)
        if occurrence.delivery_id and upsert is not None:
            # One statement, no savepoint: a copy of this delivery already stored (or being stored, which
            # PostgreSQL waits for) makes it insert nothing.
            self.session.flush()  # the problem it belongs to, if that is new
            stmt = (
                upsert(OccurrenceRow)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["workspace_id", "delivery_id"])
                .returning(OccurrenceRow.id)
            )
            new_id = self.session.execute(stmt).scalar()
            if new_id is None:
                raise ports.DuplicateDelivery(occurrence.delivery_id)
            return replace(occurrence, id=int(new_id))
        row = OccurrenceRow(**values)
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError as exc:
            if occurrence.delivery_id and self.by_delivery(occurrence.workspace_id, occurrence.delivery_id):
                raise ports.DuplicateDelivery(occurrence.delivery_id) from exc
            raise
        return _occurrence(row)

    def by_delivery(self, workspace_id: int, delivery_id: str) -> Occurrence | None:
        row = self.session.scalars(
            select(OccurrenceRow).where(
                OccurrenceRow.workspace_id == workspace_id, OccurrenceRow.delivery_id == delivery_id
            )
        ).first()
        return _occurrence(row) if row else None

    def totals(
        self,
        workspace_id: int,
        problem_ids: Sequence[int] | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> dict[int, Totals]:
        o = OccurrenceRow
        count = cast(o.count, BigInteger)  # a million occurrences x a million users overflows 32 bits
        query = select(
            o.problem_id,
            func.sum(count),
            func.sum(count * o.effort_minutes),
            func.sum(count * o.users_affected),
        ).where(o.workspace_id == workspace_id)
        if problem_ids is not None:
            query = query.where(o.problem_id.in_(list(problem_ids)))
        if start is not None:
            query = query.where(o.occurred_on >= start)
        if end is not None:
            query = query.where(o.occurred_on <= end)
        rows = self.session.execute(query.group_by(o.problem_id))
        return {pid: Totals(int(c or 0), int(m or 0), int(u or 0)) for pid, c, m, u in rows}

    def totals_since(
        self, workspace_id: int, problem_ids: Sequence[int], since: date
    ) -> dict[int, tuple[Totals, Totals]]:
        params = {"ws": workspace_id, "ids": list(problem_ids), "since": since}
        return {
            pid: (Totals(int(a or 0), int(b or 0), int(c or 0)), Totals(int(d or 0), int(e or 0), int(f or 0)))
            for pid, a, b, c, d, e, f in self.session.execute(sql.TOTALS_SINCE, params)
        }

    def move(self, workspace_id: int, from_problem_id: int, to_problem_id: int) -> int:
        result = self.session.execute(
            update(OccurrenceRow)
            .where(OccurrenceRow.workspace_id == workspace_id, OccurrenceRow.problem_id == from_problem_id)
            .values(problem_id=to_problem_id)
        )
        return int(result.rowcount or 0)


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
        values.update(workspace_id=idea.workspace_id, number=idea.number, created_at=utcnow())
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


def _forum(row: ForumRow) -> Forum:
    return Forum(
        workspace_id=row.workspace_id,
        slug=row.slug,
        name=row.name,
        destination=row.destination,
        area_ids=tuple(int(a) for a in row.area_ids),
        meets=row.meets,
        digest_day=row.digest_day,
        digest_time=row.digest_time,
        id=row.id,
    )


def _copy_forum(forum: Forum, row: ForumRow) -> None:
    row.name = forum.name
    row.destination = forum.destination
    row.area_ids = [int(a) for a in forum.area_ids]
    row.meets = forum.meets
    row.digest_day = forum.digest_day
    row.digest_time = forum.digest_time


class SqlForums(ports.ForumRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def _query(self, workspace_id: int):  # type: ignore[no-untyped-def]
        return select(ForumRow).where(ForumRow.workspace_id == workspace_id).order_by(ForumRow.id)

    def default(self, workspace_id: int) -> Forum:
        if first := self.session.scalars(self._query(workspace_id).limit(1)).first():
            return _forum(first)
        # Its first use: a concurrent request may create it too, and then this inserts nothing.
        self.session.flush()
        blank = Forum(workspace_id, ports.DEFAULT_FORUM_SLUG, ports.DEFAULT_FORUM_NAME)
        self.session.execute(
            sql.default_forum(self.session.get_bind().dialect.name),
            {
                "ws": workspace_id,
                "slug": blank.slug,
                "name": blank.name,
                "meets": blank.meets,
                "digest_day": blank.digest_day,
                "digest_time": blank.digest_time,
            },
        )
        created = self.session.scalars(self._query(workspace_id).limit(1)).first()
        assert created is not None, "the insert stored it, or found the one that made it do nothing"
        return _forum(created)

    def list(self, workspace_id: int) -> list[Forum]:
        return [_forum(r) for r in self.session.scalars(self._query(workspace_id))]

    def get(self, workspace_id: int, slug: str) -> Forum | None:
        row = self.session.scalars(self._query(workspace_id).where(ForumRow.slug == slug)).first()
        return _forum(row) if row else None

    def add(self, forum: Forum) -> Forum:
        row = ForumRow(workspace_id=forum.workspace_id, slug=forum.slug, name=forum.name)
        _copy_forum(forum, row)
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError as exc:
            raise ValueError(f"workspace {forum.workspace_id} already has a forum {forum.slug!r}") from exc
        return _forum(row)

    def save(self, forum: Forum) -> None:
        row = self.session.get(ForumRow, forum.id)
        if row is None or row.workspace_id != forum.workspace_id:
            raise LookupError(f"forum {forum.id} is not in workspace {forum.workspace_id}")
        _copy_forum(forum, row)
        self.session.flush()


class SqlAudit(ports.AuditRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, event: AuditEvent) -> None:
        self.session.execute(
            sql.INSERT_AUDIT,
            {
                "workspace_id": event.workspace_id,
                "at": utcnow(),
                "actor_id": event.actor_id,
                "action": event.action,
                "subject": event.subject,
                "detail": event.detail,
            },
        )

    def list(self, workspace_id: int, limit: int = 100) -> list[AuditEvent]:
        rows = self.session.scalars(
            select(AuditRow).where(AuditRow.workspace_id == workspace_id).order_by(AuditRow.id.desc()).limit(limit)
        )
        return [AuditEvent(r.workspace_id, r.action, r.subject, r.actor_id, dict(r.detail), r.at) for r in rows]


class SqlConversations(ports.ConversationRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def remember(
        self, platform: str, tenant_id: str, conversation_id: str, conversation_type: str, reference: dict[str, Any]
    ) -> bool:
        query = self._query(platform, tenant_id, conversation_id)
        row = self.session.scalars(query).first()
        if row is None:
            # A concurrent first message may insert it too: insert in a savepoint, and on losing
            # the race update the row the winner wrote.
            try:
                with self.session.begin_nested():
                    self.session.add(
                        ConversationRefRow(
                            platform=platform,
                            tenant_id=tenant_id,
                            conversation_id=conversation_id,
                            conversation_type=conversation_type,
                            reference=reference,
                        )
                    )
                    self.session.flush()
                return True
            except IntegrityError:
                row = self.session.scalars(query).one()
        if (row.reference, row.conversation_type) == (reference, conversation_type):
            return False
        row.conversation_type = conversation_type
        row.reference = reference
        self.session.add(row)
        self.session.flush()
        return True

    def find(self, platform: str, tenant_id: str, conversation_id: str) -> dict[str, Any] | None:
        row = self.session.scalars(self._query(platform, tenant_id, conversation_id)).first()
        return dict(row.reference) if row else None

    def list(self, platform: str, tenant_id: str) -> list[tuple[str, str]]:
        rows = self.session.scalars(self._tenant(platform, tenant_id).order_by(ConversationRefRow.id))
        return [(r.conversation_id, r.conversation_type) for r in rows]

    def any_service_reference(self, platform: str, tenant_id: str) -> dict[str, Any] | None:
        row = self.session.scalars(self._tenant(platform, tenant_id).order_by(ConversationRefRow.id).limit(1)).first()
        return dict(row.reference) if row else None

    @staticmethod
    def _tenant(platform: str, tenant_id: str):  # type: ignore[no-untyped-def]
        return select(ConversationRefRow).where(
            ConversationRefRow.platform == platform, ConversationRefRow.tenant_id == tenant_id
        )

    @classmethod
    def _query(cls, platform: str, tenant_id: str, conversation_id: str):  # type: ignore[no-untyped-def]
        return cls._tenant(platform, tenant_id).where(ConversationRefRow.conversation_id == conversation_id)


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(type(value).__name__)


class SqlSlackInstallations(ports.SlackInstallationRepository):
    """Install data is encrypted whole; `cipher` may be None where no installation is ever read or saved."""

    def __init__(self, session: Session, cipher: TokenCipher | None) -> None:
        self.session = session
        self._cipher = cipher

    @property
    def cipher(self) -> TokenCipher:
        if self._cipher is None:
            raise RuntimeError("Slack installations need TALLY_SECRET_KEY: no token cipher was configured")
        return self._cipher

    def save(self, data: dict[str, Any]) -> None:
        enterprise_id = data.get("enterprise_id") or ""
        team_id = "" if data.get("is_enterprise_install") else (data.get("team_id") or "")
        sealed = self.cipher.encrypt(json.dumps(data, default=_json_default))
        row = self.session.scalars(self._query(enterprise_id, team_id)).first() or SlackInstallationRow(
            enterprise_id=enterprise_id, team_id=team_id
        )
        row.is_enterprise_install = bool(data.get("is_enterprise_install"))
        row.installer_user_id = data.get("user_id") or ""
        row.bot_user_id = data.get("bot_user_id") or ""
        row.bot_id = data.get("bot_id") or ""
        scopes = data.get("bot_scopes") or ""
        row.bot_scopes = ",".join(scopes) if isinstance(scopes, list | tuple) else str(scopes)
        row.data_encrypted = sealed
        row.installed_at = datetime.now(UTC)
        self.session.add(row)
        self.session.flush()

    def find(self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool) -> dict | None:
        ent = enterprise_id or ""
        team = "" if is_enterprise_install else (team_id or "")
        row = self.session.scalars(self._query(ent, team)).first()
        if row is None and ent and team:
            # A workspace inside a Grid org that installed Tally org-wide.
            row = self.session.scalars(
                select(SlackInstallationRow).where(
                    SlackInstallationRow.enterprise_id == ent, SlackInstallationRow.is_enterprise_install
                )
            ).first()
        if row is None and not ent and team:
            # Asked by team alone (a notification knows only the workspace): a team inside a Grid org.
            row = self.session.scalars(select(SlackInstallationRow).where(SlackInstallationRow.team_id == team)).first()
        return json.loads(self.cipher.decrypt(row.data_encrypted)) if row else None

    def delete(self, enterprise_id: str | None, team_id: str | None) -> None:
        self.session.execute(
            delete(SlackInstallationRow).where(
                SlackInstallationRow.enterprise_id == (enterprise_id or ""),
                SlackInstallationRow.team_id == (team_id or ""),
            )
        )

    def issue_state(self, state: str, ttl: timedelta = timedelta(minutes=10)) -> None:
        self.session.add(SlackOAuthStateRow(state=state, expires_at=datetime.now(UTC) + ttl))
        self.session.flush()

    def consume_state(self, state: str) -> bool:
        # One DELETE ... RETURNING: of two callbacks racing with the same state, only one gets the row.
        expires_at = self.session.execute(
            delete(SlackOAuthStateRow).where(SlackOAuthStateRow.state == state).returning(SlackOAuthStateRow.expires_at)
        ).scalar_one_or_none()
        return expires_at is not None and expires_at > datetime.now(UTC)

    @staticmethod
    def _query(enterprise_id: str, team_id: str):  # type: ignore[no-untyped-def]
        return select(SlackInstallationRow).where(
            SlackInstallationRow.enterprise_id == enterprise_id, SlackInstallationRow.team_id == team_id
        )


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
        insert = _INSERTS[self.dialect](IdeaReviewReminderRow.__table__)  # type: ignore[attr-defined]
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
