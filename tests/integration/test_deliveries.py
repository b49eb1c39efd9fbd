"""The delivery claim on SQLite and PostgreSQL: a scheduled post is claimed before it is posted, once per
(forum, kind, period); an abandoned claim comes back uncertain, a failed one is tried again later."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from storage.digest_ports import DeliveryStatus
from storage.model import Platform, WorkspaceDefaults
from storage.uow import SqlUnitOfWorkFactory

PERIOD = "2026-W47"


def forum(engine) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with SqlUnitOfWorkFactory(engine)() as uow:
        ws = uow.workspaces.get_or_create(Platform.SLACK, "T0DELIVER", WorkspaceDefaults())
        first = uow.forums.default(ws.id)
        uow.commit()
    assert ws.id is not None and first.id is not None
    return ws.id, first.id


def claim(engine, by: str, later: timedelta = timedelta(0), destination: str = "C1"):  # type: ignore[no-untyped-def]
    """A claim `later` after now, taking claims older than ten minutes before that as abandoned."""
    ws, f = forum(engine)
    now = datetime.now(UTC) + later
    with SqlUnitOfWorkFactory(engine)() as uow:
        got = uow.deliveries.claim(ws, f, "digest", PERIOD, destination, by, now, now - timedelta(minutes=10))
        uow.commit()
    return got


def record(engine, change) -> None:  # type: ignore[no-untyped-def]
    with SqlUnitOfWorkFactory(engine)() as uow:
        change(uow)
        uow.commit()


def test_the_first_claim_wins_and_its_own_process_does_not_claim_it_again(engine):
    first = claim(engine, "a")
    assert first is not None and not first.uncertain and first.delivery.status is DeliveryStatus.CLAIMED
    assert claim(engine, "a") is None  # being posted by us right now
    record(engine, lambda uow: uow.deliveries.posted(first.delivery.id, "1700.01"))
    assert claim(engine, "b") is None  # posted: nobody posts it again
    with SqlUnitOfWorkFactory(engine)(write=False) as uow:
        found = uow.deliveries.find(first.delivery.forum_id, "digest", PERIOD)
    assert found is not None and (found.status, found.message_id) == (DeliveryStatus.POSTED, "1700.01")


def test_a_live_claim_is_nobodys_to_take_and_an_abandoned_one_comes_back_uncertain(engine):
    first = claim(engine, "serve")
    assert claim(engine, "cli") is None and claim(engine, "replica", later=timedelta(minutes=9)) is None
    taken = claim(engine, "replica", later=timedelta(minutes=11), destination="C2")
    assert taken is not None and taken.uncertain and taken.delivery.attempts == 2
    assert taken.delivery.destination == "C1"  # looked for where it went, though the forum has moved
    with SqlUnitOfWorkFactory(engine)() as uow:
        assert not uow.deliveries.confirm(first.delivery.id, "serve", datetime.now(UTC))  # the old holder is fenced
        assert uow.deliveries.confirm(taken.delivery.id, "replica", datetime.now(UTC) + timedelta(minutes=11))
        uow.commit()
    assert claim(engine, "third", later=timedelta(minutes=15)) is None  # confirmed at +11: live until +21
    record(engine, lambda uow: uow.deliveries.asked(taken.delivery.id))
    assert claim(engine, "fourth", later=timedelta(hours=2)) is None  # left to the owners


def test_a_failed_delivery_is_tried_again_only_once_its_last_try_is_stale(engine):
    first = claim(engine, "a")
    record(engine, lambda uow: uow.deliveries.failed(first.delivery.id, "channel_not_found"))
    assert claim(engine, "a") is None  # just failed: not again at once
    again = claim(engine, "a", later=timedelta(minutes=11), destination="C2")
    assert again is not None and not again.uncertain  # a refusal means it was not posted: no need to look
    assert again.delivery.destination == "C2"  # so it goes where the forum's digest goes now


def test_many_claims_at_once_from_many_processes_make_one_winner(engine):
    forum(engine)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda n: claim(engine, f"process-{n}"), range(16)))
    assert sum(1 for r in results if r is not None) == 1
