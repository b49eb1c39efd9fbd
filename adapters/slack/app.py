"""Builds the Bolt AsyncApp and its listeners: each translates, asks the bus, and renders the reply."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import commands as c
from bot.bus import MessageBus
from bot.errors import SORRY, TallyError, reply_for_error
from bot.grammar import parse_problem, parse_tally
from bot.ids import Action, FormField
from bot.replies import Reply, ReplyKind, Visibility

from . import blocks, translate
from .ids import CallbackId, SlashCommand

log = logging.getLogger("tally.slack")
BOLT_APP_NAME = "slack_bolt.tally"

BOT_SCOPES = ["commands", "chat:write", "chat:write.public", "users:read"]
ADMIN_CACHE_SECONDS = 300


class SlackAdapter:
    """Holds what the listeners share: the bus, and a short cache of who is a Slack admin."""

    def __init__(self, bus: MessageBus) -> None:
        self.bus = bus
        self._admins: dict[tuple[str, str], tuple[float, bool]] = {}

    async def handle(self, command: c.Command) -> Reply:
        """The core is synchronous and talks to the database: keep it off the event loop."""
        return await asyncio.to_thread(self.bus.handle, command)

    async def is_admin(self, client: AsyncWebClient, context: AsyncBoltContext) -> bool:
        key = (context.team_id or context.enterprise_id or "", context.user_id or "")
        cached = self._admins.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            user = (await client.users_info(user=key[1]))["user"]
            admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        except SlackApiError:
            log.warning("users.info failed; treating the user as not an admin")
            admin = False
        self._admins[key] = (time.monotonic() + ADMIN_CACHE_SECONDS, admin)
        return admin

    async def with_admin(self, command: c.Command, client: AsyncWebClient, context: AsyncBoltContext) -> c.Command:
        if not command.requires_admin:
            return command
        return replace(command, actor=translate.actor(context, await self.is_admin(client, context)))


async def post_in_channel(client: AsyncWebClient, respond: AsyncRespond | None, channel: str, reply: Reply) -> None:
    """Post to the channel; where the bot isn't a member, fall back to the command's response_url."""
    kwargs = _message(reply)
    try:
        await client.chat_postMessage(channel=channel, unfurl_links=False, **kwargs)
    except SlackApiError as exc:
        if respond is None:
            raise
        log.info("chat.postMessage failed (%s); answering through response_url", exc.response.get("error"))
        await respond(response_type="in_channel", **kwargs)


def ephemeral(reply: Reply) -> dict[str, Any]:
    return {"response_type": "ephemeral", **_message(reply)}


Listener = Callable[..., Awaitable[None]]


def guarded(listener: Listener) -> Listener:
    """The last line of defence: a Slack API failure is logged and the user gets a polite answer."""

    @functools.wraps(listener)  # Bolt injects arguments by the wrapped listener's parameter names
    async def run(**kwargs: Any) -> None:
        try:
            await listener(**kwargs)
        except Exception as exc:  # noqa: BLE001 - turned into a reply below
            reply = reply_for_error(exc, f"slack {listener.__name__}")
            ack = kwargs.get("ack")
            respond = kwargs.get("respond")
            try:
                if ack is not None and not getattr(ack, "response", None) and "view" in kwargs:
                    await ack(response_action="errors", errors={FormField.ISSUE.value: reply.text[:150]})
                elif ack is not None and not getattr(ack, "response", None):
                    await ack(**ephemeral(reply))
                elif respond is not None:
                    await respond(**ephemeral(reply))
            except Exception:  # noqa: BLE001 - nothing more we can do for this request
                log.warning("could not tell the user about an error: %s", SORRY)

    return run


def register(app: AsyncApp, adapter: SlackAdapter) -> None:
    """Wire every listener Tally needs onto the Bolt app."""

    @guarded
    async def on_problem(ack, body, client, context, respond) -> None:  # type: ignore[no-untyped-def]
        ws, who = translate.workspace_ref(context), translate.actor(context)
        try:
            command = parse_problem(translate.command_text(body), ws, who, f"slack:{body.get('trigger_id')}")
        except TallyError as exc:
            await ack(**ephemeral(reply_for_error(exc)))
            return
        command = await adapter.with_admin(command, client, context)
        reply = await adapter.handle(command)
        if reply.kind is ReplyKind.FORM and reply.form is not None:
            metadata = translate.modal_metadata(body.get("channel_id"), body.get("response_url"))
            await client.views_open(trigger_id=body["trigger_id"], view=blocks.capture_modal(reply.form, metadata))
            await ack()
        elif reply.visibility is Visibility.CHANNEL:
            await ack()
            await post_in_channel(client, respond, body["channel_id"], reply)
        else:
            await ack(**ephemeral(reply))

    @guarded
    async def on_tally(ack, body, context) -> None:  # type: ignore[no-untyped-def]
        ws, who = translate.workspace_ref(context), translate.actor(context)
        try:
            reply = await adapter.handle(parse_tally(translate.command_text(body), ws, who))
        except TallyError as exc:
            reply = reply_for_error(exc)
        await ack(**ephemeral(reply))

    @guarded
    async def on_capture_submitted(ack, body, client, context, view) -> None:  # type: ignore[no-untyped-def]
        command = c.SubmitCaptureForm(
            ws=translate.workspace_ref(context),
            actor=translate.actor(context),
            values=translate.form_values(view),
            delivery_id=f"slack-view:{view['id']}",
        )
        reply = await adapter.handle(command)
        if reply.kind is ReplyKind.FORM and reply.form is not None:
            await ack(response_action="errors", errors=blocks.form_errors(reply.form))
            return
        if reply.kind is ReplyKind.ERROR:
            await ack(response_action="errors", errors={FormField.ISSUE.value: reply.text[:150]})
            return
        await ack()
        channel, response_url = translate.read_metadata(view)
        respond = AsyncRespond(response_url=response_url) if response_url else None
        if reply.visibility is Visibility.CHANNEL and channel:
            await post_in_channel(client, respond, channel, reply)
        elif respond is not None:  # works even where the bot is not a member
            await respond(**ephemeral(reply))
        else:  # no channel to answer in (an old modal): a direct message
            await client.chat_postMessage(channel=context.user_id, **_message(reply))

    @guarded
    async def on_button(ack, body, client, context, respond, action) -> None:  # type: ignore[no-untyped-def]
        await ack()
        command = c.PressButton(
            ws=translate.workspace_ref(context),
            actor=translate.actor(context),
            action=action["action_id"],
            value=action.get("value") or "",
            delivery_id=f"slack:{body.get('trigger_id')}",
        )
        reply = await adapter.handle(command)
        container = body.get("container") or {}
        on_ephemeral = bool(container.get("is_ephemeral"))
        if reply.kind is ReplyKind.ERROR:
            await respond(**ephemeral(reply), replace_original=False)
        elif action["action_id"] == Action.HAPPENED_AGAIN and not on_ephemeral:
            try:
                await client.chat_update(channel=container["channel_id"], ts=container["message_ts"], **_message(reply))
            except SlackApiError:  # a card posted through response_url: replace it the same way
                await respond(**_message(reply), replace_original=True)
        elif reply.visibility is Visibility.CHANNEL:
            await respond(delete_original=True)
            await post_in_channel(client, respond, container.get("channel_id") or body["channel"]["id"], reply)
        else:
            await respond(**ephemeral(reply), replace_original=True)

    @guarded
    async def on_log_message(ack, body, client, context, shortcut) -> None:  # type: ignore[no-untyped-def]
        await ack()
        command = c.OpenCaptureForm(
            ws=translate.workspace_ref(context),
            actor=translate.actor(context),
            prefill=translate.command_text(shortcut.get("message") or {}),
        )
        reply = await adapter.handle(command)
        assert reply.form is not None
        metadata = translate.modal_metadata((shortcut.get("channel") or {}).get("id"), shortcut.get("response_url"))
        await client.views_open(trigger_id=shortcut["trigger_id"], view=blocks.capture_modal(reply.form, metadata))

    @guarded
    async def on_home_opened(client, context, event) -> None:  # type: ignore[no-untyped-def]
        if event.get("tab") not in (None, "home"):
            return
        reply = await adapter.handle(c.ShowHome(ws=translate.workspace_ref(context), actor=translate.actor(context)))
        await client.views_publish(user_id=event["user"], view=blocks.home_view(reply))

    app.command(SlashCommand.PROBLEM.value)(on_problem)
    app.command(SlashCommand.TALLY.value)(on_tally)
    app.view(CallbackId.CAPTURE_MODAL.value)(on_capture_submitted)
    for button in Action:
        app.action(button.value)(on_button)
    app.shortcut(CallbackId.LOG_MESSAGE_SHORTCUT.value)(on_log_message)
    app.event("app_home_opened")(on_home_opened)


def _message(reply: Reply) -> dict[str, Any]:
    return {"text": blocks.fallback_text(reply), "blocks": blocks.reply_blocks(reply)}


def build_app(
    bus: MessageBus,
    *,
    signing_secret: str,
    bot_token: str = "",
    api_url: str,
    oauth: AsyncOAuthSettings | None = None,
) -> AsyncApp:
    """process_before_response: Slack gets its answer the moment a listener returns, not on a 10 ms poll."""
    client = AsyncWebClient(token=bot_token or None, base_url=api_url)
    app = AsyncApp(
        # Bolt names its per-request loggers after the app and resets their level: keep them out of "tally.*".
        name=BOLT_APP_NAME,
        signing_secret=signing_secret or None,
        request_verification_enabled=bool(signing_secret),
        client=client,
        oauth_settings=oauth,
        process_before_response=True,
    )
    register(app, SlackAdapter(bus))
    if oauth is not None:  # uninstalling Tally, or revoking its token, deletes the stored installation
        app.enable_token_revocation_listeners()
    return app
