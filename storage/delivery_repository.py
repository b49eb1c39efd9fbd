"""Scheduled posts claimed in SQL before they are posted: a unique (forum, kind, period) row, so a digest is posted
once whatever retries, restarts and replicas do."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlmodel import Session

from storage.digest_ports import Claim, Delivery, DeliveryRepository, DeliveryStatus
from storage.repository import _INSERTS
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
        self, workspace_id: int, forum_id: int, kind: str, period: str, destination: str, by: str, stale: datetime
    ) -> Claim | None:
        stmt = (
            _INSERTS[self.dialect](D)
            .values(
                workspace_id=workspace_id,
                forum_id=forum_id,
                kind=kind,
                period=period,
                status=DeliveryStatus.CLAIMED.value,
                claimed_at=utcnow(),
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
        failed = (D.c.status == DeliveryStatus.FAILED.value) & (D.c.claimed_at < stale)  # not every minute
        # A claim by another process (only one runs jobs at a time: it died) or an old one of ours.
        abandoned = (D.c.status == DeliveryStatus.CLAIMED.value) & or_(D.c.claimed_by != by, D.c.claimed_at < stale)
        was_failed = row.status == DeliveryStatus.FAILED
        taken = self.session.execute(
            update(D)
            .where(D.c.id == row.id, failed if was_failed else abandoned)
            .values(
                status=DeliveryStatus.CLAIMED.value,
                claimed_at=utcnow(),
                claimed_by=by,
                attempts=D.c.attempts + 1,
                destination=destination,
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

    def posted(self, delivery_id: int, message_id: str) -> None:
        self._set(delivery_id, status=DeliveryStatus.POSTED.value, message_id=message_id[:200], posted_at=utcnow())

    def failed(self, delivery_id: int, error: str) -> None:
        self._set(delivery_id, status=DeliveryStatus.FAILED.value, error=error[:400])

    def asked(self, delivery_id: int) -> None:
        self._set(delivery_id, status=DeliveryStatus.ASKED.value)

    def reclaim(self, delivery_id: int, by: str) -> Delivery:
        self._set(
            delivery_id,
            status=DeliveryStatus.CLAIMED.value,
            claimed_by=by,
            claimed_at=utcnow(),
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
