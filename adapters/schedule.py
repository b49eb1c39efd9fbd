"""Builds the scheduler `tally serve` runs: digests, agendas and review reminders, on the lead process only."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from adapters.config import Settings
from bot.commands import SYSTEM, TALLY, RemindReviews, ShowAgenda, TriageIdeas, WorkspaceRef
from bot.core import Core, spelled
from bot.notify import NotDeliverable
from bot.replies import Reply
from digests.agenda import AgendaDelivery
from digests.delivery import DigestDelivery, DigestPoster
from digests.schedule import Scheduler, Timing
from storage.leadership import leadership_for
from storage.model import Platform, Workspace

log = logging.getLogger("tally.scheduler")


def process_name() -> str:
    """Who claimed a delivery: this host and process, and this start of it (a restart is someone else)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:120]


def make_scheduler(
    settings: Settings,
    core: Core,
    engine: Engine,
    posters: dict[Platform, DigestPoster],
    clock: Callable[[], datetime] | None = None,
) -> Scheduler:
    me = process_name()
    uow_factory = core.bus.uow_factory
    now = {"clock": clock} if clock else {}

    async def send(ws: WorkspaceRef, reply: Reply) -> None:
        notifier = core.dispatcher.notifiers.get(Platform(ws.platform))
        if notifier is None:
            raise NotDeliverable(f"no notifier for {ws.platform}")
        await notifier.send(ws, spelled(reply, ws.platform))

    async def tell(ws: WorkspaceRef, replies: Sequence[Reply]) -> int:
        told = 0
        for reply in replies:
            try:
                await send(ws, reply)
                told += 1
            except Exception:  # noqa: BLE001 - one owner unreachable must not stop the others
                log.warning("could not tell an owner about an unrecorded digest", exc_info=True)
        return told

    async def agenda(ws: WorkspaceRef, forum: str) -> Reply:
        return (await core.run_job(ShowAgenda(ws=ws, actor=TALLY, forum=forum))).reply

    async def triage(workspace: Workspace, week: str) -> None:
        ref = WorkspaceRef(workspace.platform, workspace.external_id)
        await core.run_job(TriageIdeas(ws=ref, actor=TALLY, period=week))

    async def reminders() -> None:
        await core.run_job(RemindReviews(ws=SYSTEM, actor=TALLY))

    return Scheduler(
        uow_factory,
        leadership_for(engine),
        DigestDelivery(
            uow_factory, posters, me, notify=tell, stale_after=timedelta(seconds=settings.claim_seconds), **now
        ),
        timing=Timing(settings.lead_seconds, settings.sweep_seconds, settings.reminder_seconds),
        reminders=reminders,
        agenda=AgendaDelivery(uow_factory, agenda, send, me, **now),
        triage=triage,
        **now,
    )
