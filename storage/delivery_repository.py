"""Scheduled posts claimed in SQL before they are posted: a unique (forum, kind, period) row, so a digest is posted
once whatever retries, restarts and replicas do."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session

from storage.digest_ports import Claim, Delivery, DeliveryRepository, DeliveryStatus
from storage.statements import INSERTS
from storage.tables import DeliveryRow, utcnow

D = DeliveryRow.__table__  # type: ignore[attr-defined]


def _delivery(row: DeliveryRow) -> Delivery:
    assert row.id is not None
    return Delivery(
        id=row.id,
        workspace_id=row.workspace_id,
        forum_id=row.forum_id,
        kind=row.kind,
        period=row.period,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        destination=row.destination,
        message_id=row.message_id,
        claimed_by=row.claimed_by,
        claimed_at=row.claimed_at,
        posted_at=row.posted_at,
        error=row.error,
    )


class SqlDeliveries(DeliveryRepository):
    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    def claim(
        self,
        workspace_id: int,
        forum_id: int,
        kind: str,
        period: str,
        destination: str,
        by: str,
        now: datetime,
        stale: datetime,
    ) -> Claim | None:
        stmt = (
            INSERTS[self.dialect](D)
            .values(
                workspace_id=workspace_id,
                forum_id=forum_id,
                kind=kind,
                period=period,
                status=DeliveryStatus.CLAIMED.value,
                claimed_at=now,
                claimed_by=by,
                attempts=1,
                destination=destination,
                error="",
            )
            .on_conflict_do_nothing(index_elements=["forum_id", "kind", "period"])
            .returning(D.c.id)
        )
        if self.session.execute(stmt).first() is not None:
            found = self.find(forum_id, kind, period)
            assert found is not None
            return Claim(found)
        row = self._row(forum_id, kind, period)
        if row is None or row.status in (DeliveryStatus.POSTED, DeliveryStatus.ASKED):
            return None
        # A failed one is tried again, not every minute; a claim that has not been confirmed since `stale` was
        # abandoned (its process died mid-post, or lost the lead): whoever holds it, it is never taken while live.
        was_failed = row.status == DeliveryStatus.FAILED
        status = DeliveryStatus.FAILED if was_failed else DeliveryStatus.CLAIMED
        # A failed post was not made, so it may go elsewhere now; an abandoned one is looked for where it went.
        moved = {"destination": destination} if was_failed else {}
        taken = self.session.execute(
            update(D)
            .where(D.c.id == row.id, D.c.status == status.value, D.c.claimed_at < stale)
            .values(
                status=DeliveryStatus.CLAIMED.value,
                claimed_at=now,
                claimed_by=by,
                attempts=D.c.attempts + 1,
                **moved,
            )
        )
        if not taken.rowcount:
            return None
        self.session.expire_all()
        found = self.find(forum_id, kind, period)
        assert found is not None
        return Claim(found, uncertain=not was_failed)

    def find(self, forum_id: int, kind: str, period: str) -> Delivery | None:
        row = self._row(forum_id, kind, period)
        return _delivery(row) if row else None

    def confirm(self, delivery_id: int, by: str, now: datetime) -> bool:
        result = self.session.execute(
            update(D)
            .where(D.c.id == delivery_id, D.c.status == DeliveryStatus.CLAIMED.value, D.c.claimed_by == by)
            .values(claimed_at=now)
        )
        self.session.expire_all()
        return bool(result.rowcount)

    def posted(self, delivery_id: int, message_id: str) -> None:
        self._set(delivery_id, status=DeliveryStatus.POSTED.value, message_id=message_id[:200], posted_at=utcnow())

    def failed(self, delivery_id: int, error: str) -> None:
        self._set(delivery_id, status=DeliveryStatus.FAILED.value, error=error[:400])

    def asked(self, delivery_id: int) -> None:
        self._set(delivery_id, status=DeliveryStatus.ASKED.value)

    def reclaim(self, delivery_id: int, by: str, now: datetime) -> Delivery:
        self._set(
            delivery_id,
            status=DeliveryStatus.CLAIMED.value,
            claimed_by=by,
            claimed_at=now,
            attempts=D.c.attempts + 1,
        )
        row = self.session.get(DeliveryRow, delivery_id)
        assert row is not None
        return _delivery(row)

    def _set(self, delivery_id: int, **values: object) -> None:
        self.session.execute(update(D).where(D.c.id == delivery_id).values(**values))
        self.session.expire_all()

    def _row(self, forum_id: int, kind: str, period: str) -> DeliveryRow | None:
        query = select(DeliveryRow).where(
            DeliveryRow.forum_id == forum_id, DeliveryRow.kind == kind, DeliveryRow.period == period
        )
        return self.session.scalars(query.execution_options(populate_existing=True)).first()
