"""Posts a forum's digest to a Teams conversation: an Adaptive Card with the chart inline, sent again without the
picture if Teams finds it too big. Throttling (429, 412) and gateway errors (502, 504) are retried with back-off."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime
from typing import Any

import aiohttp

from digests.card import digest_card
from digests.delivery import CannotLook, PostFailed, PostUnsure
from digests.model import Digest
from storage.conversations import ConversationStore
from storage.model import Workspace

from .connector import ConnectorError, TeamsConnector
from .outbox import card_activity

log = logging.getLogger("tally.teams.digests")

RETRIED = {412, 429, 502, 504}  # what Microsoft's bot guidance says to retry with back-off
UNSURE = {500, 503}  # the message may have been taken: not sent again blindly
ATTEMPTS = 5
TOO_BIG = {413}


class TeamsDigestPoster:
    def __init__(self, connector: TeamsConnector, conversations: ConversationStore, base_delay: float = 1.0) -> None:
        self.connector = connector
        self.conversations = conversations
        self.base_delay = base_delay

    async def post_digest(self, workspace: Workspace, destination: str, digest: Digest, chart: bytes | None) -> str:
        reference = await asyncio.to_thread(self.conversations.find, "teams", workspace.external_id, destination)
        if reference is None:
            raise PostFailed(f"Tally has never been added to Teams conversation {destination}")
        try:
            return await self._send(reference, destination, digest_card(digest, chart))
        except ConnectorError as exc:
            if chart is None or not _too_big(exc):
                raise _failure(exc) from exc
            log.info("Teams found the digest too big with its chart; sending it without")
        try:
            return await self._send(reference, destination, digest_card(digest, None))
        except ConnectorError as exc:
            raise _failure(exc) from exc

    async def _send(self, reference: dict[str, Any], conversation: str, card: dict[str, Any]) -> str:
        activity = {**card_activity(card), "from": reference.get("bot")}
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await self.connector.send_to_conversation(reference["serviceUrl"], conversation, activity) or ""
            except ConnectorError as exc:
                if exc.status not in RETRIED or attempt == ATTEMPTS:
                    raise
                delay = exc.retry_after if exc.retry_after is not None else self.base_delay * 2 ** (attempt - 1)
                await asyncio.sleep(delay + random.uniform(0, self.base_delay / 4))  # noqa: S311 - jitter, not secrets
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise PostUnsure(f"Teams did not answer ({type(exc).__name__})") from exc
        raise AssertionError("unreachable")

    async def find_digest(self, workspace: Workspace, destination: str, key: str, since: datetime) -> str | None:
        """A bot can't read a Teams conversation's history without more permissions than Tally asks for."""
        raise CannotLook("Teams conversations' history is not readable by Tally")


def _failure(exc: ConnectorError) -> PostFailed | PostUnsure:
    return PostUnsure(str(exc)) if exc.status in UNSURE else PostFailed(str(exc))


def _too_big(exc: ConnectorError) -> bool:
    return exc.status in TOO_BIG or (exc.status == 400 and "toobig" in exc.detail.replace(" ", "").lower())
