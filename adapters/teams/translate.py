"""Teams activities in, neutral pieces out: tenant, user, text without the @mention, form values."""

from __future__ import annotations

import html
import re
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot import commands as c
from bot.ids import FormField, IdeaField
from storage.model import Platform

from .ids import DataKey
from .wire import to_wire

MULTI_VALUE_FIELDS = (FormField.IMPACTS, FormField.OPTIONS, IdeaField.OPTIONS)
_TAGS = re.compile(r"<[^>]+>")


def tenant_id(activity: Activity) -> str:
    """Workspace = the Microsoft 365 tenant; the Emulator has none, so it gets one of its own."""
    channel_data = activity.channel_data or {}
    tenant = (channel_data.get("tenant") or {}).get("id") if isinstance(channel_data, dict) else None
    conversation_tenant = getattr(activity.conversation, "tenant_id", None) if activity.conversation else None
    return tenant or conversation_tenant or "emulator"


def workspace_ref(activity: Activity) -> c.WorkspaceRef:
    return c.WorkspaceRef(Platform.TEAMS, tenant_id(activity))


def actor(activity: Activity) -> c.Actor:
    """Users by their Entra object id (the Emulator sends only a channel id)."""
    sender = activity.from_property
    return c.Actor((sender.aad_object_id or sender.id) if sender else "unknown")


def delivery_id(activity: Activity) -> str:
    """The same for a redelivered activity; the core keys and hashes it, so it is never stored as it is."""
    conversation = activity.conversation.id if activity.conversation else ""
    return f"{conversation}|{activity.id}"


_MESSAGE_ID = re.compile(r";messageid=\d+$")


def conversation_id(activity: Activity) -> str:
    """The conversation without ';messageid=…': in a channel that names the message a thread started from,
    which is its author's message and its time, so it must never be stored beside an anonymous report."""
    return _MESSAGE_ID.sub("", activity.conversation.id if activity.conversation else "")


def postable_reference(activity: Activity) -> dict[str, Any]:
    """Only what posting later needs: no user, no message id and no thread, so no stored row says who wrote,
    or when. Posts made from it later start a new thread in the channel."""
    reference = TurnContext.get_conversation_reference(activity)
    reference.user = None
    reference.activity_id = None
    if reference.conversation is not None:
        reference.conversation.id = conversation_id(activity)
    return to_wire(reference)


def plain_text(text: str) -> str:
    """Teams may send HTML; commands are plain words."""
    return " ".join(html.unescape(_TAGS.sub(" ", text or "")).split())


def message_text(activity: Activity, people: dict[str, str] | None = None) -> str:
    """The text with '@Tally' taken out, so a channel message parses like a personal one; other people
    mentioned become <@their Entra object id>, as `people` (mention id -> object id) says."""
    text = TurnContext.remove_recipient_mention(activity) if activity.entities else activity.text
    marks: dict[str, str] = {}
    for n, (member_id, shown) in enumerate(mentions(activity)):
        if not shown or shown not in (text or ""):
            continue
        object_id = (people or {}).get(member_id)
        mark = f"TALLYMENTION{n}X"
        text = (text or "").replace(shown, f" {mark} ", 1)
        # Someone Tally couldn't look up stays a name that no command takes for an id.
        marks[mark] = f"<@{object_id}>" if object_id else "@" + plain_text(shown).replace(" ", "\u00a0")
    plain = plain_text(text or "")
    for mark, person in marks.items():
        plain = plain.replace(mark, person)
    return plain


def mentions(activity: Activity) -> list[tuple[str, str]]:
    """(member id, the mention's text) for each person mentioned in a message, Tally itself left out."""
    me = activity.recipient.id if activity.recipient else None
    found = []
    for entity in activity.entities or ():
        if isinstance(entity, dict):
            data = entity
        else:  # msrest keeps what its model doesn't name (mentioned, text) apart
            data = {**(getattr(entity, "additional_properties", None) or {}), "type": getattr(entity, "type", None)}
        member = data.get("mentioned") or {}
        if data.get("type") == "mention" and member.get("id") and member.get("id") != me:
            found.append((str(member["id"]), str(data.get("text") or "")))
    return found


def card_action_data(activity: Activity) -> dict[str, Any]:
    """Action.Execute data (invoke), or Action.Submit data (a message whose value is the data)."""
    value = activity.value
    if isinstance(value, dict) and isinstance(value.get("action"), dict):
        value = value["action"].get("data")
    return dict(value) if isinstance(value, dict) else {}


def extension_data(activity: Activity) -> dict[str, Any]:
    """The message extension's form, as its submitAction sends it (its inputs, under value.data)."""
    value = activity.value
    data = value.get("data") if isinstance(value, dict) else None
    return dict(data) if isinstance(data, dict) else {}


def form_values(data: dict[str, Any], fields: type[FormField] | type[IdeaField] = FormField) -> dict[Any, object]:
    """A submitted card's inputs -> {field id: str | list[str]}, for the form's own ids (FormField or IdeaField)."""
    values: dict[Any, object] = {}
    for field in fields:
        raw = data.get(field.value)
        if raw is None:
            continue
        if field in MULTI_VALUE_FIELDS:
            values[field] = [v for v in str(raw).split(",") if v]
        else:
            values[field] = str(raw)
    return values


def button(data: dict[str, Any]) -> tuple[str, str]:
    return str(data.get(DataKey.ACTION.value) or ""), str(data.get(DataKey.VALUE.value) or "")


def message_payload_text(value: dict[str, Any]) -> str:
    """The text of the message a message action was started from."""
    body = ((value or {}).get("messagePayload") or {}).get("body") or {}
    return plain_text(body.get("content") or "")
