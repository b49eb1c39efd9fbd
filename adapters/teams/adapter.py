"""Tally's Bot Framework adapter: botbuilder's turn semantics, without a ConnectorClient per turn.

In place of botbuilder's CloudAdapter, which builds an msrest ConnectorClient (and an HTTP session) on
every turn and answers 500 to an invoke whose body is already a dict. Requests are still verified by
botbuilder (`BotFrameworkAuthentication.authenticate_request`), turns still run through the middleware
pipeline and `on_turn_error`, and TurnContext keeps its semantics; what the bot sends goes out through
`TeamsConnector`, on the process's one aiohttp session.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from copy import copy
from enum import Enum
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from botbuilder.core import Bot, BotAdapter, InvokeResponse, TurnContext
from botbuilder.core.conversation_reference_extension import get_continuation_activity
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ConversationReference,
    DeliveryModes,
    ExpectedReplies,
    ResourceResponse,
)
from botframework.connector import Channels
from botframework.connector.auth import AuthenticationConstants, BotFrameworkAuthentication, ClaimsIdentity
from msrest.serialization import Model

from .connector import TeamsConnector
from .wire import from_wire, to_wire

log = logging.getLogger("tally.teams")

Logic = Callable[[TurnContext], Awaitable[Any]]


def to_json(value: Any) -> Any:
    """An invoke body as JSON: msrest models serialized once (botbuilder's full schema resolves nested
    models); dicts and lists as they are, with any model inside them serialized too."""
    if isinstance(value, Model):
        return to_wire(value)
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    return value


def outgoing(activity: Activity) -> dict[str, Any]:
    return to_wire(activity)


def _on_this_machine(url: str | None) -> bool:
    host = (urlsplit(url or "").hostname or "").lower()
    return host in ("localhost", "127.0.0.1", "::1")


class TallyTurnContext(TurnContext):
    """botbuilder's TurnContext, except that what it sends is copied one level deep, not deep-copied whole.

    TurnContext deep-copies every outgoing activity before it addresses it, Adaptive Card and all, so that
    the caller's activity is left as it was; addressing and sending only set the copy's own fields (channel,
    conversation, from, recipient, replyToId, type, inputHint, id), so a shallow copy keeps that promise.
    """

    async def send_activities(self, activities: list[Activity]) -> list[ResourceResponse]:
        """As TurnContext.send_activities (the same on_send_activities handlers, expect_replies buffering and
        `responded` flag), with `copy` for `deepcopy`."""
        reference = TurnContext.get_conversation_reference(self.activity)
        output = [TurnContext.apply_conversation_reference(copy(activity), reference) for activity in activities]
        for activity in output:
            activity.type = activity.type or ActivityTypes.message
            activity.input_hint = activity.input_hint or "acceptingInput"
            activity.id = None
        visible = any(activity.type != ActivityTypes.trace for activity in output)

        async def logic() -> list[ResourceResponse]:
            if self.activity.delivery_mode == DeliveryModes.expect_replies:
                for activity in output:
                    self.buffered_reply_activities.append(activity)
                    if activity.type == ActivityTypes.invoke_response:
                        self.turn_state[TurnContext._INVOKE_RESPONSE_KEY] = activity
                responses = [ResourceResponse() for _ in output]
            else:
                responses = await self.adapter.send_activities(self, output)
            if visible:
                self.responded = True
            return responses

        return await self._emit(self._on_send_activities, output, logic())


def _text(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text)


class TallyBotAdapter(BotAdapter):
    """Verifies each request with botbuilder, runs the turn, sends through one TeamsConnector."""

    CONNECTOR_KEY = "TallyTeamsConnector"

    def __init__(
        self,
        auth: BotFrameworkAuthentication,
        connector: TeamsConnector,
        *,
        app_id: str = "",
        on_turn_error: Callable[[TurnContext, Exception], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(on_turn_error)
        self.auth = auth
        self.connector = connector
        self.app_id = app_id

    # Inbound ----------------------------------------------------------------------------------------

    async def process(self, request: web.Request, bot: Bot) -> web.Response:
        """401 unless verified, else 415 not JSON, 400 not an activity, else the turn. With credentials, a request
        without a token is refused before its body is read; the token names the activity's serviceUrl, so one with
        a token is checked once the body is parsed (as JSON only), and a body that can't be parsed can't pass."""
        if request.method != "POST":
            return _text(405, "POST Bot Framework activities here")
        authorization = request.headers.get("Authorization", "")
        if self.app_id and not authorization.strip():
            log.info("refused a Teams request without a token")
            return _text(401, "Unauthorized")
        body, unreadable = await _read_activity_json(request)
        envelope = _envelope(body) if body is not None else None
        if envelope is None and not self.app_id:
            return unreadable or _text(400, "not a Bot Framework activity")
        try:
            verified = await self.auth.authenticate_request(envelope or Activity(), authorization)
        except Exception as exc:  # noqa: BLE001 - whatever failed, the request is not verified
            log.warning("refused a Teams request whose token did not verify (%s)", type(exc).__name__)
            return _text(401, "Unauthorized")
        if body is None or envelope is None:  # only a token for no serviceUrl at all gets here
            return unreadable or _text(400, "not a Bot Framework activity")
        if not _well_typed(body):
            log.info("refused a verified Teams activity whose fields are not the types the Bot Framework sends")
            return _text(400, "not a Bot Framework activity")
        try:
            activity = from_wire(Activity, body)
        except Exception:  # noqa: BLE001 - msrest's DeserializationError and anything it wraps
            return _text(400, "not a Bot Framework activity")
        if not activity.type or not activity.service_url or activity.service_url != envelope.service_url:
            return _text(400, "not a Bot Framework activity")
        if not self.app_id and not _on_this_machine(activity.service_url):
            # Emulator mode checks no token: never let it make Tally send requests anywhere but here.
            log.warning("refused an unauthenticated Teams request whose serviceUrl is not on this machine")
            return _text(401, "Unauthorized")
        activity.caller_id = verified.caller_id
        invoke = await self.process_activity(activity, verified.claims_identity, verified.audience, bot.on_turn)
        return self.http_response(invoke)

    async def process_activity(
        self, activity: Activity, identity: ClaimsIdentity, audience: str | None, logic: Logic
    ) -> InvokeResponse | None:
        """Runs one verified activity through the pipeline; an invoke's answer, if it has one."""
        context = self._turn_context(activity, identity, audience, logic)
        await self.run_pipeline(context, logic)
        if activity.delivery_mode == DeliveryModes.expect_replies:
            replies = ExpectedReplies(activities=context.buffered_reply_activities).serialize()
            return InvokeResponse(status=HTTPStatus.OK, body=replies)
        if activity.type == ActivityTypes.invoke:
            answer: Activity | None = context.turn_state.get(self._INVOKE_RESPONSE_KEY)
            return _invoke_response(answer.value) if answer else InvokeResponse(status=HTTPStatus.NOT_IMPLEMENTED)
        return None

    @staticmethod
    def http_response(invoke: InvokeResponse | None) -> web.Response:
        """Invokes answer with their status and body, whatever form the body took; other turns 201."""
        if invoke is None:
            return web.Response(status=201)
        status = int(invoke.status or HTTPStatus.OK)
        if invoke.body is None:
            return web.Response(status=status)
        return web.json_response(to_json(invoke.body), status=status)

    def _turn_context(
        self, activity: Activity, identity: ClaimsIdentity, audience: str | None, logic: Logic
    ) -> TurnContext:
        context = TallyTurnContext(self, activity)
        context.turn_state[self.BOT_IDENTITY_KEY] = identity
        context.turn_state[self.BOT_OAUTH_SCOPE_KEY] = audience
        context.turn_state[self.BOT_CALLBACK_HANDLER_KEY] = logic
        context.turn_state[self.CONNECTOR_KEY] = self.connector
        return context

    # Outbound ---------------------------------------------------------------------------------------

    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
        """As botbuilder's CloudAdapter: a reply when the activity has replyToId (TurnContext sets it from the
        incoming activity), else a new message; invoke responses are kept for the HTTP answer."""
        if not activities:
            raise TypeError("Expecting one or more activities, but the list was empty.")
        responses = []
        for activity in activities:
            activity.id = None
            response = ResourceResponse()
            if activity.type == "delay":
                await asyncio.sleep(int(activity.value or 1000) / 1000)
            elif activity.type == ActivityTypes.invoke_response:
                context.turn_state[self._INVOKE_RESPONSE_KEY] = activity
            elif activity.type == ActivityTypes.trace and activity.channel_id != Channels.emulator:
                pass
            else:
                service_url, conversation_id = _address(activity)
                if activity.reply_to_id:
                    sent = await self.connector.reply_to_activity(
                        service_url, conversation_id, activity.reply_to_id, outgoing(activity)
                    )
                else:
                    sent = await self.connector.send_to_conversation(service_url, conversation_id, outgoing(activity))
                response = ResourceResponse(id=sent)
            responses.append(response)
        return responses

    async def update_activity(self, context: TurnContext, activity: Activity) -> ResourceResponse | None:
        if not activity.id:
            raise ValueError("update_activity needs the id of the activity to replace")
        service_url, conversation_id = _address(activity)
        updated = await self.connector.update_activity(service_url, conversation_id, activity.id, outgoing(activity))
        return ResourceResponse(id=updated) if updated else None

    async def delete_activity(self, context: TurnContext, reference: ConversationReference) -> None:
        if not (reference and reference.conversation and reference.activity_id):
            raise ValueError("delete_activity needs a conversation and an activity id")
        await self.connector.delete_activity(reference.service_url, reference.conversation.id, reference.activity_id)

    async def continue_conversation(  # type: ignore[override]
        self,
        reference: ConversationReference,
        callback: Logic,
        bot_id: str | None = None,
        claims_identity: ClaimsIdentity | None = None,
        audience: str | None = None,
    ) -> None:
        """A proactive turn in a stored conversation. Unlike a user's turn, a failure is raised to the caller
        (a notifier must know its post did not arrive) rather than answered with an apology in the chat."""
        app_id = bot_id or self.app_id
        identity = claims_identity or ClaimsIdentity(
            {AuthenticationConstants.AUDIENCE_CLAIM: app_id, AuthenticationConstants.APP_ID_CLAIM: app_id}, True
        )
        activity = get_continuation_activity(reference)
        context = self._turn_context(activity, identity, audience, callback)
        await self._middleware.receive_activity_with_status(context, callback)


