"""Builds the Bolt AsyncApp: each listener translates a payload into an input, asks the core, answers Slack at
once, and leaves posting to tracked background tasks (adapters/slack/outbox.py)."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import inputs
from bot.core import Core
from bot.ids import Action, FormField, FormId, IdeaField
from bot.replies import Reply, ReplyKind, Target

from . import blocks, modals, translate
from .ids import CallbackId, SlashCommand
from .outbox import SLOW_CARD, Outbox, Where, ephemeral

log = logging.getLogger("tally.slack")
BOLT_APP_NAME = "slack_bolt.tally"

BOT_SCOPES = [
    "commands",
    "chat:write",
    "chat:write.public",
    "users:read",
    "channels:read",
    "groups:read",
    "files:write",  # the digest's chart
    "channels:history",  # the digest job looks for a digest it already posted
    "groups:history",
    "im:write",  # an export goes to the person's direct messages with Tally (conversations.open)
]
NEEDS_INVITE = "Tally isn't in this channel, so it can't post the forum's digest here. Invite Tally with /invite @Tally first, then try again."
NOT_A_CHANNEL = (
    "A forum's digest goes to a channel, not a direct message: type it in the channel the digest should go to."
)
NEEDS_FILES_WRITE = (
    "Tally can't post the digest's chart here: its Slack app was installed without the files:write permission. "
    "Ask a Slack admin to reinstall Tally (which grants files:write), then try again."
)
CANT_SEE_CHANNEL = (
    "Tally couldn't look at this channel, so nothing changed. Invite Tally with /invite @Tally first, then try again."
)
ADMIN_CACHE_SECONDS = 300
FORM_ERROR_LIMIT = 150


class SlackAdapter:
    """What the listeners share: the core, the outbox, and a short cache of who is a Slack admin."""

    def __init__(self, core: Core, outbox: Outbox) -> None:
        self.core = core
        self.outbox = outbox
        self._admins: dict[tuple[str, str], tuple[float, bool]] = {}

    async def is_admin(self, client: AsyncWebClient, context: AsyncBoltContext) -> bool:
        key = (context.team_id or context.enterprise_id or "", context.user_id or "")
        cached = self._admins.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            user = (await client.users_info(user=key[1]))["user"]
            admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        except (SlackApiError, aiohttp.ClientError, KeyError, TypeError):
            log.warning("users.info failed; treating the user as not an admin")
            return False  # not cached: the next request asks again
        self._admins[key] = (time.monotonic() + ADMIN_CACHE_SECONDS, admin)
        return admin


class SlackAsks(inputs.Platform):
    """The core's questions for Slack, about one request."""

    def __init__(self, adapter: SlackAdapter, client: AsyncWebClient, context: AsyncBoltContext, channel: str) -> None:
        self.adapter, self.client, self.context, self.channel = adapter, client, context, channel

    async def is_admin(self) -> bool:
        return await self.adapter.is_admin(self.client, self.context)

    async def can_post_here(self) -> bool:
        """A member of the channel, or a public channel (chat:write.public): never guess for a private one."""
        if not self.channel:
            return False
        try:
            info = (await self.client.conversations_info(channel=self.channel)).get("channel")
        except (SlackApiError, aiohttp.ClientError):
            return False
        if not isinstance(info, dict):
            return False
        hidden = info.get("is_private") or info.get("is_im") or info.get("is_mpim")
        return bool(info.get("is_member") or not hidden)

    async def digest_problem(self) -> str:
        """Digests post a message and upload a file (files_upload_v2), which needs Tally in the channel, not
        just chat:write.public; and files:write, read from the scopes Slack says the token has."""
        if not self.channel:
            return NOT_A_CHANNEL
        try:
            response = await self.client.conversations_info(channel=self.channel)
        except SlackApiError as exc:
            if exc.response.get("error") in ("channel_not_found", "not_in_channel"):
                return NEEDS_INVITE
            return CANT_SEE_CHANNEL
        except aiohttp.ClientError:
            return CANT_SEE_CHANNEL
        info = response.get("channel")
        if not isinstance(info, dict):
            return CANT_SEE_CHANNEL
        if info.get("is_im") or info.get("is_mpim"):
            return NOT_A_CHANNEL
        if not info.get("is_member"):
            return NEEDS_INVITE
        if "files:write" not in granted_scopes(response.headers):
            return NEEDS_FILES_WRITE
        return ""


