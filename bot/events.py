"""Domain events: what happened, recorded by handlers and handed to notifiers after a commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.commands import WorkspaceRef
from storage.model import Status


@dataclass(frozen=True)
class ProblemStatusChanged:
    ws: WorkspaceRef
    number: int
    title: str
    before: Status
    after: Status
    reporter_id: str | None  # None for an anonymous report: nobody to tell
    changed_by: str


@dataclass(frozen=True)
class IdeaChanged:
    """An idea moved stage, was decided, or was merged: its proposer and voters are told, with the reason."""

    ws: WorkspaceRef
    number: int
    title: str
    what: str  # "moved to insight", "approved", "merged into I3 …"
    reason: str
    proposer_id: str | None  # None when proposed anonymously: nobody to tell
    voters: tuple[str, ...]
    changed_by: str


@dataclass(frozen=True)
class ExperimentReviewDue:
    """An experiment has reached its review date: the owners decide whether it worked."""

    ws: WorkspaceRef
    number: int
    title: str
    review_on: date
    owners: tuple[str, ...]


@dataclass(frozen=True)
class ScheduleChanged:
    """A forum was added, or its digest destination, schedule or meeting cadence changed, or the workspace's
    timezone: the scheduler rebuilds the workspace's jobs. Nobody is messaged."""

    ws: WorkspaceRef


@dataclass(frozen=True)
class IdeasNeedOwners:
    """The weekly triage: ideas ready to move on from information, and ideas nobody has touched for 30 days."""

    ws: WorkspaceRef
    owners: tuple[str, ...]
    ready: tuple[str, ...]  # "I3 Email the letters (4 votes, evidence)"
    quiet: tuple[str, ...]  # "I5 Fix the printer (no activity for 41 days, at insight)"


@dataclass(frozen=True)
class AgendaCarriedOver:
    """The forum met and left these ideas undecided: they go onto its next agenda, and their people are told."""

    ws: WorkspaceRef
    forum: str
    met_on: date
    next_on: date | None
    ideas: tuple[tuple[str, tuple[str, ...]], ...]  # ("I7 Email the letters", (proposer and voters))