async def _read_activity_json(request: web.Request) -> tuple[dict[str, Any] | None, web.Response | None]:
    """The body as a JSON object, or None and the answer it gets (past the size limit, aiohttp raises 413)."""
    if "application/json" not in request.headers.get("Content-Type", ""):
        return None, _text(415, "Bot Framework activities are JSON")
    try:
        body = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested deeper than json reads
        return None, _text(400, "not a Bot Framework activity")
    if not isinstance(body, dict):
        return None, _text(400, "not a Bot Framework activity")
    return body, None


def _envelope(body: dict[str, Any]) -> Activity | None:
    """Only what verification reads: the channel and the service URL the token must name."""
    channel_id, service_url = body.get("channelId"), body.get("serviceUrl")
    if not isinstance(channel_id, (str, type(None))) or not isinstance(service_url, (str, type(None))):
        return None
    return Activity(channel_id=channel_id, service_url=service_url)


_TEXTS = ("type", "id", "name", "text", "locale", "channelId", "serviceUrl", "replyToId", "action", "textFormat")
_ACCOUNTS = ("from", "recipient", "conversation")
_ACCOUNT_TEXTS = ("id", "name", "aadObjectId", "role", "tenantId", "conversationType")
_CHANNEL_DATA_OBJECTS = ("tenant", "team", "channel", "settings")


