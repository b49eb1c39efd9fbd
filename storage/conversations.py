"""Conversation references: where each platform lets Tally post later, without being asked.

The one implementation is `storage.platform_repository.SqlConversations`, reached as `uow.conversations`;
`ConversationStore` runs each call in a unit of work of its own, for callers outside the bus.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from storage.uow import SqlUnitOfWorkFactory


class ConversationStore:
    """Sync store; adapters call it from a worker thread.

    Rows keep no time and are written only when a reference changes, so the store never records
    when someone wrote to Tally (an anonymous report must leave no trace of its reporter).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.units = SqlUnitOfWorkFactory(engine)
        self._last: dict[tuple[str, str, str], dict[str, Any]] = {}

    def remember(
        self, platform: str, tenant_id: str, conversation_id: str, conversation_type: str, reference: dict[str, Any]
    ) -> bool:
        """Upsert; True when something was written."""
        key = (platform, tenant_id, conversation_id)
        if self._last.get(key) == reference:
            return False
        with self.units() as uow:
            written = uow.conversations.remember(platform, tenant_id, conversation_id, conversation_type, reference)
            uow.commit()
        self._last[key] = reference
        return written

    def find(self, platform: str, tenant_id: str, conversation_id: str) -> dict[str, Any] | None:
        with self.units(write=False) as uow:
            return uow.conversations.find(platform, tenant_id, conversation_id)

    def list(self, platform: str, tenant_id: str) -> list[tuple[str, str]]:
        """(conversation id, type) pairs known for a tenant."""
        with self.units(write=False) as uow:
            return uow.conversations.list(platform, tenant_id)

    def any_service_reference(self, platform: str, tenant_id: str) -> dict[str, Any] | None:
        with self.units(write=False) as uow:
            return uow.conversations.any_service_reference(platform, tenant_id)
