"""The Teams bot: each handler translates an activity into an input, asks the core, and sends each reply
where it belongs: the conversation, the card acted on, the person's 1:1 chat with Tally, or a dialog."""

from __future__ import annotations

import asyncio
import hmac
import logging
from dataclasses import dataclass
from typing import Any

from botbuilder.core import ActivityHandler, InvokeResponse, MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes, AdaptiveCardInvokeResponse, Attachment
from botbuilder.schema.teams import (
    MessagingExtensionActionResponse,
    TaskModuleContinueResponse,
    TaskModuleTaskInfo,
)

from adapters.newest import NewestOnly
from bot import inputs
from bot.core import Core, Outcome
from bot.errors import reply_for_error
from bot.ids import FormField, FormId, IdeaField
from bot.replies import Reply, ReplyKind, Target
from storage.conversations import ConversationStore

from . import cards, files, translate
from .ids import ADAPTIVE_CARD, FORM_VERBS, DataKey, InvokeName
from .invokes import CardActionMessage
from .outbox import TeamsOutbox, card_activity
from .replacing import as_replacement, is_plain, submits_form

log = logging.getLogger("tally.teams")

WELCOME = "Hello! I'm Tally. Type problem <what went wrong> to log a problem, problem for the form, or tally help."
SENT_PRIVATELY = "I've answered you in your chat with Tally."
TURN_FAILED = (
    "Sorry, Tally couldn't show its answer. What you asked may already be done: "
    "type problem list to check before you try again."
)
FORM_SENT = "The form is below: fill it in to propose your fix."
FORM_SENT_PRIVATELY = "I've sent you the form in your chat with Tally: what you fill in there is yours alone."
NOT_SENT_PRIVATELY = (
    "I couldn't open a private chat with you, so the answer wasn't shown here. "
    "Open a chat with Tally (Apps → Tally) and try again there."
)


def attachment(card: dict[str, Any]) -> Attachment:
    return Attachment(content_type=ADAPTIVE_CARD, content=card)


def card_for(reply: Reply) -> dict[str, Any]:
    return cards.form_card(reply.form) if reply.form is not None else cards.reply_card(reply)


def invoke_ok(body: object = None) -> InvokeResponse:
    return InvokeResponse(status=200, body=body)


def with_origin(card: dict[str, Any], origin: str, seal: str) -> dict[str, Any]:
    """Buttons of a card sent to someone's 1:1 chat remember the conversation it was asked from, sealed so
    that a tampered card can't make Tally post into another conversation."""
    for action in card.get("actions") or ():
        for holder in (action, action.get("fallback") or {}):
            if isinstance(holder.get("data"), dict):
                holder["data"][DataKey.ORIGIN.value] = origin
                holder["data"][DataKey.ORIGIN_SEAL.value] = seal
    return card


PERSONAL_DIGEST = (
    "A forum's digest can't go to a personal chat with Tally: use a channel or group chat. "
    "Type it there, mentioning @Tally."
)


class TeamsAsks(inputs.Trusting):
    """Teams has no private way to show an anonymous report in a channel: the card would answer, in the
    thread, the message the reporter typed under their own name. Anonymous means a personal chat.

    A digest is the other way round: it goes to a channel or group chat (Tally was @mentioned there, so it can
    post), never to someone's personal chat."""

    def __init__(self, personal: bool, in_personal_chat: bool | None = None) -> None:
        super().__init__()
        self.personal = personal
        self.in_personal_chat = personal if in_personal_chat is None else in_personal_chat

    async def can_post_here(self) -> bool:
        return self.personal

    async def digest_problem(self) -> str:
        return PERSONAL_DIGEST if self.in_personal_chat else ""


@dataclass(frozen=True)
class Turn:
    """Where this turn's replies can go."""

    context: TurnContext
    personal: bool  # a 1:1 chat with Tally: nothing here is seen by anyone else
    origin: str  # the conversation a CONVERSATION reply goes to (a card pressed in 1:1 may name another)

    @property
    def activity(self) -> Activity:
        return self.context.activity

    @property
    def here(self) -> str:
        return translate.conversation_id(self.activity)


# A person's 1:1 chat is never stored by its id: that id leads to one person, and a row written beside an anonymous
# report would tie the two (PostgreSQL keeps each row's writing transaction). Tally reaches people by their Entra
# object id (outbox.personal opens the chat); all a 1:1 chat leaves is the tenant's service address, under this id.
PERSONAL = "personal"