def _well_typed(body: dict[str, Any]) -> bool:
    """The fields Tally reads have the JSON types the Bot Framework sends (msrest would turn a number or an object
    into a string where one belongs, and the turn would fail later, on an address that can't be)."""
    if not all(isinstance(body.get(key), str | None) for key in _TEXTS):
        return False
    for key in _ACCOUNTS:
        account = body.get(key)
        if account is not None and not (
            isinstance(account, dict) and all(isinstance(account.get(k), str | None) for k in _ACCOUNT_TEXTS)
        ):
            return False
    data = body.get("channelData")
    if data is not None and not (
        isinstance(data, dict) and all(isinstance(data.get(key), dict | None) for key in _CHANNEL_DATA_OBJECTS)
    ):
        return False
    tenant = (data or {}).get("tenant") or {}
    value = body.get("value")
    if not (isinstance(tenant.get("id"), str | None) and isinstance(value, dict | None)):
        return False
    action = (value or {}).get("action")  # an object for adaptiveCard/action; fileConsent's is a word
    if body.get("name") == "adaptiveCard/action" and not isinstance(action, dict):
        return False
    holders = (value or {}, action if isinstance(action, dict) else {})  # composeExtension: value.data
    return all(isinstance(holder.get("data"), dict | None) for holder in holders)


def _address(activity: Activity) -> tuple[str, str]:
    if not activity.service_url or not activity.conversation or not activity.conversation.id:
        raise ValueError("an activity needs a serviceUrl and a conversation to be sent")
    return activity.service_url, activity.conversation.id


def _invoke_response(value: Any) -> InvokeResponse:
    """The bot's invoke answer: an InvokeResponse, or the same as a dict ({"status": …, "body": …})."""
    if isinstance(value, InvokeResponse):
        return value
    if isinstance(value, dict):
        return InvokeResponse(status=value.get("status") or HTTPStatus.OK, body=value.get("body"))
    return InvokeResponse(status=HTTPStatus.INTERNAL_SERVER_ERROR)
