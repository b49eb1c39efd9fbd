"""The repository and unit-of-work contracts the core relies on; SQL and in-memory fakes implement them."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from storage.business_case_ports import AreaFacts as AreaFacts  # re-exported: the core's view of the facts
from storage.business_case_ports import BusinessCaseRepository
from storage.business_case_ports import IdeaFacts as IdeaFacts
from storage.digest_ports import DeliveryRepository, DigestFacts
from storage.errors import Busy as Busy  # re-exported: where the core and the adapters have always found them
from storage.errors import DuplicateDelivery as DuplicateDelivery
from storage.errors import NotQuick as NotQuick
from storage.errors import Unavailable as Unavailable
from storage.forum_ports import DEFAULT_FORUM_NAME as DEFAULT_FORUM_NAME  # re-exported for the core
from storage.forum_ports import DEFAULT_FORUM_SLUG as DEFAULT_FORUM_SLUG
from storage.forum_ports import ForumRepository
from storage.model import (
    Area,
    AuditEvent,
    Evidence,
    Idea,
    IdeaChange,
    Occurrence,
    OpenProblems,
    Platform,
    Problem,
    Stage,
    Status,
    Totals,
    Workspace,
    WorkspaceDefaults,
)


class WorkspaceRepository(abc.ABC):
    @abc.abstractmethod
    def get_or_create(self, platform: Platform, external_id: str, defaults: WorkspaceDefaults) -> Workspace: ...

    @abc.abstractmethod
    def find(self, platform: Platform, external_id: str) -> Workspace | None:
        """Without creating it: read-only units of work never write."""

    @abc.abstractmethod
    def find_with_area(self, platform: Platform, external_id: str, slug: str) -> tuple[Workspace, Area | None] | None:
        """The workspace and its area of that slug, in one read (a capture's first two); None when there's no such
        workspace."""

    @abc.abstractmethod
    def next_problem_number(self, workspace_id: int) -> int: ...

    @abc.abstractmethod
    def owners(self, workspace_id: int) -> set[str]: ...

    @abc.abstractmethod
    def add_owner(self, workspace_id: int, user_id: str) -> None: ...

    @abc.abstractmethod
    def remove_owner(self, workspace_id: int, user_id: str) -> bool:
        """True if they were an owner and are no longer."""

    def get(self, workspace_id: int) -> Workspace | None:
        """By Tally's own id (scheduled jobs hold ids, not platform ids)."""
        raise NotImplementedError

    def all(self, limit: int = 1000) -> list[Workspace]:
        """Every workspace, oldest first (the CLI picks the only one when none is named)."""
        raise NotImplementedError

    @abc.abstractmethod
    def save_settings(self, workspace: Workspace) -> None:
        """The workspace's hourly cost, currency and timezone, as `workspace` has them."""


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
    def get(self, workspace_id: int, number: int, lock: bool = False) -> Problem | None:
        """`lock`: and hold its row until the unit of work ends, as `lock` does, in the same read."""

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

    @abc.abstractmethod
    def lock(self, workspace_id: int, problem_id: int) -> None:
        """Hold the problem till this unit of work ends: its repeats go one at a time, so no card's total lags."""

    @abc.abstractmethod
    def open_in_area(self, workspace_id: int, area_id: int | None, limit: int = 500) -> OpenProblems:
        """The newest open problems of exactly `area_id` (None: no area): what a new report may duplicate."""


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
    def totals_since(
        self, workspace_id: int, problem_ids: Sequence[int], since: date
    ) -> dict[int, tuple[Totals, Totals]]:
        """(since `since`, all time) per problem id, in one pass: what a card shows."""

    @abc.abstractmethod
    def move(self, workspace_id: int, from_problem_id: int, to_problem_id: int) -> int: ...


class IdeaRepository(abc.ABC):
    """Ideas `I7` (numbered per workspace), their votes, linked problems, evidence and history.

    A merged idea (`merged_into_id` set) is never listed: `list`, `open_ideas` and `for_user` skip it;
    `get` and `get_by_id` still find it, so "I3 was merged into I5" can be said.
    """

    @abc.abstractmethod
    def next_number(self, workspace_id: int) -> int:
        """The workspace's next idea number (1, 2, ...), as next_problem_number does for problems."""

    @abc.abstractmethod
    def add(self, idea: Idea) -> Idea:
        """Stores it; returns it with its id and created_at."""

    @abc.abstractmethod
    def get(self, workspace_id: int, number: int) -> Idea | None: ...

    @abc.abstractmethod
    def get_by_id(self, workspace_id: int, idea_id: int) -> Idea | None: ...

    @abc.abstractmethod
    def save(self, idea: Idea) -> None:
        """Writes every field but workspace, number and created_at; LookupError if not in the workspace."""

    @abc.abstractmethod
    def list(
        self,
        workspace_id: int,
        stages: Iterable[Stage] | None = None,
        decided: bool | None = None,
        limit: int = 50,
    ) -> list[Idea]:
        """Newest first, merged ideas never; `stages` None: every stage; `decided` None: decided or not,
        True: only those with a decision, False: only those without."""

    @abc.abstractmethod
    def open_ideas(self, workspace_id: int, limit: int = 500) -> list[Idea]:
        """Undecided or parked ideas, not merged, newest first: the candidates for "vote for I<n> instead?"."""

    @abc.abstractmethod
    def link(self, workspace_id: int, idea_id: int, problem_id: int) -> None:
        """Idempotent: linking twice keeps one link."""

    @abc.abstractmethod
    def linked_problem_ids(self, workspace_id: int, idea_id: int) -> list[int]:
        """In the order they were linked."""

    @abc.abstractmethod
    def lock(self, workspace_id: int, idea_id: int) -> None:
        """Hold the idea until this unit of work ends: changes to one idea (votes) then happen one after
        another, so each sees every earlier one and a card's count is never behind."""

    @abc.abstractmethod
    def vote(self, workspace_id: int, idea_id: int, user_id: str) -> bool:
        """True if this added a vote; False if they had already voted (or the idea is not in the
        workspace). One vote per person, however many arrive at once."""

    @abc.abstractmethod
    def unvote(self, workspace_id: int, idea_id: int, user_id: str) -> bool:
        """True if a vote was removed."""

    @abc.abstractmethod
    def has_voted(self, workspace_id: int, idea_id: int, user_id: str) -> bool: ...

    @abc.abstractmethod
    def vote_counts(self, workspace_id: int, idea_ids: Sequence[int]) -> dict[int, int]:
        """Votes per idea id; every id asked for is a key (0 when it has none)."""

    @abc.abstractmethod
    def voters(self, workspace_id: int, idea_id: int) -> list[str]:
        """User ids, in the order they voted."""

    @abc.abstractmethod
    def move_votes(self, workspace_id: int, from_idea_id: int, to_idea_id: int) -> int:
        """Merging: every vote for `from` becomes one for `to`, one per person (someone who voted for
        both keeps one); returns how many moved; `from` keeps none."""

    @abc.abstractmethod
    def add_evidence(self, evidence: Evidence) -> Evidence:
        """Stores it; returns it with its id and time."""

    @abc.abstractmethod
    def evidence(self, workspace_id: int, idea_id: int) -> list[Evidence]:
        """Oldest first."""

    @abc.abstractmethod
    def add_change(self, change: IdeaChange) -> None: ...

    @abc.abstractmethod
    def changes(self, workspace_id: int, idea_id: int) -> list[IdeaChange]:
        """Oldest first."""

    @abc.abstractmethod
    def for_user(self, workspace_id: int, user_id: str, limit: int = 10) -> list[Idea]:
        """Ideas they proposed (with their name) or voted for, newest first, merged ones never."""


class DemandRepository(abc.ABC):
    """Total contacts or cases per process area per week: the failure-demand share's denominator."""

    @abc.abstractmethod
    def record(self, workspace_id: int, area_id: int, week_start: date, total: int) -> int | None:
        """Sets the week's total (a second record for the same week replaces it); returns the total it replaced."""

    @abc.abstractmethod
    def totals(self, workspace_id: int, start: date, end: date) -> dict[int, int]:
        """Area id -> recorded demand over the weeks starting in [start, end]; areas with none are absent."""


class ReviewReminders(abc.ABC):
    """Experiments whose review date has come: found across workspaces, each reminder claimed once."""

    @abc.abstractmethod
    def due(self, on: date, limit: int = 100) -> list[tuple[Workspace, Idea]]:
        """Experiments (not merged) reviewed on or before `on` whose reminder for that date isn't claimed."""

    @abc.abstractmethod
    def claim(self, workspace_id: int, idea_id: int, review_on: date) -> bool:
        """True for the one caller that records the reminder; every other (a replica, a retry) gets False."""


class AuditRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, event: AuditEvent) -> None: ...

    @abc.abstractmethod
    def list(self, workspace_id: int, limit: int = 100) -> list[AuditEvent]: ...


