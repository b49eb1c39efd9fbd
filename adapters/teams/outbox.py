"""What Tally sends to Teams outside a turn's own reply: a person's 1:1 chat, a conversation it was added to,
and direct messages; through the connector that shares the process's one HTTP session."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from bot.commands import WorkspaceRef
from bot.notify import NotDeliverable
from bot.replies import Reply, Target
from storage.conversations import ConversationStore

from .ids import ADAPTIVE_CARD

log = logging.getLogger("tally.teams")


class Connector(Protocol):
    async def send_to_conversation(self, service_url: str, conversation_id: str, activity: dict) -> str | None: ...

    async def create_conversation(self, service_url: str, tenant_id: str, bot: dict, user_id: str) -> str: ...

    async def upload(self, upload_url: str, content: bytes) -> None: ...


def card_activity(card: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message", "attachments": [{"contentType": ADAPTIVE_CARD, "content": card}]}


class TeamsOutbox:
    """Also the Teams notifier: `send` takes a reply to a user (DIRECT) or to a conversation id (CONVERSATION)."""

    def __init__(self, connector: Connector, conversations: ConversationStore, render) -> None:  # type: ignore[no-untyped-def]
        self.connector = connector
        self.conversations = conversations
        self.render = render  # Reply -> Adaptive Card JSON

    async def personal(
        self, service_url: str, tenant_id: str, bot: dict[str, Any], user_id: str, card: dict[str, Any]
    ) -> str:
        """Open (or find: Teams answers with the existing one) the person's 1:1 chat with Tally, and post there."""
        return await self.personal_activity(service_url, tenant_id, bot, user_id, card_activity(card))

    async def personal_activity(
        self, service_url: str, tenant_id: str, bot: dict[str, Any], user_id: str, activity: dict[str, Any]
    ) -> str:
        conversation = await self.connector.create_conversation(service_url, tenant_id, bot, user_id)
        await self.connector.send_to_conversation(service_url, conversation, activity)
        return conversation

    async def to_conversation(self, tenant_id: str, conversation_id: str, card: dict[str, Any]) -> None:
        reference = await asyncio.to_thread(self.conversations.find, "teams", tenant_id, conversation_id)
        if reference is None:
            raise NotDeliverable(f"Tally has never been added to Teams conversation {conversation_id}")
        activity = {**card_activity(card), "from": reference.get("bot")}
        await self.connector.send_to_conversation(reference["serviceUrl"], conversation_id, activity)

    async def send(self, workspace: WorkspaceRef, reply: Reply) -> None:
        if not reply.recipient:
            raise NotDeliverable("a Teams notification needs a user or conversation to go to")
        card = self.render(reply)
        if reply.to is not Target.DIRECT:
            await self.to_conversation(workspace.external_id, reply.recipient, card)
            return
        reference = await asyncio.to_thread(self.conversations.any_service_reference, "teams", workspace.external_id)
        if reference is None:
            raise NotDeliverable(f"Tally has no conversation in tenant {workspace.external_id} to reach people from")
        await self.personal(
            reference["serviceUrl"], workspace.external_id, reference.get("bot") or {}, reply.recipient, card
        )
