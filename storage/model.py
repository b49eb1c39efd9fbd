"""Plain domain records, so the core never touches SQLModel rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum


class Platform(StrEnum):
    SLACK = "slack"
    TEAMS = "teams"
    CONSOLE = "console"


class Status(StrEnum):
    OPEN = "open"
    INVESTIGATING = "investigating"
    FIXED = "fixed"
    WONT_FIX = "wontfix"
    MERGED = "merged"

    @property
    def label(self) -> str:
        return {"wontfix": "won't fix"}.get(self.value, self.value)

    @property
    def is_open(self) -> bool:
        return self in (Status.OPEN, Status.INVESTIGATING)


STATUSES = {s.value: s for s in Status}  # stored value -> Status: a dict lookup, where calling the enum costs ~1 µs


class ImpactArea(StrEnum):
    COST = "cost"
    DELIVERY = "delivery"
    QUALITY = "quality"
    PEOPLE = "people"


@dataclass
class Workspace:
    id: int
    platform: Platform
    external_id: str
    name: str = ""
    hourly_cost: Decimal = Decimal("25")
    currency: str = "GBP"
    timezone: str = "Europe/London"
    week_start: int = 0  # 0 = Monday, as datetime.weekday()


@dataclass(frozen=True)
class WorkspaceDefaults:
    """Settings a new workspace starts with (from TALLY_* variables)."""

    hourly_cost: Decimal = Decimal("25")
    currency: str = "GBP"
    timezone: str = "Europe/London"


@dataclass
class Area:
    id: int
    workspace_id: int
    name: str
    slug: str


@dataclass
class Problem:
    workspace_id: int
    number: int
    title: str
    description: str = ""
    area_id: int | None = None
    impact_areas: tuple[ImpactArea, ...] = ()
    effort_minutes: int = 0
    users_per_occurrence: int = 1
    failure_demand: bool = False
    status: Status = Status.OPEN
    merged_into_id: int | None = None
    reporter_id: str | None = None
    created_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class OpenProblems:
    """An area's newest open problems, newest first: what a new report is compared with. `key` names the area
    (its database's source, workspace id, area id); `version` changes whenever the set does, so a reader may keep
    what it worked out from it."""

    key: tuple[int, int, int | None]
    version: tuple[int, ...]
    problems: tuple[Problem, ...]
    # Set when this version is `grew_from`'s problems with `added` put in (and the window's oldest let go, if it
    # was full): a reader at `grew_from` may apply just that.
    grew_from: tuple[int, ...] | None = None
    added: tuple[Problem, ...] = ()


@dataclass
class Occurrence:
    workspace_id: int
    problem_id: int
    occurred_on: date
    count: int = 1
    effort_minutes: int = 0
    users_affected: int = 1
    reporter_id: str | None = None
    note: str = ""
    delivery_id: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class Totals:
    """A tally over some period: occurrences, staff minutes and users affected."""

    count: int = 0
    staff_minutes: int = 0
    users_affected: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.count + other.count,
            self.staff_minutes + other.staff_minutes,
            self.users_affected + other.users_affected,
        )


@dataclass
class AuditEvent:
    workspace_id: int
    action: str
    subject: str
    actor_id: str | None = None
    detail: dict = field(default_factory=dict)
    at: datetime | None = None


# Ideas and the '3 I' forum (Information -> Insight -> Improve) ----------------------------------


class Stage(StrEnum):
    INFORMATION = "information"
    INSIGHT = "insight"
    IMPROVE = "improve"


class Decision(StrEnum):
    APPROVE = "approve"
    EXPERIMENT = "experiment"
    REJECT = "reject"
    PARK = "park"
    DONE = "done"


@dataclass
class Forum:
    workspace_id: int
    slug: str
    name: str
    destination: str | None = None  # channel / conversation id for digests
    area_ids: tuple[int, ...] = ()  # empty: every process area
    meets: str = "first-tue"
    digest_day: int = 0  # 0 = Monday, as datetime.weekday()
    digest_time: str = "09:00"
    id: int | None = None


@dataclass
class Idea:
    workspace_id: int
    number: int
    title: str
    description: str = ""
    proposer_id: str | None = None  # None: proposed anonymously
    stage: Stage = Stage.INFORMATION
    decision: Decision | None = None
    decision_reason: str = ""
    decided_by: str | None = None
    decided_at: datetime | None = None
    review_on: date | None = None
    root_cause: str = ""
    reduction_pct: Decimal | None = None
    cost: Decimal | None = None
    outcome: str = ""  # what the change achieved (recorded with 'done')
    merged_into_id: int | None = None
    forum_id: int | None = None
    created_at: datetime | None = None
    id: int | None = None


@dataclass
class Evidence:
    workspace_id: int
    idea_id: int
    text: str
    author_id: str | None = None
    at: datetime | None = None
    id: int | None = None


@dataclass
class IdeaChange:
    """The stage and decision history: who, when, from, to, why."""

    workspace_id: int
    idea_id: int
    actor_id: str | None
    before: str
    after: str
    reason: str = ""
    at: datetime | None = None
    id: int | None = None
