"""Posts to Teams without being asked, through the conversation references stored on install."""

from __future__ import annotations

import asyncio

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ConversationReference

from bot.commands import WorkspaceRef
from bot.notify import NotDeliverable
from bot.replies import Reply
from storage.conversations import ConversationStore

from .bot import attachment, card_for


class TeamsNotifier:
    def __init__(self, adapter: CloudAdapter, app_id: str, conversations: ConversationStore) -> None:
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

        await self.adapter.continue_conversation(reference, send, self.app_id or None)
