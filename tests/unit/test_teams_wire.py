"""Tally's cheap msrest JSON (adapters/teams/wire.py) must give exactly what botbuilder's own helpers give."""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botbuilder.core import BotAdapter, InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.serializer_helper import serializer_helper
from botbuilder.schema import Activity, AdaptiveCardInvokeResponse, Attachment, ConversationReference, ResourceResponse
from botbuilder.schema.teams import MessagingExtensionActionResponse, TaskModuleContinueResponse, TaskModuleTaskInfo

from adapters.teams import cards
from adapters.teams.adapter import TallyTurnContext
from adapters.teams.invokes import CardActionMessage
from adapters.teams.wire import from_wire, to_wire
from bot.ids import Action
from bot.replies import Button, Field, Reply, ReplyKind

PAYLOADS = sorted((Path(__file__).parents[1] / "e2e" / "payloads" / "teams").glob("*.json"))
CARD = cards.reply_card(
    Reply(
        text="#3 Letters late — “quoted” ✓",
        kind=ReplyKind.CARD,
        fields=(Field("Staff time this week", "8.5 hours"),),
        buttons=(Button("Happened again", Action.HAPPENED_AGAIN, "3", primary=True),),
        problem_number=3,
    )
)


def payload(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text().replace("{FAKE}", "http://127.0.0.1:3978"))


def msrest_or_error(body: Any) -> Any:
    try:
        return Activity.deserialize(copy.deepcopy(body))
    except Exception as exc:  # noqa: BLE001 - the error's kind is what is compared
        return type(exc)


def wire_or_error(body: Any) -> Any:
    try:
        return from_wire(Activity, copy.deepcopy(body))
    except Exception as exc:  # noqa: BLE001
        return type(exc)


def assert_same_activity(body: Any) -> None:
    expected, got = msrest_or_error(body), wire_or_error(body)
    assert expected == got
    if isinstance(expected, Activity):
        assert expected.additional_properties == got.additional_properties
        for mine, theirs in zip(expected.entities or (), got.entities or (), strict=True):
            assert getattr(mine, "additional_properties", None) == getattr(theirs, "additional_properties", None)
        assert json.dumps(serializer_helper(expected)) == json.dumps(to_wire(got))


@pytest.mark.parametrize("path", PAYLOADS, ids=lambda p: p.stem)
def test_every_recorded_activity_reads_and_writes_as_msrest_does(path: Path) -> None:
    body = payload(path)
    assert_same_activity(body)
    activity = Activity.deserialize(body)
    reference = TurnContext.get_conversation_reference(activity)
    assert to_wire(reference) == serializer_helper(reference)
    stored = serializer_helper(reference)
    assert from_wire(ConversationReference, copy.deepcopy(stored)) == ConversationReference.deserialize(stored)


@pytest.mark.parametrize("path", PAYLOADS, ids=lambda p: p.stem)
def test_malformed_fields_fail_or_pass_as_msrest_says(path: Path) -> None:
    body = payload(path)
    for key in [*body, "unknownKey"]:
        for odd in (None, 1, 2.5, True, "x", "2026-13-45T99:00:00Z", [], {}, [1, None], {"id": 3}, [{"type": 1}]):
            assert_same_activity({**body, key: odd})
    assert_same_activity([body])
    assert_same_activity("not an activity")
    assert_same_activity({**body, "entities": [{"type": "mention", "mentioned": None, "extra": [1]}, None]})


def test_outgoing_activities_and_invoke_answers_serialize_as_msrest_does() -> None:
    incoming = Activity.deserialize(payload(PAYLOADS[0]))
    message = MessageFactory.attachment(
        Attachment(content_type="application/vnd.microsoft.card.adaptive", content=CARD)
    )
    message = TurnContext.apply_conversation_reference(message, TurnContext.get_conversation_reference(incoming))
    message.timestamp = datetime(2026, 11, 21, 10, 30, tzinfo=UTC)
    odd = {"none": None, "list": [1, None, 2.5, True, "s", (1, 2)], "tuple": (1,), "when": datetime(2026, 1, 1)}
    models = [
        message,
        MessageFactory.text("Got it."),
        Activity(type="message", attachments=[Attachment(content_type="x", content=odd)], channel_data=odd),
        InvokeResponse(status=200, body={"a": 1}),
        AdaptiveCardInvokeResponse(status_code=200, type="application/vnd.microsoft.card.adaptive", value=CARD),
        CardActionMessage(value="Done."),
        MessagingExtensionActionResponse(
            task=TaskModuleContinueResponse(
                value=TaskModuleTaskInfo(title="Log a problem", card=Attachment(content=CARD), height="large")
            )
        ),
        ResourceResponse(id="1"),
    ]
    for model in models:
        assert json.dumps(to_wire(model)) == json.dumps(serializer_helper(model))
    assert to_wire(None) is None


class Recorder(BotAdapter):
    """Keeps what a turn sends."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Activity] = []

    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
        for activity in activities:
            activity.id = None
        self.sent.extend(activities)
        return [ResourceResponse(id=str(n)) for n, _ in enumerate(activities)]

    async def update_activity(self, context: TurnContext, activity: Activity) -> None:
        return None

    async def delete_activity(self, context: TurnContext, reference: ConversationReference) -> None:
        return None


def test_the_turn_context_addresses_a_copy_as_botbuilders_does_and_leaves_the_callers_activity_alone() -> None:
    incoming = Activity.deserialize(payload(PAYLOADS[0]))

    async def send(context_class: type[TurnContext]) -> tuple[Activity, Activity, bool]:
        adapter = Recorder()
        context = context_class(adapter, incoming)
        message = MessageFactory.attachment(Attachment(content_type="x", content=copy.deepcopy(CARD)))
        before = serializer_helper(message)
        await context.send_activity(message)
        assert serializer_helper(message) == before
        return adapter.sent[0], message, context.responded

    theirs, _, their_flag = asyncio.run(send(TurnContext))
    mine, _, my_flag = asyncio.run(send(TallyTurnContext))
    assert serializer_helper(mine) == serializer_helper(theirs)
    assert my_flag is their_flag is True
