"""The contracts of what digests read and how scheduled posts are claimed; SQL implements them."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple


class WeekTally(NamedTuple):
    """One problem's tally in one week, summed in SQL: `week` counts whole weeks from the first Monday asked. A named
    tuple, not a dataclass: a busy forum's 26 weeks are thousands of them, made in a third of the time."""

    problem_id: int
    week: int
    count: int
    staff_minutes: int
    users: int


@dataclass(frozen=True)
class ProblemFacts:
    id: int
    number: int
    title: str
    area_id: int | None
    area: str
    failure_demand: bool
    status: str


@dataclass(frozen=True)
class IdeaRowFacts:
    number: int
    title: str
    stage: str
    votes: int
    decision: str
    reason: str


@dataclass(frozen=True)
class IdeaFacts:
    new: list[IdeaRowFacts]
    most_voted: list[IdeaRowFacts]
    awaiting: list[IdeaRowFacts]
    decided: list[IdeaRowFacts]


class DigestFacts(abc.ABC):
    """What a forum's weekly digest reads, aggregated by the database."""

    @abc.abstractmethod
    def weekly(
        self, workspace_id: int, area_ids: Sequence[int] | None, first_monday: date, weeks: int
    ) -> list[WeekTally]:
        """Per problem and week, from `first_monday` for `weeks` weeks: only (problem, week) pairs with a tally."""

    @abc.abstractmethod
    def problems(self, workspace_id: int, problem_ids: Sequence[int]) -> dict[int, ProblemFacts]: ...

    @abc.abstractmethod
    def new_problems(
        self, workspace_id: int, area_ids: Sequence[int] | None, start: datetime, end: datetime, limit: int = 10
    ) -> list[ProblemFacts]: ...

    @abc.abstractmethod
    def fixed(
        self, workspace_id: int, area_ids: Sequence[int] | None, start: datetime, end: datetime, limit: int = 10
    ) -> list[ProblemFacts]:
        """Marked fixed between start and end (and still fixed)."""

    @abc.abstractmethod
    def demand(self, workspace_id: int, area_ids: Sequence[int] | None, week_start: date) -> dict[int, int]:
        """The week's recorded contacts or cases per area, of those areas that have a record."""

    @abc.abstractmethod
    def ideas(
        self, workspace_id: int, forum_id: int, unassigned: bool, start: datetime, end: datetime, limit: int = 5
    ) -> IdeaFacts:
        """The forum's ideas (with `unassigned`, those of no forum too): new, most voted, awaiting, decided."""


class DeliveryStatus(StrEnum):
    CLAIMED = "claimed"  # being posted; if its process died, whether it was posted is unknown
    POSTED = "posted"  # the platform's message id is recorded
    FAILED = "failed"  # the platform refused it: the next run tries again
    ASKED = "asked"  # unknown whether it was posted: the owners were asked, and it is left to them


@dataclass(frozen=True)
class Delivery:
    id: int
    workspace_id: int
    forum_id: int
    kind: str
    period: str
    status: DeliveryStatus
    attempts: int = 1
    destination: str = ""
    message_id: str | None = None
    claimed_by: str = ""
    claimed_at: datetime | None = None
    posted_at: datetime | None = None
    error: str = ""


@dataclass(frozen=True)
class Claim:
    """A delivery this process may post. `uncertain`: an earlier claim never recorded its post, so look for the
    post before making it again."""

    delivery: Delivery
    uncertain: bool = False


class DeliveryRepository(abc.ABC):
    """Scheduled posts, keyed (forum, kind, period) and claimed before posting: each is posted once."""

    @abc.abstractmethod
    def claim(
        self,
        workspace_id: int,
        forum_id: int,
        kind: str,
        period: str,
        destination: str,
        by: str,
        now: datetime,
        stale: datetime,
    ) -> Claim | None:
        """The delivery's claim for `by`, or None: it was posted, left to the owners, or claimed (or last tried)
        after `stale`, whoever by. A failed delivery older than that is claimed again; a claim last confirmed
        before `stale` was abandoned, and comes back uncertain (look for its post before posting)."""

    @abc.abstractmethod
    def confirm(self, delivery_id: int, by: str, now: datetime) -> bool:
        """Still ours, just before posting (and marked live again); False when another process took it over."""

    @abc.abstractmethod
    def find(self, forum_id: int, kind: str, period: str) -> Delivery | None: ...

    @abc.abstractmethod
    def posted(self, delivery_id: int, message_id: str) -> None: ...

    @abc.abstractmethod
    def failed(self, delivery_id: int, error: str) -> None: ...

    @abc.abstractmethod
    def asked(self, delivery_id: int) -> None: ...

    @abc.abstractmethod
    def reclaim(self, delivery_id: int, by: str, now: datetime) -> Delivery:
        """Claimed again on an owner's say-so (`tally digest send`), whatever it was: they asked for another post."""
