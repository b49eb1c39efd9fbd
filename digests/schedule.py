"""The scheduled jobs of `tally serve`, on APScheduler 3 with a memory job store in every replica: each forum's
weekly digest at its hour in the workspace's timezone, the forum's agenda a week before it meets, and the
reminders. Only the process that holds the lead runs them, and every post is claimed first, so replicas,
restarts and retries post nothing twice. A sweep each minute sends whatever fell due in the last 24 hours and
was missed (Tally was down, or the lead changed hands)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.meetings import DAYS, digest_time, last_slot, next_meeting
from digests.delivery import DigestDelivery
from digests.weeks import IsoWeek
from storage.leadership import Leadership
from storage.model import Forum, Workspace
from storage.ports import UnitOfWork

log = logging.getLogger("tally.scheduler")

CATCH_UP = timedelta(hours=24)  # a digest missed by more than this is not sent late
AGENDA_AHEAD = timedelta(days=7)

Job = Callable[[], Awaitable[Any]]
AgendaJob = Callable[[Workspace, Forum, str], Awaitable[Any]]  # workspace, forum, the meeting's month "2026-12"
TriageJob = Callable[[Workspace, str], Awaitable[Any]]  # workspace, the ISO week "2026-W47"
TRIAGE_FROM = (0, 9)  # the weekly triage runs from Monday 09:00 where the workspace is


@dataclass(frozen=True)
class Timing:
    lead_seconds: float = 15  # how often the lead is taken or checked: a dead holder is replaced within this
    sweep_seconds: float = 60
    reminder_seconds: float = 900  # 0: no reminder job


class Scheduler:
    def __init__(
        self,
        uow_factory: Callable[..., UnitOfWork],
        leadership: Leadership,
        digests: DigestDelivery,
        *,
        timing: Timing = Timing(),
        reminders: Job | None = None,
        agenda: AgendaJob | None = None,
        triage: TriageJob | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.leadership = leadership
        self.digests = digests
        self.timing = timing
        self.reminders = reminders
        self.agenda = agenda
        self.triage = triage
        self._triaged: set[tuple[int, str]] = set()  # (workspace, week) this process has seen through
        self.clock = clock
        self.leading = False
        self.aps = AsyncIOScheduler(
            timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
        )
        self._forums: tuple[tuple[int, str, int, str, str], ...] = ()
        self._running: set[asyncio.Task[Any]] = set()

    def start(self) -> None:
        now = self.clock()
        self.aps.add_job(self._lead, IntervalTrigger(seconds=self.timing.lead_seconds), id="lead", next_run_time=now)
        sweep = IntervalTrigger(seconds=self.timing.sweep_seconds)
        self.aps.add_job(self.sweep, sweep, id="sweep", next_run_time=now + timedelta(seconds=1))
        if self.reminders is not None and self.timing.reminder_seconds > 0:
            every = IntervalTrigger(seconds=self.timing.reminder_seconds)
            self.aps.add_job(self._led(self.reminders), every, id="reminders")
        self.aps.start()

    async def stop(self, grace: float = 30) -> None:
        """Jobs under way finish (or time out) before the lead is let go, so nobody else takes up their posts."""
        self.aps.shutdown(wait=False)
        self.leading = False
        if self._running:
            await asyncio.wait(self._running, timeout=grace)
        await asyncio.to_thread(self.leadership.release)

    async def rebuild(self) -> list[tuple[Workspace, Forum]]:
        """Each forum's weekly digest job, from the database: at start, on taking the lead, when settings change.
        Returns the forums it read."""
        scheduled = await asyncio.to_thread(self._scheduled)
        forums = tuple(
            (ws.id or 0, forum.slug, forum.digest_day, forum.digest_time, ws.timezone) for ws, forum in scheduled
        )
        if forums == self._forums:
            return scheduled
        for job in self.aps.get_jobs():
            if job.id.startswith("digest:"):
                job.remove()
        for workspace_id, slug, day, hhmm, timezone in forums:
            at = digest_time(hhmm)
            trigger = CronTrigger(day_of_week=DAYS[day], hour=at.hour, minute=at.minute, timezone=timezone)
            weekly = self._weekly(workspace_id, slug, timezone, day, hhmm)
            self.aps.add_job(self._led(weekly), trigger, id=f"digest:{workspace_id}:{slug}")
        self._forums = forums
        log.info("scheduled the weekly digest of %d forum(s)", len(forums))
        return scheduled

    async def sweep(self) -> None:
        """Send what fell due in the last 24 hours and isn't recorded as sent; the claim makes a repeat harmless."""
        if not self.leading:
            return
        scheduled = await self.rebuild()
        now = self.clock()
        for workspace, forum in scheduled:
            assert workspace.id is not None
            slot = last_slot(now, workspace.timezone, forum.digest_day, forum.digest_time)
            if now - slot <= CATCH_UP:
                week = IsoWeek.of(slot.date()).previous()
                await self._safely(self.digests.deliver(workspace.id, forum.slug, week), f"{forum.slug} digest")
            if self.agenda is not None:
                await self._agenda_if_due(workspace, forum, now)
        if self.triage is not None:
            await self._triage(now)

    async def _triage(self, now: datetime) -> None:
        """Each workspace's ideas once a week; the job claims its week, so another replica's run is harmless."""
        assert self.triage is not None
        for workspace in await asyncio.to_thread(self._workspaces):
            local = now.astimezone(ZoneInfo(workspace.timezone))
            week = str(IsoWeek.of(local.date()))
            if (local.weekday(), local.hour) < TRIAGE_FROM or (workspace.id or 0, week) in self._triaged:
                continue
            await self._safely(self.triage(workspace, week), "idea triage")
            self._triaged.add((workspace.id or 0, week))

    async def _agenda_if_due(self, workspace: Workspace, forum: Forum, now: datetime) -> None:
        local = now.astimezone(ZoneInfo(workspace.timezone))
        meeting = next_meeting(local.date(), forum.meets)
        if meeting is None or self.agenda is None:
            return
        due = datetime.combine(meeting - AGENDA_AHEAD, digest_time(forum.digest_time), ZoneInfo(workspace.timezone))
        if due <= local <= due + CATCH_UP:
            await self._safely(self.agenda(workspace, forum, f"{meeting:%Y-%m}"), f"{forum.slug} agenda")

    def _weekly(self, workspace_id: int, slug: str, timezone: str, day: int, hhmm: str) -> Job:
        async def job() -> None:
            # The week before the slot's, as the sweep reckons it: a run fired late still names the same week.
            slot = last_slot(self.clock(), timezone, day, hhmm)
            await self._safely(self.digests.deliver(workspace_id, slug, IsoWeek.of(slot.date()).previous()), slug)

        return job

    def _led(self, job: Job) -> Job:
        """Only the process holding the lead runs a job."""

        async def led() -> None:
            if self.leading:
                await self._safely(job(), "scheduled job")

        return led

    async def _lead(self) -> None:
        was = self.leading
        try:
            # A check that doesn't answer within two rounds counts as a lost lead: another replica may have it.
            check = asyncio.to_thread(self.leadership.try_lead)
            self.leading = await asyncio.wait_for(check, timeout=2 * self.timing.lead_seconds)
        except Exception:  # noqa: BLE001 - the database is away: lead nothing until it answers
            log.warning("could not reach the database to take the scheduler's lead", exc_info=True)
            self.leading = False
        if self.leading and not was:
            log.info("this process now runs the scheduled jobs")
            await self.sweep()
        elif was and not self.leading:
            log.warning("this process no longer runs the scheduled jobs")

    async def _safely(self, work: Awaitable[Any], what: str) -> None:
        task = asyncio.ensure_future(work)
        self._running.add(task)
        try:
            await task
        except Exception:  # noqa: BLE001 - one forum's failure must not stop the others; the next run retries
            log.exception("the %s job failed", what)
        finally:
            self._running.discard(task)

    def _workspaces(self) -> list[Workspace]:
        with self.uow_factory(write=False) as uow:
            return uow.workspaces.all()

    def _scheduled(self) -> list[tuple[Workspace, Forum]]:
        with self.uow_factory(write=False) as uow:
            return uow.forums.scheduled()