def granted_scopes(headers: Any) -> set[str]:
    """The token's scopes, from the x-oauth-scopes header Slack sends with every Web API answer."""
    found = next((str(v) for k, v in dict(headers or {}).items() if str(k).lower() == "x-oauth-scopes"), "")
    return {s.strip() for s in found.split(",") if s.strip()}


def error_field(form_id: FormId, error: Reply, values: dict) -> str:
    """The block an error that isn't about one field is shown on: the capture form's issue; on the idea form, the
    anonymous option when that was refused, else the problems it names (a number that isn't a problem), if any."""
    if form_id is not FormId.IDEA:
        return FormField.ISSUE.value
    if error.anonymous:
        return IdeaField.OPTIONS.value
    return (IdeaField.FIXES if str(values.get(IdeaField.FIXES) or "").strip() else IdeaField.TEXT).value


def _event_delivery(body: dict[str, Any]) -> str | None:
    """An event's id, which Slack's retries repeat (None without one: then every delivery is acted on)."""
    event_id = body.get("event_id")
    return f"event:{event_id}" if event_id else None


def register(app: AsyncApp, adapter: SlackAdapter) -> None:
    """Wire every listener Tally needs onto the Bolt app."""
    core, outbox = adapter.core, adapter.outbox

    def asks(client: AsyncWebClient, context: AsyncBoltContext, channel: str) -> SlackAsks:
        return SlackAsks(adapter, client, context, channel)

    async def on_slash(ack, body, client, context) -> None:  # type: ignore[no-untyped-def]
        where = Where.of_command(body, client)
        typed = inputs.Typed(
            translate.workspace_ref(context),
            translate.actor(context),
            f"trigger:{body.get('trigger_id')}",
            text=translate.command_text(body),
            command=(body.get("command") or "").lstrip("/"),
            conversation=where.channel_id,
        )
        outcome = await core.handle(typed, asks(client, context, where.channel_id))
        posted = await outbox.post_first(outcome, where)
        answer = next((r for r in outcome.replies if r.to is Target.PRIVATE and r.file is None), None)
        if answer is not None:
            await ack(**ephemeral(answer))
        elif not posted.in_time:
            await ack(response_type="ephemeral", text=SLOW_CARD)
        else:
            await ack()
        outbox.deliver(outcome, where, answered=answer, posted=posted)

    async def on_submitted(ack, body, client, context, view, form_id: FormId) -> None:  # type: ignore[no-untyped-def]
        where = Where.of_view(view, client, context.user_id or "")
        values = translate.form_values(view, IdeaField if form_id is FormId.IDEA else FormField)
        submitted = inputs.Submitted(
            translate.workspace_ref(context),
            translate.actor(context),
            translate.view_delivery_id(body, view),
            values=values,
            form=form_id,
            conversation=where.channel_id,
        )
        outcome = await core.handle(submitted, asks(client, context, where.channel_id))
        form = outcome.first(Target.FORM)
        if form is not None and form.form is not None:
            await ack(response_action="errors", errors=modals.form_errors(form.form))
            return
        error = next((r for r in outcome.replies if r.kind is ReplyKind.ERROR), None)
        if error is not None:  # shown on the form, which stays open with what was typed
            field = error_field(form_id, error, values)
            await ack(response_action="errors", errors={field: blocks.shorten(error.text, FORM_ERROR_LIMIT)})
            return
        posted = await outbox.post_first(outcome, where)
        await ack()
        outbox.deliver(outcome, where, posted=posted)

    async def on_capture_submitted(ack, body, client, context, view) -> None:  # type: ignore[no-untyped-def]
        await on_submitted(ack, body, client, context, view, FormId.CAPTURE)

    async def on_idea_submitted(ack, body, client, context, view) -> None:  # type: ignore[no-untyped-def]
        await on_submitted(ack, body, client, context, view, FormId.IDEA)

    async def on_button(ack, body, client, context, action) -> None:  # type: ignore[no-untyped-def]
        where = Where.of_action(body, client, context.user_id or "")
        action_id, value = translate.button(action)
        pressed = inputs.Pressed(
            translate.workspace_ref(context),
            translate.actor(context),
            f"trigger:{body.get('trigger_id')}",
            action=action_id,
            value=value,
            conversation=where.channel_id,
        )
        outcome = await core.handle(pressed, asks(client, context, where.channel_id))
        posted = await outbox.post_first(outcome, where)
        await ack()
        outbox.deliver(outcome, where, posted=posted)

    async def on_log_message(ack, body, client, context, shortcut) -> None:  # type: ignore[no-untyped-def]
        where = Where.of_shortcut(shortcut, client, context.user_id or "")
        opened = inputs.OpenedForm(
            translate.workspace_ref(context),
            translate.actor(context),
            f"trigger:{body.get('trigger_id')}",  # Slack's retry repeats it: the form opens once
            prefill=translate.message_text(shortcut.get("message") or {}),
            conversation=where.channel_id,
        )
        outcome = await core.handle(opened)
        await ack()
        outbox.deliver(outcome, where)

    async def on_home_opened(body, client, context, event) -> None:  # type: ignore[no-untyped-def]
        if event.get("tab") not in (None, "home"):
            return
        opened = inputs.OpenedHome(translate.workspace_ref(context), translate.actor(context), _event_delivery(body))
        outcome = await core.handle(opened)
        if outcome.replies:
            outbox.publish_home(client, event["user"], outcome.replies[-1])

    async def on_ignored_event(event: dict[str, Any]) -> None:
        """Subscribed events Tally has nothing to do for in this mode: answered 200 so Slack doesn't retry."""
        log.info("Slack event %s received", event.get("type"))

    for command in SlashCommand:
        app.command(command.value)(on_slash)
    app.view(CallbackId.CAPTURE_MODAL.value)(on_capture_submitted)
    app.view(CallbackId.IDEA_MODAL.value)(on_idea_submitted)
    for button in Action:
        app.action(button.value)(on_button)
    # Any other button (one an older version of Tally put on a card): answered 200, and the core says what to do,
    # rather than Bolt's 404, which Slack shows as a failure.
    app.action(re.compile(".*"))(on_button)
    app.shortcut(CallbackId.LOG_MESSAGE_SHORTCUT.value)(on_log_message)
    app.event("app_home_opened")(on_home_opened)
    if app.oauth_flow is None:  # one workspace (SLACK_BOT_TOKEN): nothing stored to delete
        app.event("app_uninstalled")(on_ignored_event)
        app.event("tokens_revoked")(on_ignored_event)


