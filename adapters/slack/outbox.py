"""Everything Tally sends to Slack after answering a request: posts, replacements, private notes, forms
and direct messages, as tracked background tasks over the process's one HTTP session."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.newest import NewestOnly
from bot.core import Outcome
from bot.replies import Reply, Target
from bot.tasks import Background

from . import blocks, modals, translate
from .poster import post_message

log = logging.getLogger("tally.slack")
# How long a request's answer waits for its cards to be posted: inside Slack's 3 seconds, with the core's own
# questions (at most 1.5 s) before it.
CARDS_WAIT = 1.0

COULD_NOT_SEND = "Sorry, Slack didn't accept Tally's answer ({error}). Please try again in a minute."
CANT_SEND_FILE = (
    "Tally couldn't send you the file: its Slack app was installed without the im:write or files:write "
    "permission. Ask a Slack admin to reinstall Tally, then try again."
)
SLOW_CARD = (
    "Stored. Slack is slow to take its card just now: it will appear here in a moment, "
    "or Tally will tell you if it can't."
)
CANT_POST_CARD = (
    "Your report is stored, but Tally isn't in this channel, so its card couldn't be posted here. "
    "Invite Tally with /invite @Tally to see cards in this channel."
)


def message(reply: Reply) -> dict[str, Any]:
    return {"text": blocks.fallback_text(reply), "blocks": blocks.reply_blocks(reply)}


def ephemeral(reply: Reply) -> dict[str, Any]:
    return {"response_type": "ephemeral", **message(reply)}


@dataclass(frozen=True)
class Where:
    """Where a Slack request came from, so each reply can go back the way Slack allows."""

    client: AsyncWebClient
    user_id: str
    channel_id: str = ""
    response_url: str = ""
    trigger_id: str = ""
    message_ts: str = ""  # the message whose button was pressed
    on_ephemeral: bool = False  # that message was ephemeral: only response_url can change it

    @classmethod
    def of_command(cls, body: dict[str, Any], client: AsyncWebClient) -> Where:
        text = translate.as_text
        return cls(
            client,
            text(body.get("user_id")),
            text(body.get("channel_id")),
            text(body.get("response_url")),
            text(body.get("trigger_id")),
        )

    @classmethod
    def of_action(cls, body: dict[str, Any], client: AsyncWebClient, user_id: str) -> Where:
        """Parts of another shape than Slack's are read as missing (translate.as_object, as_text)."""
        text, container = translate.as_text, translate.as_object(body.get("container"))
        channel = text(container.get("channel_id")) or text(translate.as_object(body.get("channel")).get("id"))
        return cls(
            client,
            user_id,
            channel,
            text(body.get("response_url")),
            text(body.get("trigger_id")),
            text(container.get("message_ts")),
            container.get("is_ephemeral") is True,
        )

    @classmethod
    def of_view(cls, view: dict[str, Any], client: AsyncWebClient, user_id: str) -> Where:
        channel, response_url = translate.read_metadata(view)
        return cls(client, user_id, channel, response_url)

    @classmethod
    def of_shortcut(cls, shortcut: dict[str, Any], client: AsyncWebClient, user_id: str) -> Where:
        text = translate.as_text
        channel = text(translate.as_object(shortcut.get("channel")).get("id"))
        return cls(client, user_id, channel, text(shortcut.get("response_url")), text(shortcut.get("trigger_id")))


@dataclass(frozen=True)
class Posted:
    """The cards posted before the answer, and whether they were all through by the time it went."""

    cards: tuple[Reply, ...] = ()
    in_time: bool = True


