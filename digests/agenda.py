"""The forum's agenda, posted to its destination a week before it meets: claimed first, so it is posted once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime

from bot.commands import WorkspaceRef
from bot.replies import Reply, Target
from digests.delivery import STALE_CLAIM, record
from digests.model import Kind
from storage.model import Forum, Workspace
from storage.ports import UnitOfWork

log = logging.getLogger("tally.agenda")


class AgendaDelivery:
    def __init__(
        self,
        uow_factory: Callable[..., UnitOfWork],
        agenda: Callable[[WorkspaceRef, str], Awaitable[Reply]],
        send: Callable[[WorkspaceRef, Reply], Awaitable[None]],
        me: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.agenda = agenda  # the core's `/tally agenda` answer for the workspace and forum
        self.send = send  # the platform's notifier
        self.me = me
        self.clock = clock

    async def __call__(self, workspace: Workspace, forum: Forum, month: str) -> bool:
        """True when it was posted now. A claim whose post went unrecorded is not posted again: an agenda a week
        ahead is worth less than a repeat."""
        claim = await asyncio.to_thread(self._claim, workspace, forum, month)
        if claim is None:
            return False
        delivery_id, uncertain = claim
        if uncertain:
            await asyncio.to_thread(self._record, lambda uow: uow.deliveries.asked(delivery_id))
            return False
        ref = WorkspaceRef(workspace.platform, workspace.external_id)
        reply = await self.agenda(ref, forum.slug)
        heading = f"{forum.name}: the agenda for the meeting in {month}. {reply.text}"
        try:
            await self.send(ref, replace(reply, text=heading, to=Target.CONVERSATION, recipient=forum.destination))
        except Exception as exc:  # noqa: BLE001 - recorded as failed; the next sweep tries again
            error = str(exc)[:400]
            await asyncio.to_thread(self._record, lambda uow: uow.deliveries.failed(delivery_id, error))
            log.warning("the %s agenda for %s was not posted: %s", forum.slug, month, type(exc).__name__)
            return False
        await asyncio.to_thread(self._record, lambda uow: uow.deliveries.posted(delivery_id, ""))
        return True

    def _claim(self, workspace: Workspace, forum: Forum, month: str) -> tuple[int, bool] | None:
        assert workspace.id is not None and forum.id is not None and forum.destination
        now = self.clock()
        with self.uow_factory(write=True) as uow:
            claim = uow.deliveries.claim(
                workspace.id, forum.id, Kind.AGENDA.value, month, forum.destination, self.me, now, now - STALE_CLAIM
            )
            uow.commit()
        return (claim.delivery.id, claim.uncertain) if claim else None

    def _record(self, change: Callable[[UnitOfWork], None]) -> None:
        record(self.uow_factory, change)
