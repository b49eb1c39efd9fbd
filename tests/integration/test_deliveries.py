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


def claim(engine, by: str, stale: datetime | None = None):  # type: ignore[no-untyped-def]
    ws, f = forum(engine)
    with SqlUnitOfWorkFactory(engine)() as uow:
        got = uow.deliveries.claim(
            ws, f, "digest", PERIOD, "C1", by, stale or datetime.now(UTC) - timedelta(minutes=10)
        )
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


def test_a_claim_of_a_dead_process_comes_back_uncertain_once(engine):
    claim(engine, "dead")
    taken = claim(engine, "alive")
    assert taken is not None and taken.uncertain and taken.delivery.attempts == 2
    assert claim(engine, "alive") is None
    assert claim(engine, "third") is not None  # the one after that died too
    record(engine, lambda uow: uow.deliveries.asked(taken.delivery.id))
    assert claim(engine, "fourth") is None  # left to the owners


def test_a_failed_delivery_is_tried_again_only_once_its_last_try_is_stale(engine):
    first = claim(engine, "a")
    record(engine, lambda uow: uow.deliveries.failed(first.delivery.id, "channel_not_found"))
    assert claim(engine, "a") is None  # just failed: not again at once
    again = claim(engine, "a", stale=datetime.now(UTC) + timedelta(seconds=1))
    assert again is not None and not again.uncertain  # a refusal means it was not posted: no need to look


def test_many_claims_at_once_make_one_winner(engine):
    forum(engine)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda n: claim(engine, "same-process"), range(16)))
    assert sum(1 for r in results if r is not None) == 1