class Outbox:
    def __init__(self, session: aiohttp.ClientSession, background: Background) -> None:
        self.session = session
        self.background = background
        self.newest = NewestOnly()  # cards replaced in place (a vote): the newest committed answer wins

    async def post_first(self, outcome: Outcome, where: Where) -> Posted:
        """Cards for the conversation go before Slack gets its answer, so a 200 means the card is in the channel,
        or its reporter has been told privately why not: a crash after the answer loses no card that was promised.
        One that Slack is slow to take carries on in the background after CARDS_WAIT."""
        cards = tuple(r for r in outcome.replies if r.to is Target.CONVERSATION and where.channel_id)
        if not cards:
            return Posted()
        task = self.background.spawn(self._send_all(list(cards), where), "slack cards")
        done, _ = await asyncio.wait({task}, timeout=CARDS_WAIT)
        return Posted(cards, in_time=bool(done))

    def deliver(
        self, outcome: Outcome, where: Where, answered: Reply | None = None, posted: Posted | None = None
    ) -> None:
        """Send every reply but the one already given in Slack's answer and the cards `post_first` took, in order,
        after the answer."""
        taken = (answered, *(posted.cards if posted else ()))
        replies = [r for r in outcome.replies if all(r is not t for t in taken)]
        if not replies:
            return
        stamp = 0
        if where.message_ts and not where.on_ephemeral and any(r.to is Target.REPLACE for r in replies):
            # In the order the changes were committed, whatever order the answers come back in (a read that
            # replaces a message changed nothing, and is sent as it comes).
            stamp = outcome.sequence
            self.newest.note((where.channel_id, where.message_ts), stamp)
        self.background.spawn(self._send_all(replies, where, stamp), "slack replies")

    def publish_home(self, client: AsyncWebClient, user_id: str, reply: Reply) -> None:
        self.background.spawn(client.views_publish(user_id=user_id, view=blocks.home_view(reply)), "slack home")

    async def _send_all(self, replies: list[Reply], where: Where, stamp: int = 0) -> None:
        for reply in replies:
            try:
                await self._send(reply, where, stamp)
            except (SlackApiError, SlackRequestError, aiohttp.ClientError, TimeoutError) as exc:
                log.warning("could not send a %s reply to Slack (%s)", reply.to, _error(exc))
                text = CANT_SEND_FILE if reply.file is not None and _error(exc) == "missing_scope" else ""
                await self._tell_failure(where, exc, text)

    async def _tell_failure(self, where: Where, exc: Exception, text: str = "") -> None:
        """The person sees that their answer went missing, rather than nothing at all."""
        if not where.response_url:
            return
        try:
            text = text or COULD_NOT_SEND.format(error=_error(exc))
            await self.respond(
                where.response_url, {"response_type": "ephemeral", "replace_original": False, "text": text}
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError):
            log.warning("could not tell the person that Slack refused the answer")

    async def _send(self, reply: Reply, where: Where, stamp: int = 0) -> None:
        if reply.to is Target.CONVERSATION and where.channel_id:
            await self.post_in_channel(reply, where)
        elif reply.to is Target.REPLACE:
            await self.replace(reply, where, stamp)
        elif reply.to is Target.FORM and reply.form is not None:
            metadata = translate.modal_metadata(where.channel_id, where.response_url)
            await where.client.views_open(trigger_id=where.trigger_id, view=modals.form_modal(reply.form, metadata))
        elif reply.file is not None:
            await self.send_file(reply, where)
        elif reply.to is Target.DIRECT and reply.recipient:
            await where.client.chat_postMessage(channel=reply.recipient, **message(reply))
        else:
            await self.private(reply, where)

    async def send_file(self, reply: Reply, where: Where) -> None:
        """Into the person's direct messages with Tally, where only they see it (files_upload_v2 needs a channel id:
        conversations.open gives the DM's). Slack shares the file asynchronously and returns no message to refer to."""
        assert reply.file is not None
        opened = await where.client.conversations_open(users=where.user_id)
        await where.client.files_upload_v2(
            channel=opened["channel"]["id"],
            content=reply.file.content,
            filename=reply.file.name,
            title=reply.file.name,
            initial_comment=blocks.shorten(reply.text, 3000),
        )

    async def respond(self, url: str, payload: dict[str, Any]) -> None:
        """response_url, through the shared session (Bolt's respond() opens a new one per call)."""
        response = await AsyncWebhookClient(url, session=self.session).send_dict(payload)
        if response.status_code >= 400:
            raise aiohttp.ClientError(f"response_url answered {response.status_code}")

    async def post_in_channel(self, reply: Reply, where: Where) -> None:
        """Post as Tally; where Tally isn't a member, answer through response_url, unless that would show
        an anonymous reporter's command and name to the channel."""
        try:
            await post_message(
                self.session, where.client, {"channel": where.channel_id, "unfurl_links": False, **message(reply)}
            )
        except SlackApiError as exc:
            if not where.response_url:
                raise
            log.info("chat.postMessage failed (%s); answering through response_url", _error(exc))
            if reply.anonymous:
                await self.respond(where.response_url, {"response_type": "ephemeral", "text": CANT_POST_CARD})
            else:
                await self.respond(where.response_url, {"response_type": "in_channel", **message(reply)})

    async def replace(self, reply: Reply, where: Where, stamp: int = 0) -> None:
        await self.newest.send((where.channel_id, where.message_ts), stamp, lambda: self._replace(reply, where))

    async def _replace(self, reply: Reply, where: Where) -> None:
        if where.message_ts and not where.on_ephemeral:
            try:
                await where.client.chat_update(channel=where.channel_id, ts=where.message_ts, **message(reply))
                return
            except SlackApiError as exc:  # a card posted through response_url: replace it the same way
                if not where.response_url:
                    raise
                log.info("chat.update failed (%s); replacing through response_url", _error(exc))
        if where.response_url:
            await self.respond(where.response_url, {"replace_original": True, **message(reply)})

    async def private(self, reply: Reply, where: Where) -> None:
        if where.response_url:
            await self.respond(where.response_url, {**ephemeral(reply), "replace_original": False})
        elif where.channel_id:
            await where.client.chat_postEphemeral(channel=where.channel_id, user=where.user_id, **message(reply))
        else:  # nowhere to answer (an old modal): a direct message
            await where.client.chat_postMessage(channel=where.user_id, **message(reply))


def _error(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error"))
    return type(exc).__name__
