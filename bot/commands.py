"""Neutral commands: small dataclasses an adapter builds from whatever its platform sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from storage.model import ImpactArea, Platform, Status


@dataclass(frozen=True)
class WorkspaceRef:
    platform: Platform
    external_id: str


@dataclass(frozen=True)
class Actor:
    user_id: str
    is_admin: bool = False


@dataclass(frozen=True)
class DateSpec:
    """A date as typed: an ISO date, or days relative to today in the workspace's timezone."""

    iso: date | None = None
    days_ago: int = 0


TODAY = DateSpec()


@dataclass(frozen=True)
class Command:
    ws: WorkspaceRef
    actor: Actor

    requires_admin = False  # True: the core asks the platform whether the actor is an admin
    writes = True  # False: runs in a read-only unit of work that never waits for a writer
    # True: a few indexed statements for one problem or idea (or a list), cheap enough to run on the event loop when
    # the database is in-process and free (SQLite): capture's hot path, without a thread hand-off. One that runs past
    # the loop's budget runs again on a thread (ports.NotQuick).
    quick = False


@dataclass(frozen=True)
class ReportProblem(Command):
    quick = True
    text: str = ""
    area: str | None = None
    count: int = 1
    effort_minutes: int | None = None
    users: int | None = None
    impacts: tuple[ImpactArea, ...] = ()
    failure_demand: bool = False
    anonymous: bool = False
    when: DateSpec = TODAY
    delivery_id: str | None = None
    skip_duplicate_check: bool = False


@dataclass(frozen=True)
class LogOccurrence(Command):
    quick = True
    number: int = 0
    count: int = 1
    effort_minutes: int | None = None
    users: int | None = None
    when: DateSpec = TODAY
    anonymous: bool = False
    delivery_id: str | None = None
    note: str = ""


@dataclass(frozen=True)
class ShowProblem(Command):
    quick = True
    writes = False
    number: int = 0


@dataclass(frozen=True)
class ListProblems(Command):
    quick = True
    writes = False
    area: str | None = None
    statuses: tuple[Status, ...] = (Status.OPEN, Status.INVESTIGATING)


@dataclass(frozen=True)
class TopProblems(Command):
    writes = False
    period: str = "week"


@dataclass(frozen=True)
class SetStatus(Command):
    number: int = 0
    status: Status = Status.OPEN
    requires_admin = True  # unless the reporter asks; the core finds out whether they're an admin


@dataclass(frozen=True)
class MergeProblems(Command):
    source: int = 0
    target: int = 0
    requires_admin = True


@dataclass(frozen=True)
class ShowHelp(Command):
    quick = True
    writes = False
    topic: str = "problem"


@dataclass(frozen=True)
class OpenCaptureForm(Command):
    quick = True
    writes = False
    prefill: str = ""


@dataclass(frozen=True)
class SubmitCaptureForm(Command):
    quick = True
    values: dict = field(default_factory=dict)
    delivery_id: str | None = None


@dataclass(frozen=True)
class ShowHome(Command):
    writes = False


@dataclass(frozen=True)
class ClaimFirstOwnership(Command):
    """Whoever installs Tally in a workspace that has no owners yet becomes its first owner."""


@dataclass(frozen=True)
class PressButton(Command):
    """A button on one of Tally's messages was pressed."""

    quick = True

    action: str = ""
    value: str = ""
    delivery_id: str | None = None


# --- ideas and the '3 I' forum ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposeIdea(Command):
    text: str = ""
    problems: tuple[int, ...] = ()  # problem numbers the idea would fix
    anonymous: bool = False
    delivery_id: str | None = None
    skip_duplicate_check: bool = False


@dataclass(frozen=True)
class ShowIdea(Command):
    quick = True
    writes = False
    number: int = 0


@dataclass(frozen=True)
class ListIdeas(Command):
    writes = False
    which: str = "open"  # open, information, insight, improve, decided, all


@dataclass(frozen=True)
class VoteForIdea(Command):
    quick = True
    number: int = 0
    vote: bool = True  # False: take the vote back
    from_card: bool = False  # pressed on the idea's card, which is then updated in place


@dataclass(frozen=True)
class AddEvidence(Command):
    number: int = 0
    text: str = ""


