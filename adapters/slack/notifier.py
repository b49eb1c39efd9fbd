"""Posts to Slack without being asked: direct messages to people, and posts to channels."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import WorkspaceRef
from bot.notify import NotDeliverable
from bot.replies import Reply

from .outbox import message

TokenFinder = Callable[[str], str | None]


class SlackNotifier:
    """A user id as recipient is a direct message (the app's Messages tab); a channel id, a post there."""

    def __init__(self, session: aiohttp.ClientSession, api_url: str, find_token: TokenFinder) -> None:
        self.session = session
        self.api_url = api_url
        self.find_token = find_token

    async def send(self, workspace: WorkspaceRef, reply: Reply) -> None:
        if not reply.recipient:
            raise NotDeliverable("a Slack notification needs a user or channel to go to")
        token = await asyncio.to_thread(self.find_token, workspace.external_id)
        if not token:
            raise NotDeliverable(f"Tally is not installed in Slack workspace {workspace.external_id}")
        client = AsyncWebClient(token=token, base_url=self.api_url, session=self.session)
        try:
            await client.chat_postMessage(channel=reply.recipient, unfurl_links=False, **message(reply))
        except SlackApiError as exc:
            raise NotDeliverable(f"Slack refused the notification ({exc.response.get('error')})") from exc


def installation_token(find: Callable[[str | None, str | None, bool], dict | None]) -> TokenFinder:
    """The bot token of a workspace installed through OAuth: a team, or a Grid org installed org-wide."""

    def token(external_id: str) -> str | None:
        org_wide = external_id.startswith("E")
        data = find(external_id if org_wide else None, None if org_wide else external_id, org_wide)
        return (data or {}).get("bot_token")

    return token
