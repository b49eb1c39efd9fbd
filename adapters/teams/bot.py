"""The Teams bot: each handler translates an activity, asks the bus, and renders the reply as a card."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from botbuilder.core import ActivityHandler, InvokeResponse, MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes, AdaptiveCardInvokeResponse, Attachment
from botbuilder.schema.teams import (
    MessagingExtensionActionResponse,
    TaskModuleContinueResponse,
    TaskModuleTaskInfo,
)
from msrest.serialization import Model

from bot import commands as c
from bot.bus import MessageBus
from bot.errors import TallyError, reply_for_error
from bot.grammar import parse_line
from bot.replies import Reply, ReplyKind
from storage.conversations import ConversationStore

from . import cards, translate
from .ids import ADAPTIVE_CARD, CardVerb, InvokeName

log = logging.getLogger("tally.teams")


class CardActionMessage(Model):
    """An Action.Execute answer that shows a message and leaves the card as it was.

    botbuilder's AdaptiveCardInvokeResponse types `value` as a dict, so it can't carry the string
    Teams expects here; this model serializes exactly {statusCode, type, value}.
    """

    _attribute_map = {
        "status_code": {"key": "statusCode", "type": "int"},
        "type": {"key": "type", "type": "str"},
        "value": {"key": "value", "type": "str"},
    }

    def __init__(self, *, value: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.status_code = 200
        self.type = "application/vnd.microsoft.activity.message"
        self.value = value


WELCOME = "Hello! I'm Tally. Type problem <what went wrong> to log a problem, problem for the form, or tally help."


def attachment(card: dict[str, Any]) -> Attachment:
    return Attachment(content_type=ADAPTIVE_CARD, content=card)


def card_for(reply: Reply) -> dict[str, Any]:
    return cards.capture_card(reply.form) if reply.form is not None else cards.reply_card(reply)


def invoke_ok(body: object = None) -> InvokeResponse:
    """Bodies stay msrest models: CloudAdapter serializes them once (a dict here would answer 500)."""
    return InvokeResponse(status=200, body=body)


class TallyTeamsBot(ActivityHandler):
    def __init__(self, bus: MessageBus, conversations: ConversationStore, delivery_key: bytes) -> None:
        self.bus = bus
        self.conversations = conversations
        self.delivery_key = delivery_key

    async def handle(self, command: c.Command) -> Reply:
        return await asyncio.to_thread(self.bus.handle, command)

    async def on_turn(self, turn_context: TurnContext) -> None:
        await self.remember(turn_context.activity)
        await super().on_turn(turn_context)

    async def remember(self, activity: Activity) -> None:
        """Keep the conversation reference, so digests and notifications can post here later."""
        if not activity.conversation or not activity.service_url:
            return
        reference = translate.postable_reference(activity)
        await asyncio.to_thread(
            self.conversations.remember,
            "teams",
            translate.tenant_id(activity),
            activity.conversation.id,
            activity.conversation.conversation_type or "personal",
            reference,
        )

    async def on_members_added_activity(self, members_added, turn_context: TurnContext) -> None:  # type: ignore[no-untyped-def]
        activity = turn_context.activity
        if any(m.id == activity.recipient.id for m in members_added):
            claim = c.ClaimFirstOwnership(ws=translate.workspace_ref(activity), actor=translate.actor(activity))
            await self.handle(claim)
            await turn_context.send_activity(MessageFactory.text(WELCOME))

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if activity.value and not (activity.text or "").strip():
            await self.on_card_submit(turn_context)
            return
        ws, who = translate.workspace_ref(activity), translate.actor(activity)
        try:
            command = parse_line(
                translate.message_text(activity), ws, who, translate.delivery_id(activity, self.delivery_key)
            )
        except TallyError as exc:
            reply = reply_for_error(exc)
        else:
            reply = await self.handle(command)
        await turn_context.send_activity(MessageFactory.attachment(attachment(card_for(reply))))

    async def card_action(self, turn_context: TurnContext, data: dict[str, Any]) -> Reply:
        activity = turn_context.activity
        ws, who, delivery = (
            translate.workspace_ref(activity),
            translate.actor(activity),
            translate.delivery_id(activity, self.delivery_key),
        )
        action, value = translate.button(data)
        if action == CardVerb.SUBMIT_FORM:
            form = c.SubmitCaptureForm(ws=ws, actor=who, values=translate.form_values(data), delivery_id=delivery)
            return await self.handle(form)
        return await self.handle(c.PressButton(ws=ws, actor=who, action=action, value=value, delivery_id=delivery))

    async def on_card_submit(self, turn_context: TurnContext) -> None:
        """Action.Submit (the fallback for clients without Universal Actions): update the card in place."""
        reply = await self.card_action(turn_context, translate.card_action_data(turn_context.activity))
        message = MessageFactory.attachment(attachment(card_for(reply)))
        if reply.kind is not ReplyKind.ERROR and turn_context.activity.reply_to_id:
            message.id = turn_context.activity.reply_to_id
            await turn_context.update_activity(message)
        else:
            await turn_context.send_activity(message)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        name = turn_context.activity.name
        if name == InvokeName.CARD_ACTION:
            return await self.on_card_action_invoke(turn_context)
        if name == InvokeName.EXTENSION_FETCH:
            return await self.on_extension_fetch(turn_context)
        if name == InvokeName.EXTENSION_SUBMIT:
            return await self.on_extension_submit(turn_context)
        return InvokeResponse(status=501)

    async def on_card_action_invoke(self, turn_context: TurnContext) -> InvokeResponse:
        """Action.Execute: answer with the refreshed card, which Teams swaps in place."""
        reply = await self.card_action(turn_context, translate.card_action_data(turn_context.activity))
        if reply.kind is ReplyKind.ERROR:
            return invoke_ok(CardActionMessage(value=reply.text))
        return invoke_ok(AdaptiveCardInvokeResponse(status_code=200, type=ADAPTIVE_CARD, value=card_for(reply)))

    def dialog(self, card: dict[str, Any]) -> MessagingExtensionActionResponse:
        info = TaskModuleTaskInfo(title="Log a problem", card=attachment(card), height="large", width="medium")
        return MessagingExtensionActionResponse(task=TaskModuleContinueResponse(value=info))

    async def on_extension_fetch(self, turn_context: TurnContext) -> InvokeResponse:
        """'Log as a problem' from a message's … menu: the form, with the message's text filled in."""
        activity = turn_context.activity
        prefill = translate.message_payload_text(activity.value or {})
        reply = await self.handle(
            c.OpenCaptureForm(ws=translate.workspace_ref(activity), actor=translate.actor(activity), prefill=prefill)
        )
        assert reply.form is not None
        return invoke_ok(self.dialog(cards.capture_card(reply.form, for_dialog=True)))

    async def on_extension_submit(self, turn_context: TurnContext) -> InvokeResponse:
        data = dict((turn_context.activity.value or {}).get("data") or {})
        reply = await self.card_action(turn_context, data)
        if reply.form is not None:  # errors: show the form again, inside the same dialog
            return invoke_ok(self.dialog(cards.capture_card(reply.form, for_dialog=True)))
        await turn_context.send_activity(MessageFactory.attachment(attachment(card_for(reply))))
        return invoke_ok(MessagingExtensionActionResponse())


async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
    """Anything the bot didn't handle: log it with context, answer politely, never a stack trace."""
    reply = reply_for_error(error, f"teams {turn_context.activity.type}:{turn_context.activity.name or ''}")
    if turn_context.activity.type == ActivityTypes.invoke:
        await turn_context.send_activity(Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=500)))
        return
    try:
        await turn_context.send_activity(MessageFactory.text(reply.text))
    except Exception:  # noqa: BLE001 - the connector itself may be what failed
        log.warning("could not send the apology to Teams")
