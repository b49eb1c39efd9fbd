"""Posting a forum's digest exactly once: the delivery row is claimed before posting and records the platform's
message id after. A claim that never recorded its post is looked for before anything is posted again, and when
the platform can't say, the forum's owners are asked instead of guessing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.commands import WorkspaceRef
from bot.replies import Reply, ReplyKind, Target
from digests.builder import build_digest
from digests.model import Digest, Kind
from digests.weeks import IsoWeek
from storage.digest_ports import Claim, Delivery, DeliveryStatus
from storage.model import Forum, Platform, Workspace
from storage.ports import UnitOfWork

log = logging.getLogger("tally.digests")

STALE_CLAIM = timedelta(minutes=10)  # our own claim older than this is taken as abandoned (a crash mid-post)


class CannotLook(Exception):
    """The platform can't tell whether an earlier post is there (no history to read)."""


class PostFailed(Exception):
    """The platform refused the post after its retries: the next run tries again."""


class PostUnsure(Exception):
    """The platform didn't answer (a timeout, a dropped connection): the post may have been made. The claim stays;
    once it is stale the next run looks for the post before posting."""


class DigestPoster(Protocol):
    """What a platform adapter does for scheduled posts."""

    async def post_digest(self, workspace: Workspace, destination: str, digest: Digest, chart: bytes | None) -> str:
        """Post it; the platform's message id. Retries rate limits and server errors itself; PostFailed after."""
        ...

    async def find_digest(self, workspace: Workspace, destination: str, key: str, since: datetime) -> str | None:
        """The message id of a post of `key` made since `since`, or None; CannotLook when history can't be read."""
        ...


class Sent(StrEnum):
    POSTED = "posted"
    FOUND = "found"  # an earlier, unrecorded post was found and recorded: nothing posted again
    ALREADY = "already"  # posted before (or being posted, or left to the owners)
    ASKED = "asked"  # unknown whether an earlier attempt posted it: the owners were asked
    FAILED = "failed"
    NOWHERE = "nowhere"  # the forum has no digest destination yet


@dataclass(frozen=True)
class Outcome:
    sent: Sent
    week: str
    message_id: str | None = None
    detail: str = ""


UnitOfWorkFactory = Callable[..., UnitOfWork]