class ConversationRepository(abc.ABC):
    """Where a platform lets Tally post unprompted (a Teams conversation reference, as JSON).

    Rows keep no time and are written only when a reference changes, so storage never records when
    someone wrote to Tally (an anonymous report must leave no trace of its reporter).
    """

    @abc.abstractmethod
    def remember(
        self, platform: str, tenant_id: str, conversation_id: str, conversation_type: str, reference: dict[str, Any]
    ) -> bool:
        """Upsert; True when something was written (False when the stored reference is the same)."""

    @abc.abstractmethod
    def find(self, platform: str, tenant_id: str, conversation_id: str) -> dict[str, Any] | None: ...

    @abc.abstractmethod
    def list(self, platform: str, tenant_id: str) -> list[tuple[str, str]]:
        """(conversation id, conversation type) pairs known for a tenant, oldest first."""

    @abc.abstractmethod
    def any_service_reference(self, platform: str, tenant_id: str) -> dict[str, Any] | None:
        """Any stored reference of the tenant (the oldest), e.g. to open a 1:1 chat through its service."""


class SlackInstallationRepository(abc.ABC):
    """Slack installations (tokens encrypted at rest) and one-time OAuth states."""

    @abc.abstractmethod
    def save(self, data: dict[str, Any]) -> None:
        """Upsert by (enterprise, team); `data` is the whole installation, tokens included."""

    @abc.abstractmethod
    def find(self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool) -> dict | None:
        """The installation; a workspace of a Grid org falls back to the org-wide installation."""

    @abc.abstractmethod
    def delete(self, enterprise_id: str | None, team_id: str | None) -> None: ...

    @abc.abstractmethod
    def issue_state(self, state: str, ttl: timedelta = timedelta(minutes=10)) -> None: ...

    @abc.abstractmethod
    def consume_state(self, state: str) -> bool:
        """True once for a state we issued that hasn't expired; it can never be used again."""


