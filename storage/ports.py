"""The repository and unit-of-work contracts the core relies on; SQL and in-memory fakes implement them."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from datetime import date

from storage.model import (
    Area,
    AuditEvent,
    Occurrence,
    Platform,
    Problem,
    Status,
    Totals,
    Workspace,
    WorkspaceDefaults,
)


class DuplicateDelivery(Exception):
    """A platform delivered the same event twice; the first one is already stored."""


class WorkspaceRepository(abc.ABC):
    @abc.abstractmethod
    def get_or_create(self, platform: Platform, external_id: str, defaults: WorkspaceDefaults) -> Workspace: ...

    @abc.abstractmethod
    def next_problem_number(self, workspace_id: int) -> int: ...

    @abc.abstractmethod
    def owners(self, workspace_id: int) -> set[str]: ...

    @abc.abstractmethod
    def add_owner(self, workspace_id: int, user_id: str) -> None: ...


class AreaRepository(abc.ABC):
    @abc.abstractmethod
    def by_slug(self, workspace_id: int, slug: str) -> Area | None: ...

    @abc.abstractmethod
    def get(self, workspace_id: int, area_id: int) -> Area | None: ...

    @abc.abstractmethod
    def add(self, workspace_id: int, name: str, slug: str) -> Area: ...

    @abc.abstractmethod
    def list(self, workspace_id: int) -> list[Area]: ...


class ProblemRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, problem: Problem) -> Problem: ...

    @abc.abstractmethod
    def get(self, workspace_id: int, number: int) -> Problem | None: ...

    @abc.abstractmethod
    def get_by_id(self, workspace_id: int, problem_id: int) -> Problem | None: ...

    @abc.abstractmethod
    def save(self, problem: Problem) -> None: ...

    @abc.abstractmethod
    def list(
        self,
        workspace_id: int,
        statuses: Iterable[Status],
        area_id: int | None = None,
        reporter_id: str | None = None,
        limit: int = 50,
    ) -> list[Problem]:
        """Newest first."""


class OccurrenceRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, occurrence: Occurrence) -> Occurrence:
        """Raises DuplicateDelivery when its delivery id is already stored."""

    @abc.abstractmethod
    def by_delivery(self, workspace_id: int, delivery_id: str) -> Occurrence | None: ...

    @abc.abstractmethod
    def totals(
        self,
        workspace_id: int,
        problem_ids: Sequence[int] | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> dict[int, Totals]:
        """Totals per problem id over [start, end], both inclusive and optional."""

    @abc.abstractmethod
    def move(self, workspace_id: int, from_problem_id: int, to_problem_id: int) -> int: ...


class AuditRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, event: AuditEvent) -> None: ...

    @abc.abstractmethod
    def list(self, workspace_id: int, limit: int = 100) -> list[AuditEvent]: ...


class UnitOfWork(abc.ABC):
    """One transaction: everything a handler changes is committed together or not at all."""

    workspaces: WorkspaceRepository
    areas: AreaRepository
    problems: ProblemRepository
    occurrences: OccurrenceRepository
    audit: AuditRepository

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, *exc: object) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...