class DigestDelivery:
    """Builds, claims and posts one forum's digest for one week. Runs on whichever process holds the lead."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        posters: dict[Platform, DigestPoster],
        me: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        notify: Callable[[WorkspaceRef, Sequence[Reply]], Awaitable[int]] | None = None,
        stale_after: timedelta = STALE_CLAIM,
    ) -> None:
        self.uow_factory = uow_factory
        self.posters = posters
        self.me = me
        self.clock = clock
        self.notify = notify  # tells people privately, or a channel; how many it reached (the core's notifiers)
        self.stale_after = stale_after  # a claim not confirmed for this long was abandoned

    async def deliver(self, workspace_id: int, forum_slug: str, week: IsoWeek, *, again: bool = False) -> Outcome:
        """`again`: an owner asked for another post (`tally digest send`), whatever was recorded before."""
        prepared = await asyncio.to_thread(self._prepare, workspace_id, forum_slug, week, again)
        if isinstance(prepared, Outcome):
            return prepared
        workspace, forum, digest, chart = prepared
        claim = await asyncio.to_thread(self._claim, workspace, forum, week, again)
        if claim is None:
            return Outcome(Sent.ALREADY, str(week))
        poster = self.posters.get(workspace.platform)
        if poster is None:
            return await self._failed(claim, week, f"no way to post to {workspace.platform} from this process")
        if claim.uncertain:
            found = await self._look(poster, workspace, forum, claim, digest)
            if found is not None:
                return found
        if not await asyncio.to_thread(self._confirm, claim):
            return Outcome(Sent.ALREADY, str(week), detail="another process took it over")
        try:
            async with asyncio.timeout(self.stale_after.total_seconds() / 2):  # done before anyone takes it over
                message_id = await poster.post_digest(workspace, claim.delivery.destination, digest, chart)
        except PostFailed as exc:
            return await self._failed(claim, week, str(exc))
        except (PostUnsure, TimeoutError) as exc:
            # It may have been posted: the claim stays, and once stale the next run looks before posting.
            log.warning("unsure whether the %s digest for %s was posted: %s", forum.slug, week, type(exc).__name__)
            return Outcome(Sent.FAILED, str(week), detail=str(exc) or "no answer in time")
        await asyncio.to_thread(self._record, lambda uow: uow.deliveries.posted(claim.delivery.id, message_id))
        log.info("posted the %s digest for %s (delivery %d)", forum.slug, week, claim.delivery.id)
        return Outcome(Sent.POSTED, str(week), message_id)

    def preview(self, workspace_id: int, forum_slug: str, week: IsoWeek) -> tuple[Digest, bytes | None]:
        """The digest and its chart, posting nothing (`tally digest preview`)."""
        with self.uow_factory(write=True) as uow:
            workspace, forum, unassigned = _forum(uow, workspace_id, forum_slug)
            uow.commit()  # the first forum may have just been made
            digest = build_digest(uow, workspace, forum, week, unassigned=unassigned)
        return digest, chart_of(digest)

    def _prepare(
        self, workspace_id: int, slug: str, week: IsoWeek, again: bool
    ) -> Outcome | tuple[Workspace, Forum, Digest, bytes | None]:
        """Everything that can fail before anything is claimed, so a failure leaves nothing to clear up; and
        nothing built at all for a digest that is settled (the sweep asks every minute)."""
        with self.uow_factory(write=True) as uow:
            workspace, forum, unassigned = _forum(uow, workspace_id, slug)
            uow.commit()
            if not forum.destination:
                return Outcome(Sent.NOWHERE, str(week), detail=f"forum {forum.slug} has no digest destination")
            assert forum.id is not None
            earlier = uow.deliveries.find(forum.id, Kind.DIGEST.value, str(week))
            if earlier is not None and not again and not self._claimable(earlier):
                return Outcome(Sent.ALREADY, str(week), earlier.message_id)
            digest = build_digest(uow, workspace, forum, week, unassigned=unassigned)
        return workspace, forum, digest, chart_of(digest)

    def _claimable(self, earlier: Delivery) -> bool:
        if earlier.status in (DeliveryStatus.POSTED, DeliveryStatus.ASKED):
            return False
        return earlier.claimed_at is None or earlier.claimed_at < self.clock() - self.stale_after

    def _claim(self, workspace: Workspace, forum: Forum, week: IsoWeek, again: bool) -> Claim | None:
        assert workspace.id is not None and forum.id is not None and forum.destination
        now = self.clock()
        with self.uow_factory(write=True) as uow:
            claim = uow.deliveries.claim(
                workspace.id,
                forum.id,
                Kind.DIGEST.value,
                str(week),
                forum.destination,
                self.me,
                now,
                now - self.stale_after,
            )
            if claim is None and again:
                found = uow.deliveries.find(forum.id, Kind.DIGEST.value, str(week))
                assert found is not None
                claim = Claim(uow.deliveries.reclaim(found.id, self.me, now))
            uow.commit()
        return claim

    def _confirm(self, claim: Claim) -> bool:
        with self.uow_factory(write=True) as uow:
            mine = uow.deliveries.confirm(claim.delivery.id, self.me, self.clock())
            uow.commit()
        return mine

    async def _look(
        self, poster: DigestPoster, workspace: Workspace, forum: Forum, claim: Claim, digest: Digest
    ) -> Outcome | None:
        """An earlier claim never recorded its post: find it where it went, or ask the owners; None when it surely
        isn't there."""
        since = (claim.delivery.claimed_at or self.clock()) - timedelta(days=2)
        try:
            found = await poster.find_digest(workspace, claim.delivery.destination, digest.key, since)
        except CannotLook:
            if await self._ask_owners(workspace, forum, digest):
                await asyncio.to_thread(self._record, lambda uow: uow.deliveries.asked(claim.delivery.id))
                return Outcome(Sent.ASKED, digest.week)
            log.error("nobody could be asked whether the %s digest for %s was posted", forum.slug, digest.week)
            return Outcome(Sent.FAILED, digest.week, detail="unknown whether it was posted; nobody could be asked")
        if found is None:
            return None
        await asyncio.to_thread(self._record, lambda uow: uow.deliveries.posted(claim.delivery.id, found))
        log.info("found the %s digest for %s already posted; recorded it", forum.slug, digest.week)
        return Outcome(Sent.FOUND, digest.week, found)

    async def _ask_owners(self, workspace: Workspace, forum: Forum, digest: Digest) -> int:
        """The owners privately; with none (or none reachable), the forum's own channel. How many were told."""
        if self.notify is None:
            return 0
        owners = await asyncio.to_thread(self._owners, workspace)
        text = (
            f"Tally stopped while posting the {forum.name} digest for {digest.week}, and can't read the conversation "
            "to see whether it arrived. If it isn't there, an admin can send it with "
            f"`tally digest send --forum {forum.slug} --week {digest.week}`; Tally won't post it again by itself."
        )
        ref = WorkspaceRef(workspace.platform, workspace.external_id)
        asked = [Reply(text=text, kind=ReplyKind.NOTICE, to=Target.DIRECT, recipient=o) for o in sorted(owners)]
        told = await self.notify(ref, asked) if asked else 0
        if not told and forum.destination:
            told = await self.notify(ref, [Reply(text=text, to=Target.CONVERSATION, recipient=forum.destination)])
        return told

    async def _failed(self, claim: Claim, week: IsoWeek, error: str) -> Outcome:
        await asyncio.to_thread(self._record, lambda uow: uow.deliveries.failed(claim.delivery.id, error))
        log.warning("the digest for %s was not posted (delivery %d): %s", week, claim.delivery.id, error)
        return Outcome(Sent.FAILED, str(week), detail=error)

    def _owners(self, workspace: Workspace) -> set[str]:
        assert workspace.id is not None
        with self.uow_factory(write=False) as uow:
            return uow.workspaces.owners(workspace.id)

    def _record(self, change: Callable[[UnitOfWork], None]) -> None:
        record(self.uow_factory, change)


def record(uow_factory: UnitOfWorkFactory, change: Callable[[UnitOfWork], None]) -> None:
    """One change to a delivery, committed on its own (each step of a post is recorded as it happens)."""
    with uow_factory(write=True) as uow:
        change(uow)
        uow.commit()


def _forum(uow: UnitOfWork, workspace_id: int, slug: str) -> tuple[Workspace, Forum, bool]:
    workspace = uow.workspaces.get(workspace_id)
    if workspace is None:
        raise LookupError(f"no workspace {workspace_id}")
    default = uow.forums.default(workspace_id)
    forum = uow.forums.get(workspace_id, slug) if slug else default
    if forum is None:
        raise LookupError(f"no forum {slug!r} in workspace {workspace_id}")
    return workspace, forum, forum.id == default.id


def chart_of(digest: Digest) -> bytes | None:
    """matplotlib (and numpy) load on the first chart, not when `tally serve` starts: over a second of start-up."""
    from digests.chart import digest_chart

    return digest_chart(digest)