class TallyTeamsBot(ActivityHandler):
    REMEMBERED_LIMIT = 50_000  # conversations whose stored reference is kept in memory; forgotten all at once beyond

    def __init__(self, core: Core, conversations: ConversationStore) -> None:
        self.core = core
        self.conversations = conversations
        self.outbox: TeamsOutbox | None = None
        self._remembered: dict[tuple[str, str], dict[str, Any]] = {}  # (tenant, conversation) -> reference stored
        self.newest = NewestOnly()  # a card everyone sees, replaced in place: the newest committed change wins

    def connect(self, outbox: TeamsOutbox) -> None:
        self.outbox = outbox

    async def on_turn(self, turn_context: TurnContext) -> None:
        await self.remember(turn_context.activity)
        await super().on_turn(turn_context)

    async def remember(self, activity: Activity) -> None:
        """Keep the conversation reference, so digests and notifications can post here later. The store writes
        only a changed reference; one this process stored already isn't even handed to a worker thread."""
        if not activity.conversation or not activity.service_url:
            return
        kind = activity.conversation.conversation_type or "personal"
        reference = translate.postable_reference(activity)
        if kind == "personal":  # a 1:1 chat leads to one person: keep only how to reach the tenant (see PERSONAL)
            reference = {**reference, "conversation": None}
            key = (translate.tenant_id(activity), PERSONAL)
        else:
            key = (translate.tenant_id(activity), translate.conversation_id(activity))
        if self._remembered.get(key) == reference:
            return
        await asyncio.to_thread(self.conversations.remember, "teams", *key, kind, reference)
        if len(self._remembered) >= self.REMEMBERED_LIMIT:
            self._remembered.clear()
        self._remembered[key] = reference

    def seal(self, activity: Activity, origin: str) -> str:
        """Binds an origin to the tenant and to the person it was sent to, with the core's secret key."""
        sender = activity.from_property.id if activity.from_property else ""
        return self.core.hash_delivery(f"origin|{translate.tenant_id(activity)}|{sender}|{origin}")

    def turn(self, turn_context: TurnContext, data: dict[str, Any] | None = None) -> Turn:
        activity = turn_context.activity
        here = translate.conversation_id(activity)
        kind = activity.conversation.conversation_type if activity.conversation else None
        origin = str((data or {}).get(DataKey.ORIGIN.value) or "")
        sealed = str((data or {}).get(DataKey.ORIGIN_SEAL.value) or "")
        # As bytes: compare_digest refuses str with non-ASCII characters, which a forged card may carry.
        if not origin or not hmac.compare_digest(sealed.encode(), self.seal(activity, origin).encode()):
            origin = here
        return Turn(turn_context, (kind or "personal") == "personal", origin)

    def source(self, activity: Activity) -> dict[str, Any]:
        return {
            "ws": translate.workspace_ref(activity),
            "actor": translate.actor(activity),
            "delivery_id": translate.delivery_id(activity),
            "conversation": translate.conversation_id(activity),
        }

    # --- what people do ------------------------------------------------------------------------------------
    async def on_members_added_activity(self, members_added, turn_context: TurnContext) -> None:  # type: ignore[no-untyped-def]
        activity = turn_context.activity
        if any(m.id == activity.recipient.id for m in members_added):
            outcome = await self.core.handle(inputs.Installed(**self.source(activity)))
            if not outcome.redelivered:  # the same activity sent again is welcomed once
                await turn_context.send_activity(MessageFactory.text(WELCOME))

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if activity.conversation is None:  # Teams always says where: with nowhere to answer, nothing is done
            log.info("ignored a Teams message without a conversation")
            return
        if activity.value and not (activity.text or "").strip():
            await self.on_card_submit(turn_context)
            return
        typed = inputs.Typed(
            **self.source(activity), text=translate.message_text(activity, await self.people(activity))
        )
        turn = self.turn(turn_context)
        await self.deliver(turn, await self.core.handle(typed, TeamsAsks(turn.personal)))

    async def people(self, activity: Activity) -> dict[str, str]:
        """Mentioned people's Entra object ids (Tally knows people by them; a mention carries only its own id)."""
        found: dict[str, str] = {}
        for member_id, _ in translate.mentions(activity):
            if self.outbox is None:
                break
            try:
                data = await self.outbox.connector.get_member(activity.service_url, activity.conversation.id, member_id)
            except Exception as exc:  # noqa: BLE001 - the mention stays a name, and the grammar says so
                log.info("could not look up a mentioned member (%s)", type(exc).__name__)
                continue
            if object_id := data.get("objectId") or data.get("aadObjectId"):
                found[member_id] = str(object_id)
        return found

    @staticmethod
    def asks(turn: Turn) -> TeamsAsks:
        """A card's new problem goes to its origin: anonymous is fine only when that is a personal chat."""
        return TeamsAsks(turn.personal and turn.origin == turn.here, in_personal_chat=turn.personal)

    def card_input(self, activity: Activity, data: dict[str, Any]) -> inputs.Input:
        action, value = translate.button(data)
        form = FORM_VERBS.get(action)
        if form is not None:
            values = translate.form_values(data, IdeaField if form is FormId.IDEA else FormField)
            return inputs.Submitted(**self.source(activity), values=values, form=form)
        return inputs.Pressed(**self.source(activity), action=action, value=value)

    async def on_card_submit(self, turn_context: TurnContext) -> None:
        """Action.Submit (the fallback for clients without Universal Actions): replace the card in place."""
        data = translate.card_action_data(turn_context.activity)
        turn = self.turn(turn_context, data)
        outcome = await self.core.handle(self.card_input(turn_context.activity, data), self.asks(turn))
        await self.deliver(turn, as_replacement(outcome, submitted=data), replace_id=turn_context.activity.reply_to_id)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        name = turn_context.activity.name
        if name == InvokeName.CARD_ACTION:
            return await self.on_card_action_invoke(turn_context)
        if name == InvokeName.EXTENSION_FETCH:
            return await self.on_extension_fetch(turn_context)
        if name == InvokeName.EXTENSION_SUBMIT:
            return await self.on_extension_submit(turn_context)
        if name == InvokeName.FILE_CONSENT:
            return await files.on_file_consent(self, turn_context)
        # An invoke Tally has nothing for (a newer client feature, a forged name): answered, never a 5xx.
        log.info("Teams invoke %r ignored", str(name or "")[:64])
        return InvokeResponse(status=200)

    async def on_card_action_invoke(self, turn_context: TurnContext) -> InvokeResponse:
        """Action.Execute: the card the person acted on is answered in place (Teams shows it to them); a card
        everyone sees is also updated in the conversation."""
        data = translate.card_action_data(turn_context.activity)
        turn = self.turn(turn_context, data)
        outcome = as_replacement(
            await self.core.handle(self.card_input(turn_context.activity, data), self.asks(turn)), data
        )
        # A form submitted with errors comes back in its own place; a form a button asks for (the idea form, from
        # 'Propose a fix' on a problem's card) is a message of its own, which its idea's card replaces once sent.
        in_place = outcome.first(Target.REPLACE, Target.FORM) if submits_form(data) else outcome.first(Target.REPLACE)
        # A one-line private note is the invoke's own answer when there is no card to return; beside a card
        # (a vote: the card for everyone, "your vote counted" for the voter) it goes privately like any other.
        message = next((r for r in outcome.replies if r.to is Target.PRIVATE and is_plain(r)), None)
        if in_place is not None:
            message = None
        rest = [r for r in outcome.replies if r is not in_place and r is not message]
        shared = (turn.here, turn.activity.reply_to_id)
        self.newest.note(shared, outcome.sequence)  # as it arrives: answers come back from threads in any order
        await self.deliver(turn, Outcome(tuple(rest)))
        if in_place is not None:
            card = card_for(in_place)
            if in_place.kind is ReplyKind.CARD and not turn.personal and turn.activity.reply_to_id:
                try:  # everyone else's copy, newest change only; the person who pressed gets theirs below
                    await self.newest.send(
                        shared, outcome.sequence, lambda: self.update(turn_context, card, turn.activity.reply_to_id)
                    )
                except Exception as exc:  # noqa: BLE001 - what was stored stays stored; the answer still goes
                    log.warning("could not update the card for everyone in the conversation (%s)", type(exc).__name__)
            return invoke_ok(AdaptiveCardInvokeResponse(status_code=200, type=ADAPTIVE_CARD, value=card))
        if message is not None:
            return invoke_ok(CardActionMessage(value=message.text))
        if outcome.first(Target.FORM) is not None:
            return invoke_ok(CardActionMessage(value=FORM_SENT if turn.personal else FORM_SENT_PRIVATELY))
        posted = outcome.first(Target.CONVERSATION)
        if posted is not None and submits_form(data):  # a 1:1 form for a channel: it becomes the card here too
            return invoke_ok(AdaptiveCardInvokeResponse(status_code=200, type=ADAPTIVE_CARD, value=card_for(posted)))
        return invoke_ok(CardActionMessage(value="Done."))

    def dialog(self, card: dict[str, Any]) -> MessagingExtensionActionResponse:
        info = TaskModuleTaskInfo(title="Log a problem", card=attachment(card), height="large", width="medium")
        return MessagingExtensionActionResponse(task=TaskModuleContinueResponse(value=info))

    async def on_extension_fetch(self, turn_context: TurnContext) -> InvokeResponse:
        """'Log as a problem' from a message's … menu: the form, with the message's text filled in."""
        activity = turn_context.activity
        prefill = translate.message_payload_text(activity.value or {})
        outcome = await self.core.handle(
            inputs.OpenedForm(**{**self.source(activity), "delivery_id": None}, prefill=prefill)
        )
        form = outcome.first(Target.FORM)
        if form is None or form.form is None:
            await self.deliver(self.turn(turn_context), outcome)
            return invoke_ok(MessagingExtensionActionResponse())
        return invoke_ok(self.dialog(cards.form_card(form.form, for_dialog=True)))

    async def on_extension_submit(self, turn_context: TurnContext) -> InvokeResponse:
        data = translate.extension_data(turn_context.activity)
        outcome = await self.core.handle(
            self.card_input(turn_context.activity, data), self.asks(self.turn(turn_context))
        )
        form = outcome.first(Target.FORM)
        if form is not None and form.form is not None:  # errors: show the form again, inside the same dialog
            return invoke_ok(self.dialog(cards.form_card(form.form, for_dialog=True)))
        await self.deliver(self.turn(turn_context), outcome)
        return invoke_ok(MessagingExtensionActionResponse())

    # --- where replies go ----------------------------------------------------------------------------------
    async def deliver(self, turn: Turn, outcome: Outcome, replace_id: str | None = None) -> None:
        for reply in outcome.replies:
            if reply.file is not None:
                await self.offer_file(turn, reply)
                continue
            card = card_for(reply)
            if reply.to is Target.REPLACE and replace_id:
                await self.update(turn.context, card, replace_id)
            elif reply.to is Target.DIRECT:
                if self.outbox is not None:
                    await self.outbox.send(translate.workspace_ref(turn.activity), reply)
            elif reply.to in (Target.PRIVATE, Target.FORM) and not turn.personal:
                # A form asked for in a channel is the person's own to fill in: their 1:1 chat, like a private reply.
                await self.private(turn, reply, card)
            elif reply.to is Target.CONVERSATION and turn.origin != turn.here and self.outbox is not None:
                await self.outbox.to_conversation(translate.tenant_id(turn.activity), turn.origin, card)
            else:
                await turn.context.send_activity(MessageFactory.attachment(attachment(card)))

    async def offer_file(self, turn: Turn, reply: Reply) -> None:
        """A file is offered in the person's 1:1 chat, the only place Teams lets a bot send one."""
        if turn.personal:
            await turn.context.send_activity(Activity.deserialize(files.consent_activity(reply)))
            return
        await self.private_activity(turn, files.consent_activity(reply))

    async def private(self, turn: Turn, reply: Reply, card: dict[str, Any]) -> None:
        """Teams has no ephemeral messages: private means the person's 1:1 chat with Tally."""
        sealed = with_origin(card, turn.here, self.seal(turn.activity, turn.here))
        await self.private_activity(turn, card_activity(sealed))

    async def private_activity(self, turn: Turn, sent: dict[str, Any]) -> None:
        activity = turn.activity
        try:
            assert self.outbox is not None, "Teams outbox not connected"
            await self.outbox.personal_activity(
                activity.service_url,
                translate.tenant_id(activity),
                {"id": activity.recipient.id, "name": activity.recipient.name} if activity.recipient else {},
                activity.from_property.id,
                sent,
            )
        except Exception as exc:  # noqa: BLE001 - the person is told in the thread, without the private content
            log.warning("could not open a 1:1 chat for a private reply (%s)", type(exc).__name__)
            await turn.context.send_activity(MessageFactory.text(NOT_SENT_PRIVATELY))

    async def update(self, turn_context: TurnContext, card: dict[str, Any], activity_id: str) -> None:
        message = MessageFactory.attachment(attachment(card))
        message.id = activity_id
        await turn_context.update_activity(message)


async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
    """Anything the bot didn't handle: log it with context, answer politely, never a stack trace. The core may
    have committed before the failure (sending is what failed), so the apology doesn't say nothing was stored."""
    reply_for_error(error, f"teams {turn_context.activity.type}:{turn_context.activity.name or ''}")  # logs it
    if turn_context.activity.type == ActivityTypes.invoke:
        answer = InvokeResponse(status=200, body=CardActionMessage(value=TURN_FAILED))
        await turn_context.send_activity(Activity(type=ActivityTypes.invoke_response, value=answer))
        return
    try:
        await turn_context.send_activity(MessageFactory.text(TURN_FAILED))
    except Exception:  # noqa: BLE001 - the connector itself may be what failed
        log.warning("could not send the apology to Teams")
