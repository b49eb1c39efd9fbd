"""Posts to Teams without being asked, through the conversation references stored on install."""

from __future__ import annotations

import asyncio
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import ConversationReference

from bot.commands import WorkspaceRef
from bot.notify import NotDeliverable
from bot.replies import Reply
from storage.conversations import ConversationStore

from .adapter import TallyBotAdapter
from .bot import attachment, card_for
from .connector import ConnectorError

GONE = (403, 404)  # Tally was removed from the conversation, or it no longer exists


class TeamsNotifier:
    def __init__(self, adapter: TallyBotAdapter, app_id: str, conversations: ConversationStore) -> None:
        self.adapter = adapter
        self.app_id = app_id
        self.conversations = conversations

    async def post(self, workspace: WorkspaceRef, destination: str, reply: Reply) -> None:
        data = await asyncio.to_thread(self.conversations.find, "teams", workspace.external_id, destination)
        if data is None:
            raise NotDeliverable(f"Tally has never been added to Teams conversation {destination}")
        reference = ConversationReference().deserialize(data)

        async def send(turn_context: TurnContext) -> None:
            await turn_context.send_activity(MessageFactory.attachment(attachment(card_for(reply))))

        try:
            await self.adapter.continue_conversation(reference, send, self.app_id or None)
        except ConnectorError as exc:
            if exc.status in GONE:
                raise NotDeliverable(f"Teams would not take a post in conversation {destination}: {exc}") from exc
            raise

    async def open_personal_chat(
        self, tenant_id: str, user_id: str, service_url: str, bot: dict[str, Any] | None = None
    ) -> str:
        """The id of the 1:1 chat between Tally and a person (Teams creates it, or finds the one there is).

        `user_id` is the person's Teams id (29:…) or Entra object id; `bot` is Tally's account, as in a stored
        reference's "bot" ({"id": "28:…", "name": "Tally"}); by default built from the app id.
        """
        account = bot or {"id": f"28:{self.app_id}" if self.app_id else "tally"}
        try:
            return await self.adapter.connector.create_conversation(service_url, tenant_id, account, user_id)
        except ConnectorError as exc:
            if exc.status in GONE:
                raise NotDeliverable(f"Teams would not open a personal chat: {exc}") from exc
            raise
