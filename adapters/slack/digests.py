"""Posts a forum's digest to Slack: the message, carrying its delivery key in message metadata, then the chart
uploaded into its thread. Rate limits (honouring Retry-After) and server errors are retried with back-off."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from digests.blocks import digest_blocks, digest_fallback_text
from digests.delivery import CannotLook, PostFailed, PostUnsure
from digests.model import Digest
from storage.model import Workspace

from .notifier import TokenFinder

log = logging.getLogger("tally.slack.digests")

METADATA_EVENT = "tally_digest"
RETRIES = 4
CANT_READ = {"missing_scope", "not_in_channel", "channel_not_found", "not_allowed_token_type", "no_permission"}


class SlackDigestPoster:
    def __init__(
        self, session: aiohttp.ClientSession, api_url: str, find_token: TokenFinder, base_delay: float = 1.0
    ) -> None:
        self.session = session
        self.api_url = api_url
        self.find_token = find_token
        self.base_delay = base_delay  # the first back-off after a 5xx; doubled each time

    async def _client(self, workspace: Workspace) -> AsyncWebClient:
        token = await asyncio.to_thread(self.find_token, workspace.external_id)
        if not token:
            raise PostFailed(f"Tally is not installed in Slack workspace {workspace.external_id}")
        client = AsyncWebClient(token=token, base_url=self.api_url, session=self.session)
        # A 429 means Slack did not take the message: waited out (Retry-After) and sent again by slack_sdk. A 5xx
        # may have posted it, so post_digest looks in the channel before each retry instead.
        client.retry_handlers = [AsyncRateLimitErrorRetryHandler(max_retry_count=RETRIES)]
        return client

    async def post_digest(self, workspace: Workspace, destination: str, digest: Digest, chart: bytes | None) -> str:
        client = await self._client(workspace)
        since = datetime.now(UTC) - timedelta(minutes=10)
        for attempt in range(1, RETRIES + 2):
            try:
                posted = await client.chat_postMessage(
                    channel=destination,
                    text=digest_fallback_text(digest),
                    blocks=digest_blocks(digest),
                    metadata={"event_type": METADATA_EVENT, "event_payload": {"key": digest.key}},
                    unfurl_links=False,
                )
                break
            except SlackApiError as exc:
                if exc.response.status_code < 500:
                    raise PostFailed(f"Slack refused the digest ({exc.response.get('error')})") from exc
                if attempt > RETRIES:
                    raise PostUnsure(f"Slack answered {exc.response.status_code} {RETRIES + 1} times") from exc
            except (aiohttp.ClientError, TimeoutError, SlackRequestError) as exc:
                raise PostUnsure(f"Slack did not answer ({type(exc).__name__})") from exc
            await asyncio.sleep(self.base_delay * 2 ** (attempt - 1))
            try:
                found = await self.find_digest(workspace, destination, digest.key, since)
            except (CannotLook, SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
                raise PostUnsure("Slack failed, and its history can't say whether the digest arrived") from exc
            if found:
                return found  # the failed answer hid a post that was made
        ts = str(posted.get("ts") or "")
        if chart:
            await self._upload(client, destination, ts, digest, chart)
        return ts

    async def _upload(self, client: AsyncWebClient, channel: str, ts: str, digest: Digest, chart: bytes) -> None:
        """Shared into the thread asynchronously by Slack, with no timestamp back: nothing refers to it."""
        try:
            await client.files_upload_v2(
                channel=channel,
                thread_ts=ts,
                content=chart,
                filename=f"tally-{digest.forum_slug}-{digest.week}.png",
                title=f"{digest.forum_name}: {digest.week}",
            )
        except (SlackApiError, SlackRequestError, aiohttp.ClientError, TimeoutError) as exc:
            # The digest is posted and reads well without its picture: it is not posted again for this.
            log.warning("the digest's chart was not uploaded (%s)", type(exc).__name__)

    async def find_digest(self, workspace: Workspace, destination: str, key: str, since: datetime) -> str | None:
        client = await self._client(workspace)
        cursor = None
        try:
            for _ in range(10):
                page = await client.conversations_history(
                    channel=destination,
                    oldest=f"{since.timestamp():.6f}",
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
                for message in page.get("messages") or []:
                    metadata = message.get("metadata") or {}
                    if (
                        metadata.get("event_type") == METADATA_EVENT
                        and (metadata.get("event_payload") or {}).get("key") == key
                    ):
                        return str(message.get("ts"))
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return None
        except SlackApiError as exc:
            if exc.response.get("error") in CANT_READ:
                raise CannotLook(str(exc.response.get("error"))) from exc
            raise
        raise CannotLook("too much history to look through")
