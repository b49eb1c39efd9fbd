"""SQL repositories for capture: workspaces, process areas, problems, occurrences and the audit trail."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, cast, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import ports
from storage import statements as sql
from storage.model import (
    STATUSES,
    Area,
    AuditEvent,
    ImpactArea,
    Occurrence,
    OpenProblems,
    Platform,
    Problem,
    Status,
    Totals,
    Workspace,
    WorkspaceDefaults,
)
from storage.open_problems import OpenProblemsCache
from storage.tables import (
    AuditRow,
    OccurrenceRow,
    ProblemRow,
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

    def get(self, workspace_id: int) -> Workspace | None:
        row = self.session.get(WorkspaceRow, workspace_id)
        return _workspace(row) if row else None

    def all(self, limit: int = 1000) -> list[Workspace]:
        rows = self.session.scalars(select(WorkspaceRow).order_by(WorkspaceRow.id).limit(limit))
        return [_workspace(r) for r in rows]

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

    def find_with_area(self, platform: Platform, external_id: str, slug: str) -> tuple[Workspace, Area | None] | None:
        row = self.session.execute(
            sql.WORKSPACE_AND_AREA, {"platform": platform.value, "external_id": external_id, "slug": slug}
        ).first()
        if row is None:
            return None
        area = None if row.area_id is None else Area(id=row.area_id, workspace_id=row.id, name=row.area_name, slug=slug)
        return _workspace(row), area

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


@functools.lru_cache(maxsize=256)
def _impact_areas(stored: str) -> tuple[ImpactArea, ...]:
    """A handful of distinct values, read for every problem of every list."""
    return tuple(ImpactArea(a) for a in stored.split(",") if a)


def _problem(row: ProblemRow) -> Problem:
    return Problem(
        id=row.id,
        workspace_id=row.workspace_id,
        number=row.number,
        title=row.title,
        description=row.description,
        area_id=row.area_id,
        impact_areas=_impact_areas(row.impact_areas),
        effort_minutes=row.effort_minutes,
        users_per_occurrence=row.users_per_occurrence,
        failure_demand=row.failure_demand,
        status=STATUSES[row.status],
        merged_into_id=row.merged_into_id,
        reporter_id=row.reporter_id,
        created_at=row.created_at,
    )


def _problem_fields(problem: Problem) -> dict[str, object]:
    """The columns a problem's owner may change, as stored."""
    return {
        "title": problem.title,
        "description": problem.description,
        "area_id": problem.area_id,
        "impact_areas": ",".join(a.value for a in problem.impact_areas),
        "effort_minutes": problem.effort_minutes,
        "users_per_occurrence": problem.users_per_occurrence,
        "failure_demand": problem.failure_demand,
        "status": problem.status.value,
        "merged_into_id": problem.merged_into_id,
        "reporter_id": problem.reporter_id,
    }


def _copy_problem(problem: Problem, row: ProblemRow) -> None:
    for name, value in _problem_fields(problem).items():
        setattr(row, name, value)


@functools.cache
def _problem_defaults() -> dict[str, object]:
    """Every column's default, taken once from the model (building a row per insert cost more than the insert)."""
    row = ProblemRow(workspace_id=0, number=0, title="")
    return {name: getattr(row, name) for name in sql.PROBLEM_FIELDS}


class SqlProblems(ports.ProblemRepository):
    def __init__(self, session: Session, open_problems: OpenProblemsCache | None = None) -> None:
        self.session = session
        self.open_problems = open_problems or OpenProblemsCache()

    def add(self, problem: Problem) -> Problem:
        values = {
            **_problem_defaults(),
            **_problem_fields(problem),
            "workspace_id": problem.workspace_id,
            "number": problem.number,
        }
        values["created_at"] = problem.created_at or utcnow()  # the command's clock, so a replayed week stays put
        new_id = self.session.execute(sql.INSERT_PROBLEM, values).scalar_one()
        return replace(problem, id=int(new_id), created_at=values["created_at"])

    def get(self, workspace_id: int, number: int, lock: bool = False) -> Problem | None:
        statement = sql.PROBLEM_BY_NUMBER_LOCKED if lock else sql.PROBLEM_BY_NUMBER
        row = self.session.execute(statement, {"ws": workspace_id, "number": number}).first()
        return _problem(row) if row else None

    def get_by_id(self, workspace_id: int, problem_id: int) -> Problem | None:
        row = self.session.get(ProblemRow, problem_id)
        return _problem(row) if row and row.workspace_id == workspace_id else None

    def save(self, problem: Problem) -> None:
        row = self.session.get(ProblemRow, problem.id)
        if row is None or row.workspace_id != problem.workspace_id:
            raise LookupError(f"problem {problem.id} is not in workspace {problem.workspace_id}")
        if row.status != problem.status.value:
            row.status_changed_at = utcnow()  # the digest's "you said, we did" reads the week's fixes by it
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
        wanted = [s.value for s in statuses]
        params: dict[str, Any] = {"ws": workspace_id, "limit": limit, "area": area_id, "reporter": reporter_id}
        params.update((f"st{i}", value) for i, value in enumerate(wanted))
        statement = sql.problems_listed(len(wanted), area_id is not None, reporter_id is not None)
        return [_problem(r) for r in self.session.execute(statement, params)]

    def lock(self, workspace_id: int, problem_id: int) -> None:
        if self.session.get_bind().dialect.name == "postgresql":  # SQLite's writers already go one at a time
            self.session.execute(sql.LOCK_PROBLEM, {"ws": workspace_id, "id": problem_id})

    def open_in_area(self, workspace_id: int, area_id: int | None, limit: int = 500) -> OpenProblems:
        """Kept between units of work and checked against the database each time (storage/open_problems.py)."""
        return self.open_problems.read(self.session, workspace_id, area_id, limit)


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
        dialect = self.session.get_bind().dialect.name
        if occurrence.delivery_id and dialect in sql.INSERTS:
            # One statement, no savepoint: a copy of this delivery already stored (or being stored, which
            # PostgreSQL waits for) makes it insert nothing.
            new_id = self.session.execute(sql.insert_occurrence(dialect), values).scalar()
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
        row = self.session.execute(sql.OCCURRENCE_BY_DELIVERY, {"ws": workspace_id, "delivery": delivery_id}).first()
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
        if not problem_ids:
            return {}
        if len(problem_ids) <= sql.PREPARED_MAX_IDS:  # a card's, a list's or a top ten's: prepared per count
            params: dict[str, Any] = {"ws": workspace_id, "since": since}
            params.update((f"ids{i}", pid) for i, pid in enumerate(problem_ids))
            rows = self.session.execute(sql.totals_of(len(problem_ids)), params)
        else:
            rows = self.session.execute(
                sql.TOTALS_SINCE, {"ws": workspace_id, "ids": list(problem_ids), "since": since}
            )
        return {
            pid: (Totals(int(a or 0), int(b or 0), int(c or 0)), Totals(int(d or 0), int(e or 0), int(f or 0)))
            for pid, a, b, c, d, e, f in rows
        }

    def move(self, workspace_id: int, from_problem_id: int, to_problem_id: int) -> int:
        result = self.session.execute(
            update(OccurrenceRow)
            .where(OccurrenceRow.workspace_id == workspace_id, OccurrenceRow.problem_id == from_problem_id)
            .values(problem_id=to_problem_id)
        )
        return int(result.rowcount or 0)


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
