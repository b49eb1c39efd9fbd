"""The fake Slack and the fake Bot Framework connector check what they receive, and fail on close."""

from __future__ import annotations

import aiohttp
import pytest

from adapters.slack import blocks
from adapters.teams import cards
from bot.replies import Reply
from tests.e2e import fake_connector, fake_slack
from tests.limits import ADAPTIVE_CARD

GOOD = {"channel": "C1", "text": "hi", "blocks": blocks.reply_blocks(Reply(text="hi"))}
BAD_VIEW = {"type": "modal", "title": {"type": "plain_text", "text": "t" * 25}, "blocks": []}


@pytest.fixture
async def slack():
    fake = await fake_slack.start_fake_slack()
    yield fake
    fake.violations.clear()  # the tests below break the limits on purpose
    assert fake.server is not None
    await fake.server.close()


@pytest.fixture
async def connector():
    fake = await fake_connector.start_fake_connector()
    yield fake
    fake.violations.clear()
    assert fake.server is not None
    await fake.server.close()


@pytest.fixture(autouse=True)
def keep_module_lists_clean():
    """These tests break the limits on purpose: leave nothing in the lists a suite-wide check reads."""
    before = len(fake_slack.VIOLATIONS), len(fake_connector.VIOLATIONS)
    yield
    del fake_slack.VIOLATIONS[before[0] :]
    del fake_connector.VIOLATIONS[before[1] :]


async def post(url: str, json: dict) -> dict:
    async with aiohttp.ClientSession() as session, session.post(url, json=json) as response:
        return await response.json(content_type=None) if response.content_type == "application/json" else {}


async def test_fake_slack_keeps_quiet_about_what_fits(slack):
    await post(slack.api_url + "chat.postMessage", GOOD)
    await post(slack.url("/respond/r1"), {"response_type": "ephemeral", **GOOD})
    await post(slack.url("/respond/r2"), {"delete_original": True})
    await post(slack.api_url + "views.publish", {"user_id": "U1", "view": blocks.home_view(Reply(text="Home"))})
    assert slack.violations == []
    slack.assert_clean()


@pytest.mark.parametrize(
    ("method", "payload", "expected"),
    [
        ("chat.postMessage", {**GOOD, "text": "x" * 4001}, "chat.postMessage: text: 4,001 characters"),
        ("chat.postEphemeral", {**GOOD, "blocks": [{"type": "divider"}] * 51}, "chat.postEphemeral: blocks: 51"),
        ("chat.update", {**GOOD, "ts": "1", "text": "", "blocks": []}, "chat.update: message: has no text"),
        ("views.open", {"trigger_id": "t", "view": BAD_VIEW}, "views.open: view.title.text: 25 characters"),
        ("views.update", {"view_id": "V", "view": BAD_VIEW}, "views.update: view.title.text"),
        ("views.publish", {"user_id": "U", "view": {"type": "home", "blocks": [{"type": "x"}]}}, "views.publish"),
    ],
)
async def test_fake_slack_records_what_breaks_the_limits_and_fails_on_close(slack, method, payload, expected):
    await post(slack.api_url + method, payload)
    assert any(v.startswith(expected) for v in slack.violations), slack.violations
    assert any(v.startswith(f"fake Slack {expected}") for v in fake_slack.VIOLATIONS)
    with pytest.raises(AssertionError, match="Tally sent Slack what it would refuse"):
        slack.assert_clean()
    server = slack.server
    with pytest.raises(AssertionError, match=expected.split(":")[0]):
        await server.close()


async def test_fake_slack_checks_response_urls(slack):
    await post(slack.url("/respond/abc"), {"text": "y" * 4001})
    assert slack.violations == ["response_url abc: text: 4,001 characters, over Slack's 4,000"]


async def test_fake_slack_answers_ephemeral_posts_and_opens_conversations(slack):
    ephemeral = await post(slack.api_url + "chat.postEphemeral", {**GOOD, "user": "U1"})
    assert ephemeral["ok"] is True and ephemeral["message_ts"]
    opened = await post(slack.api_url + "conversations.open", {"users": "U42"})
    assert opened == {"ok": True, "channel": {"id": "DU42"}}
    slack.not_in_channel.add("C1")
    assert (await post(slack.api_url + "chat.postEphemeral", GOOD)) == {"ok": False, "error": "not_in_channel"}
    assert [c.method for c in slack.calls] == ["chat.postEphemeral", "conversations.open", "chat.postEphemeral"]


def card_activity(card: dict) -> dict:
    return {"type": "message", "attachments": [{"contentType": ADAPTIVE_CARD, "content": card}]}


async def test_fake_connector_checks_every_card_it_receives(connector):
    good = card_activity(cards.reply_card(Reply(text="ok")))
    bad = card_activity({**cards.reply_card(Reply(text="x")), "version": "2.0"})
    url = connector.service_url + "/v3/conversations/conv1/activities"
    await post(url, good)
    assert connector.violations == []
    await post(url + "/act1", bad)
    async with aiohttp.ClientSession() as session, session.put(url + "/act1", json=bad):
        pass
    assert [s.kind for s in connector.sent] == ["send", "reply", "update"]
    assert connector.violations == [
        "reply conv1: attachments[0].card.version: '2.0'; Teams renders Adaptive Cards up to 1.5",
        "update conv1: attachments[0].card.version: '2.0'; Teams renders Adaptive Cards up to 1.5",
    ]
    assert fake_connector.VIOLATIONS[-1].startswith("fake connector update conv1:")
    server = connector.server
    with pytest.raises(AssertionError, match="Teams cards it would refuse"):
        await server.close()


async def test_fake_connector_creates_conversations_and_checks_their_first_activity(connector):
    body = {
        "bot": {"id": "28:bot"},
        "members": [{"id": "29:alice"}, {"id": "29:bob"}],
        "tenantId": "t1",
        "activity": card_activity({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock"}]}),
    }
    answer = await post(connector.service_url + "/v3/conversations", body)
    assert answer == {"id": "a:1on1-29:alice"}
    (created,) = connector.of("create")
    assert (created.conversation_id, created.activity_id, created.activity) == ("a:1on1-29:alice", None, body)
    assert connector.violations == [
        "create a:1on1-29:alice: attachments[0].card.body[0]: 'text' is a required property"
    ]
