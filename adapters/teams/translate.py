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


def _mapping(value: object) -> dict[str, Any]:
    """A part of an activity that should be an object: anything else (a list, a string, null) is read as empty."""
    return value if isinstance(value, dict) else {}


def tenant_id(activity: Activity) -> str:
    """Workspace = the Microsoft 365 tenant; the Emulator has none, so it gets one of its own."""
    tenant = _mapping(_mapping(activity.channel_data).get("tenant")).get("id")
    conversation_tenant = getattr(activity.conversation, "tenant_id", None) if activity.conversation else None
    found = tenant if isinstance(tenant, str) and tenant else conversation_tenant
    return found if isinstance(found, str) and found else "emulator"


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
    text = activity.text if isinstance(activity.text, str) else ""
    for shown in _own_mentions(activity):
        text = text.replace(shown, " ")
    marks: dict[str, str] = {}
    for n, (member_id, shown) in enumerate(mentions(activity)):
        if not shown or shown not in text:
            continue
        object_id = (people or {}).get(member_id)
        mark = f"TALLYMENTION{n}X"
        text = text.replace(shown, f" {mark} ", 1)
        # Someone Tally couldn't look up stays a name that no command takes for an id.
        marks[mark] = f"<@{object_id}>" if object_id else "@" + plain_text(shown).replace(" ", "\u00a0")
    plain = plain_text(text)
    for mark, person in marks.items():
        plain = plain.replace(mark, person)
    return plain


def _entities(activity: Activity) -> list[dict[str, Any]]:
    """The message's entities as plain dicts; msrest keeps what its model doesn't name (mentioned, text) apart."""
    found = []
    for entity in activity.entities or ():
        if isinstance(entity, dict):
            found.append(entity)
        else:
            found.append(
                {**(getattr(entity, "additional_properties", None) or {}), "type": getattr(entity, "type", None)}
            )
    return found


def _mentioned(data: dict[str, Any]) -> tuple[str, str] | None:
    """A mention entity's member id and text, when it is a mention whose parts are what Teams sends."""
    member = data.get("mentioned")
    if data.get("type") != "mention" or not isinstance(member, dict) or not isinstance(member.get("id"), str):
        return None
    shown = data.get("text")
    return member["id"], shown if isinstance(shown, str) else ""


def _own_mentions(activity: Activity) -> list[str]:
    """How Tally's own @mentions appear in the text (<at>Tally</at>). botbuilder's remove_recipient_mention
    fails on a mention of another shape, and reads the name as a regular expression, so it isn't used."""
    me = activity.recipient.id if activity.recipient else None
    own = [m for m in map(_mentioned, _entities(activity)) if m is not None and me and m[0] == me]
    return [shown for _, shown in own if shown]


def mentions(activity: Activity) -> list[tuple[str, str]]:
    """(member id, the mention's text) for each person mentioned in a message, Tally itself left out."""
    me = activity.recipient.id if activity.recipient else None
    found = [m for m in map(_mentioned, _entities(activity)) if m is not None]
    return [(member, shown) for member, shown in found if member and member != me]


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


def message_payload_text(value: object) -> str:
    """The text of the message a message action was started from ("" where it isn't text)."""
    content = _mapping(_mapping(_mapping(value).get("messagePayload")).get("body")).get("content")
    return plain_text(content) if isinstance(content, str) else ""