@dataclass(frozen=True)
class RecordRootCause(Command):
    number: int = 0
    text: str = ""


@dataclass(frozen=True)
class EstimateIdea(Command):
    number: int = 0
    reduction_pct: Decimal | None = None
    cost: Decimal | None = None


@dataclass(frozen=True)
class MoveIdea(Command):
    number: int = 0
    stage: str = ""
    reason: str = ""
    requires_admin = True


@dataclass(frozen=True)
class DecideIdea(Command):
    number: int = 0
    decision: str = ""
    reason: str = ""
    review: DateSpec | None = None  # an experiment's review date
    requires_admin = True


@dataclass(frozen=True)
class MergeIdeas(Command):
    source: int = 0
    target: int = 0
    requires_admin = True


@dataclass(frozen=True)
class ShowAgenda(Command):
    writes = False
    forum: str | None = None  # a forum's slug: only its ideas (the first forum's include those of no forum)


@dataclass(frozen=True)
class ShowRoi(Command):
    """`/tally roi [programme-cost N]`: the failure-demand business case, for anyone to read."""

    writes = False
    programme_cost: Decimal | None = None


@dataclass(frozen=True)
class ExportEvidence(Command):
    """`/tally export [csv|xlsx|json] [from DATE] [to DATE]`: the export as a file, sent only to who asked."""

    writes = False
    format: str = "xlsx"
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class ManageOwners(Command):
    change: str = "list"  # list, add or remove
    user_id: str = ""
    requires_admin = True


SYSTEM = WorkspaceRef(Platform.CONSOLE, "(system)")  # jobs that look across workspaces, started by Tally itself
TALLY = Actor("tally")


@dataclass(frozen=True)
class RemindReviews(Command):
    """An experiment's review date has come: remind its workspace's owners, once."""


@dataclass(frozen=True)
class TriageIdeas(Command):
    """The weekly triage of one workspace's ideas, so none waits unseen; `period` (an ISO week) keys it, once."""

    period: str = ""


@dataclass(frozen=True)
class ChangeSetting(Command):
    """`/tally settings hourly-cost 30 | currency GBP | timezone Europe/London`; with no name, show them."""

    name: str = ""  # "", hourly-cost, currency, timezone
    value: str = ""
    requires_admin = True


@dataclass(frozen=True)
class RecordDemand(Command):
    """`/tally demand #area N [YYYY-Www]`: total contacts or cases in a week, failure demand's denominator."""

    area: str = ""
    total: int = 0
    week: date | None = None  # the Monday of an ISO week; None: this week


# --- the workspace's forums and their digests ----------------------------------------------------------------


@dataclass(frozen=True)
class ShowForums(Command):
    """`/tally forum [<slug>]`: the forums (or one), what they cover, where and when their digests go."""

    writes = False
    forum: str | None = None  # a slug; None: every forum
    conversation: str = ""  # where it was asked (the core fills it in), shown as "this conversation"


@dataclass(frozen=True)
class AddForum(Command):
    """`/tally forum new <name> #area [#area …]`."""

    name: str = ""
    areas: tuple[str, ...] = ()  # area names as typed (#benefits -> "Benefits")
    requires_admin = True


@dataclass(frozen=True)
class ChangeForum(Command):
    """`/tally forum [<slug>] here | schedule <day> <HH:MM> | meets <first|…|last>-<day>`."""

    forum: str | None = None  # a slug; None: the workspace's first forum
    setting: str = ""  # here, schedule, meets
    digest_day: int = 0  # schedule: 0 = Monday, as datetime.weekday()
    digest_time: str = ""  # schedule: HH:MM, 24-hour
    meets: str = ""  # meets: e.g. first-tue
    conversation: str = ""  # here: where it was typed (the core fills it in, once the platform says it will do)
    requires_admin = True


@dataclass(frozen=True)
class PreviewDigest(Command):
    """`/tally digest [forum <slug>] [week YYYY-Www]`: the forum's weekly digest, shown only to who asked."""

    writes = False
    forum: str | None = None  # a slug; None: the workspace's first forum
    week: str | None = None  # an ISO week as 2026-W47; None: the last complete week
