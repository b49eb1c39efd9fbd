"""Conversation references: where each platform lets Tally post later, without being asked."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.tables import ConversationRefRow


class ConversationStore:
    """Sync store; adapters call it from a worker thread.

    Rows keep no time and are written only when a reference changes, so the store never records
    when someone wrote to Tally (an anonymous report must leave no trace of its reporter).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._last: dict[tuple[str, str, str], dict[str, Any]] = {}

    def remember(
        self, platform: str, tenant_id: str, conversation_id: str, conversation_type: str, reference: dict[str, Any]
    ) -> bool:
        """Upsert; True when something was written."""
        key = (platform, tenant_id, conversation_id)
        if self._last.get(key) == reference:
            return False
        written = False
        for _ in range(2):  # a concurrent first insert loses the race once, then updates
            try:
                with Session(self.engine) as session:
                    row = session.scalars(self._query(*key)).first() or ConversationRefRow(
                        platform=platform, tenant_id=tenant_id, conversation_id=conversation_id
                    )
                    if row.id is None or (row.reference, row.conversation_type) != (reference, conversation_type):
                        row.conversation_type = conversation_type
                        row.reference = reference
                        session.add(row)
                        session.commit()
                        written = True
                break
            except IntegrityError:
                continue
        self._last[key] = reference
        return written

    def find(self, platform: str, tenant_id: str, conversation_id: str) -> dict[str, Any] | None:
        with Session(self.engine) as session:
            row = session.scalars(self._query(platform, tenant_id, conversation_id)).first()
            return dict(row.reference) if row else None

    def list(self, platform: str, tenant_id: str) -> list[tuple[str, str]]:
        """(conversation id, type) pairs known for a tenant."""
        with Session(self.engine) as session:
            rows = session.scalars(
                select(ConversationRefRow).where(
                    ConversationRefRow.platform == platform, ConversationRefRow.tenant_id == tenant_id
                )
            )
            return [(r.conversation_id, r.conversation_type) for r in rows]

    @staticmethod
    def _query(platform: str, tenant_id: str, conversation_id: str):  # type: ignore[no-untyped-def]
        return select(ConversationRefRow).where(
            ConversationRefRow.platform == platform,
            ConversationRefRow.tenant_id == tenant_id,
            ConversationRefRow.conversation_id == conversation_id,
        )