def build_app(
    core: Core,
    *,
    session: aiohttp.ClientSession,
    outbox: Outbox,
    signing_secret: str,
    bot_token: str = "",
    api_url: str,
    oauth: AsyncOAuthSettings | None = None,
) -> AsyncApp:
    """process_before_response: Slack gets its answer the moment a listener returns, and every listener
    returns as soon as the core has answered; posts happen after, in the outbox's tracked tasks."""
    client = AsyncWebClient(token=bot_token or None, base_url=api_url, session=session)
    with _bolt_env_blind(oauth is None):
        app = _async_app(client, signing_secret, oauth)
    register(app, SlackAdapter(core, outbox))
    if oauth is not None:  # uninstalling Tally, or revoking its token, deletes the stored installation
        app.enable_token_revocation_listeners()
    return app


BOLT_OAUTH_VARIABLES = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")


@contextlib.contextmanager
def _bolt_env_blind(hide: bool) -> Iterator[None]:
    """Bolt turns on its own file-based OAuth when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET merely exist, blank
    ones from a .env template included, and then ignores the bot token: every command gets an empty answer.
    Tally decides OAuth from its settings, so Bolt doesn't see them while it is built."""
    saved = {name: os.environ.pop(name) for name in BOLT_OAUTH_VARIABLES if hide and name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


class TallyBoltApp(AsyncApp):
    """Bolt, but an interaction without the parts Bolt routes it by (Slack always sends them) is answered 200 and
    dropped: Bolt would fail on it with a 500 before any middleware or listener of Tally's could run."""

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        body = req.body
        if isinstance(body, dict) and not translate.well_formed(body):
            log.info("dropped a Slack %s payload without the parts Slack always sends", str(body.get("type"))[:40])
            return BoltResponse(status=200, body="")
        return await super().async_dispatch(req)


def _async_app(client: AsyncWebClient, signing_secret: str, oauth: AsyncOAuthSettings | None) -> AsyncApp:
    return TallyBoltApp(
        # Bolt names its per-request loggers after the app and resets their level: keep them out of "tally.*".
        name=BOLT_APP_NAME,
        signing_secret=signing_secret or None,
        # adapters/slack/routes.py verifies every request before anything parses it; Bolt checking again after
        # parsing would only cost a second HMAC (Socket Mode's frames carry no signature).
        request_verification_enabled=False,
        client=client,
        oauth_settings=oauth,
        process_before_response=True,
    )
