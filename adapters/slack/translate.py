"""Slack payloads in, neutral pieces out: workspace, actor, text and form values."""

from __future__ import annotations

import hashlib
import html
import json
import re
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext

from bot import commands as c
from bot.ids import FormField, IdeaField
from storage.model import Platform


def workspace_ref(context: AsyncBoltContext) -> c.WorkspaceRef:
    """A workspace is one Slack team, or the whole Grid org when Tally is installed org-wide."""
    if context.is_enterprise_install and context.enterprise_id:
        return c.WorkspaceRef(Platform.SLACK, context.enterprise_id)
    return c.WorkspaceRef(Platform.SLACK, context.team_id or context.enterprise_id or "unknown")


def actor(context: AsyncBoltContext, is_admin: bool = False) -> c.Actor:
    return c.Actor(context.user_id or "unknown", is_admin=is_admin)


def command_text(body: dict[str, Any]) -> str:
    """Slack sends &, < and > escaped as HTML entities."""
    return html.unescape(body.get("text") or "")


_MARKUP = re.compile(r"<([^<>]*)>")


def _unmark(match: re.Match[str]) -> str:
    """<@U1|ann> -> @ann, <#C1|general> -> #general, <!here> -> @here, <https://x|label> -> label (https://x)."""
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith(("@", "#")):
        return (target[0] + label.lstrip("@#")) if label else target
    if target.startswith("!"):
        if label:
            return label
        word = target[1:].split("^")[0]
        return "@" + word if word in ("here", "channel", "everyone") else word
    return f"{label} ({target})" if label and label != target else target


def message_text(message: object) -> str:
    """A Slack message's text as a person reads it: markup for mentions, channels and links made plain."""
    return html.unescape(_MARKUP.sub(_unmark, as_text(as_object(message).get("text"))))


def as_object(value: object) -> dict[str, Any]:
    """A part of a payload that should be an object: anything else (a list, a string, null) is read as empty."""
    return value if isinstance(value, dict) else {}


def _state(view: dict[str, Any]) -> dict[str, Any]:
    return as_object(as_object(view.get("state")).get("values"))


def well_formed(body: dict[str, Any]) -> bool:
    """Whether an interaction has the parts Bolt routes it by (its action, view or callback id). Slack always
    sends them; a payload without them is answered 200 and dropped, as Bolt would fail on it with a 500."""
    kind = body.get("type")
    if kind == "block_actions":
        actions = body.get("actions")
        return isinstance(actions, list) and bool(actions) and isinstance(as_object(actions[0]).get("action_id"), str)
    if kind in ("view_submission", "view_closed"):
        return isinstance(as_object(body.get("view")).get("callback_id"), str)
    if kind in ("shortcut", "message_action"):
        return isinstance(body.get("callback_id"), str)
    return True


def view_delivery_id(body: dict[str, Any], view: dict[str, Any]) -> str:
    """The same for Slack's retry of a submission (the same request again); each submission of the form, even
    with the same answers after putting something right, has a trigger_id of its own."""
    if body.get("trigger_id"):
        return f"view:{view.get('id')}:{body['trigger_id']}"
    state = json.dumps(_state(view), sort_keys=True, default=str)
    return f"view:{view.get('id')}:{hashlib.sha256(state.encode()).hexdigest()[:16]}"


def as_text(value: object) -> str:
    """What Slack sends as text is a string: anything else was never typed into the form, so it counts as empty."""
    return value if isinstance(value, str) else ""


def _chosen(options: object) -> list[str]:
    return (
        [o["value"] for o in options if isinstance(o, dict) and isinstance(o.get("value"), str)]
        if isinstance(options, list)
        else []
    )


def form_values(view: dict[str, Any], fields: type[FormField] | type[IdeaField] = FormField) -> dict[Any, object]:
    """view.state.values -> {field id: str | list[str]}, whatever element each field uses; `fields` are the
    form's own ids (the capture form's FormField, the idea form's IdeaField). Blocks of another shape, and values
    that aren't text, are left out: the form then says what is missing, rather than Tally failing on them."""
    values: dict[Any, object] = {}
    for block_id, actions in _state(view).items():
        try:
            field = fields(block_id)
        except ValueError:
            continue
        for element in as_object(actions).values():
            element = as_object(element)
            kind = element.get("type")
            if kind == "checkboxes":
                values[field] = _chosen(element.get("selected_options"))
            elif kind == "static_select":
                values[field] = as_text(as_object(element.get("selected_option")).get("value"))
            else:
                values[field] = as_text(element.get("value"))
    return values


def button(action: dict[str, Any]) -> tuple[str, str]:
    """A pressed button's action id and value; one that isn't text (Slack's buttons carry text) is read as none."""
    return as_text(action.get("action_id")), as_text(action.get("value"))


def modal_metadata(channel_id: str | None, response_url: str | None) -> str:
    """Where to post the card once the modal is submitted (kept in the view's private_metadata)."""
    return json.dumps({"channel": channel_id or "", "response_url": response_url or ""})


def read_metadata(view: dict[str, Any]) -> tuple[str, str]:
    try:
        data = as_object(json.loads(as_text(view.get("private_metadata")) or "{}"))
    except ValueError:
        data = {}
    return as_text(data.get("channel")), as_text(data.get("response_url"))
