"""Teams' way out: every reply, update, proactive post and new chat goes through one aiohttp session,
and invokes answer with whatever body the bot gave, serialized once. Real HTTP, the fake connector."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import AdaptiveCardInvokeResponse
from botbuilder.schema.teams import MessagingExtensionActionResponse, MessagingExtensionResult
from yarl import URL

from adapters.config import Settings
from adapters.server import create_app
from adapters.teams.adapter import TallyBotAdapter
from adapters.teams.connector import TeamsConnector
from adapters.teams.routes import TEAMS, BotConfig
from bot import commands as c
from bot.replies import Reply
from storage.model import Platform
from tests.e2e.fake_connector import activity

TENANT = "72f988bf-0000-4000-8000-00000c0unc11"
ALICE = "29:1alice-teams-id"


@pytest.fixture
async def client():
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def tally(db_url, connector, fixed_clock):
    server = TestServer(create_app(Settings(database_url=db_url), clock=fixed_clock), host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


async def post(client: aiohttp.ClientSession, server: TestServer, body: Any, **kwargs: Any) -> tuple[int, str]:
    kwargs.setdefault("json", body)
    async with client.post(server.make_url("/api/messages"), **kwargs) as resp:
        return resp.status, await resp.text()


@pytest.fixture
def sessions(monkeypatch, client):
    """Counts the aiohttp sessions made from here on, and which session sent each request (by port)."""
    made: list[aiohttp.ClientSession] = []
    used: list[tuple[int, aiohttp.ClientSession]] = []
    init, request = aiohttp.ClientSession.__init__, aiohttp.ClientSession._request

    def counting_init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        made.append(self)
        init(self, *args, **kwargs)

    def recording_request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def]
        used.append((URL(url).port, self))
        return request(self, method, url, *args, **kwargs)

    monkeypatch.setattr(aiohttp.ClientSession, "__init__", counting_init)
    monkeypatch.setattr(aiohttp.ClientSession, "_request", recording_request)
    return made, used


async def test_replies_updates_proactive_posts_and_new_chats_share_one_session(tally, connector, client, sessions):
    made, used = sessions
    personal = activity("message_personal", connector.service_url, text="problem Printer jammed 10m")
    assert (await post(client, tally, personal))[0] in (200, 201)
    made_by_the_first_turn = len(made)
    submit = activity(
        "message_personal",
        connector.service_url,
        id="submit-1",
        text="",
        replyToId="sent-1",
        value={"tally_action": "problem_happened_again", "tally_value": "1"},
    )
    assert (await post(client, tally, submit))[0] in (200, 201)
    assert (await post(client, tally, activity("conversation_update", connector.service_url)))[0] in (200, 201)
    runtime = tally.app[TEAMS]
    digest = Reply(text="Weekly digest: 3 problems")
    await runtime.notifier.post(c.WorkspaceRef(Platform.TEAMS, TENANT), "19:frontdesk@thread.tacv2", digest)
    bot = {"id": "28:tally-bot-app-id", "name": "Tally"}
    chat = await runtime.notifier.open_personal_chat(TENANT, ALICE, connector.service_url, bot)

    assert [s.kind for s in connector.sent] == ["reply", "update", "send", "reply", "create"]
    assert chat == connector.sent[-1].conversation_id
    outbound = {id(session) for port, session in used if port == connector.server.port}
    assert outbound == {id(runtime.connector.session)}
    # At most the one session Teams opens for itself, while the app factory passes it none; never one a turn.
    assert made_by_the_first_turn <= 1 and len(made) == made_by_the_first_turn
    assert not runtime.connector.session.closed


async def test_a_new_personal_chat_is_asked_for_as_teams_expects(tally, connector):
    notifier = tally.app[TEAMS].notifier
    bot = {"id": "28:tally-bot-app-id", "name": "Tally"}
    chat = await notifier.open_personal_chat(TENANT, ALICE, connector.service_url, bot)
    (created,) = connector.of("create")
    assert created.activity == {
        "bot": bot,
        "members": [{"id": ALICE}],
        "isGroup": False,
        "tenantId": TENANT,
        "channelData": {"tenant": {"id": TENANT}},
    }
    assert chat == created.conversation_id


async def test_conversation_ids_reach_the_connector_whole(tally, connector, client):
    """Teams channel ids hold ':', '@' and ';': quoted in the path, they arrive as they were."""
    body = activity(
        "message_channel", connector.service_url, text="<at>Tally</at> problem Scanner offline x2 15m", id="q-1"
    )
    body["conversation"]["id"] = "19:odd/id?with#chars@thread.tacv2;messageid=1700000000002"
    assert (await post(client, tally, body))[0] in (200, 201)
    (sent,) = connector.of("reply")
    assert sent.conversation_id == body["conversation"]["id"] and sent.activity_id == "q-1"


@pytest.mark.parametrize(
    ("data", "headers", "status"),
    [
        pytest.param(b"not json", {"Content-Type": "application/json"}, 400, id="not-json"),
        pytest.param(b"[1, 2]", {"Content-Type": "application/json"}, 400, id="a-list"),
        pytest.param(b'{"text": "no type"}', {"Content-Type": "application/json"}, 400, id="no-type"),
        pytest.param(b'{"type": "message", "serviceUrl": 7}', {"Content-Type": "application/json"}, 400, id="bad-url"),
        pytest.param(b'{"type": "message"}', {"Content-Type": "text/plain"}, 415, id="not-json-type"),
    ],
)
async def test_what_is_not_an_activity_is_refused(tally, connector, client, data, headers, status):
    assert (await post(client, tally, None, json=None, data=data, headers=headers))[0] == status
    assert connector.sent == []


# --- invoke bodies, whatever form the bot gives them in ------------------------------------------------

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Refreshed"}]}
CARD_ANSWER = {"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive", "value": CARD}


class StubBot(ActivityHandler):
    def __init__(self, answer: InvokeResponse | None) -> None:
        self.answer = answer

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        return self.answer


@pytest.fixture
async def adapter_server(connector):
    """TallyBotAdapter alone on an aiohttp app, in Emulator mode, with a bot chosen by the test."""
    holder: dict[str, Any] = {}
    async with aiohttp.ClientSession() as session:
        auth = ConfigurationBotFrameworkAuthentication(BotConfig(Settings()))
        adapter = TallyBotAdapter(auth, TeamsConnector(session))

        async def messages(request: web.Request) -> web.StreamResponse:
            return await adapter.process(request, holder["bot"])

        app = web.Application()
        app.router.add_post("/api/messages", messages)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        yield server, holder
        await server.close()


@pytest.mark.parametrize(
    ("answer", "status", "expected"),
    [
        pytest.param(InvokeResponse(status=200, body=CARD_ANSWER), 200, CARD_ANSWER, id="dict"),
        pytest.param(
            InvokeResponse(
                status=200, body=AdaptiveCardInvokeResponse(status_code=200, type=CARD_ANSWER["type"], value=CARD)
            ),
            200,
            CARD_ANSWER,
            id="msrest-model",
        ),
        pytest.param(
            InvokeResponse(
                status=200, body={"composeExtension": MessagingExtensionResult(type="message", text="Logged")}
            ),
            200,
            {"composeExtension": {"type": "message", "text": "Logged"}},
            id="dict-holding-a-model",
        ),
        pytest.param(InvokeResponse(status=200, body=MessagingExtensionActionResponse()), 200, {}, id="empty-model"),
        pytest.param(InvokeResponse(status=200), 200, None, id="no-body"),
        pytest.param(None, 501, None, id="no-answer"),
    ],
)
async def test_invoke_answers_with_whatever_body_the_bot_gave(
    adapter_server, connector, client, answer, status, expected
):
    server, holder = adapter_server
    holder["bot"] = StubBot(answer)
    got, text = await post(client, server, activity("invoke_card_action", connector.service_url))
    assert got == status
    assert (json.loads(text) if text else None) == expected
