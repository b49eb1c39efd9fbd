"""Domain events: what happened, recorded by handlers and handed to notifiers after a commit."""

from __future__ import annotations

from dataclasses import dataclass

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