class UnitOfWork(abc.ABC):
    """One transaction: everything a handler changes is committed together or not at all.

    It also carries the domain events the core records while handling a command: plain objects that
    storage never inspects. A rollback discards the events recorded since the last commit (a
    rolled-back unit of work dispatches nothing); a commit keeps them until `collect_events`.
    Implementations call `_events_committed()` in commit and `_events_rolled_back()` in rollback.
    """

    workspaces: WorkspaceRepository
    areas: AreaRepository
    problems: ProblemRepository
    occurrences: OccurrenceRepository
    ideas: IdeaRepository
    reviews: ReviewReminders
    demand: DemandRepository
    business_case: BusinessCaseRepository
    forums: ForumRepository
    digests: DigestFacts
    deliveries: DeliveryRepository
    audit: AuditRepository
    conversations: ConversationRepository
    slack_installations: SlackInstallationRepository

    _uncommitted_events: list[object]
    _committed_events: list[object]

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, *exc: object) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...

    def record(self, event: object) -> None:
        """Keep a domain event for dispatch once this unit of work's changes are committed."""
        self._event_lists()[0].append(event)

    def collect_events(self) -> list[object]:
        """Events recorded since the last collect and not rolled back, oldest first; clears them.

        Collect after commit (or after the unit of work has exited): before it, events whose changes
        may still be rolled back come out too.
        """
        uncommitted, committed = self._event_lists()
        events = [*committed, *uncommitted]
        committed.clear()
        uncommitted.clear()
        return events

    def _events_committed(self) -> None:
        uncommitted, committed = self._event_lists()
        committed.extend(uncommitted)
        uncommitted.clear()

    def _events_rolled_back(self) -> None:
        self._event_lists()[0].clear()

    def _event_lists(self) -> tuple[list[object], list[object]]:
        # Lazily, so implementations need not call an __init__ here.
        if not hasattr(self, "_uncommitted_events"):
            self._uncommitted_events, self._committed_events = [], []
        return self._uncommitted_events, self._committed_events
