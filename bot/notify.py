"""The Notifier port: how the core posts without being asked (digests, decisions to proposers)."""

from __future__ import annotations

from typing import Protocol

from bot.commands import WorkspaceRef
from bot.replies import Reply


class NotDeliverable(Exception):
    """The platform has no way to reach that destination (never installed there, or removed)."""


class Notifier(Protocol):
    async def post(self, workspace: WorkspaceRef, destination: str, reply: Reply) -> None:
        """Post `reply` to a channel or conversation id of `workspace`."""
