"""e2e: the real `tally serve` aiohttp app on 127.0.0.1, a fake Slack, real SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import text
from sqlalchemy.engine import Engine

from adapters.config import Settings
from adapters.server import CORE, ENGINE, create_app
from tests.databases import database_url, dump_tables
from tests.e2e import fake_connector as fake_connector_module
from tests.e2e import fake_slack as fake_slack_module
from tests.e2e.fake_connector import start_fake_connector
from tests.e2e.fake_slack import FakeSlack, start_fake_slack
from tests.e2e.slack_client import SIGNING_SECRET, SlackClient


@dataclass
class RunningTally:
    server: TestServer
    slack: SlackClient
    fake: FakeSlack

    @property
    def engine(self) -> Engine:
        return self.server.app[ENGINE]

    def count(self, sql: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar() or 0)

    def dump(self) -> str:
        return "\n".join(f"{table}: {rows}" for table, rows in dump_tables(self.engine).items())

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def settle(self) -> None:
        """Wait for the posts and notifications Tally sends after answering."""
        await self.server.app[CORE].background.drain()


@pytest.fixture(autouse=True)
def no_platform_limit_broken():
    """Every message, view and card a test made Tally send kept within the platforms' published limits."""
    fake_slack_module.VIOLATIONS.clear()
    fake_connector_module.VIOLATIONS.clear()
    yield
    assert fake_slack_module.VIOLATIONS + fake_connector_module.VIOLATIONS == []


@pytest.fixture
async def fake_slack():
    fake = await start_fake_slack()
    yield fake
    assert fake.server is not None
    await fake.server.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    with database_url(request.param, tmp_path) as url:
        yield url


def slack_settings(db_url: str, fake: FakeSlack, **extra: str) -> Settings:
    values = {
        "database_url": db_url,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_bot_token": "xoxb-single-workspace-token",
        "slack_api_url": fake.api_url,
        **extra,
    }
    return Settings(**values)  # type: ignore[arg-type]


OAUTH_SECRET_KEY = "a-long-random-phrase-for-tests-only"


def oauth_settings(db_url: str, fake: FakeSlack) -> Settings:
    """Many workspaces through OAuth: no bot token, installations stored encrypted."""
    return slack_settings(
        db_url,
        fake,
        slack_bot_token="",
        slack_client_id="111.222",
        slack_client_secret="client-secret",
        secret_key=OAUTH_SECRET_KEY,
    )


async def start_tally(settings: Settings, fake: FakeSlack, clock) -> RunningTally:  # type: ignore[no-untyped-def]
    server = TestServer(create_app(settings, clock=clock), host="127.0.0.1")
    await server.start_server()
    settle = server.app[CORE].background.drain
    return RunningTally(server, SlackClient(str(server.make_url("/")), fake.url("/"), settle), fake)


@pytest.fixture
async def connector():
    """The fake Bot Framework Connector that Teams replies and posts reach."""
    fake = await start_fake_connector()
    yield fake
    assert fake.server is not None
    await fake.server.close()


@pytest.fixture
async def teams(db_url, connector, fixed_clock):
    """Tally with no settings but the database: Teams in Emulator mode, replying to the fake connector."""
    server = TestServer(create_app(Settings(database_url=db_url), clock=fixed_clock), host="127.0.0.1")
    await server.start_server()
    running = RunningTally(server, None, None)  # type: ignore[arg-type]
    running.connector = connector  # type: ignore[attr-defined]
    yield running
    await server.close()


async def teams_post(teams: RunningTally, body: dict, headers: dict | None = None) -> tuple[int, str]:
    """One activity to /api/messages; returns once Tally has sent everything it sends after answering."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(teams.url("/api/messages"), json=body, headers=headers or {}) as resp,
    ):
        answer = resp.status, await resp.text()
    await teams.settle()
    return answer


@pytest.fixture
async def tally(db_url, fake_slack, fixed_clock):
    running = await start_tally(slack_settings(db_url, fake_slack), fake_slack, fixed_clock)
    yield running
    await running.server.close()
