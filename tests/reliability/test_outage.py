"""Database outage (issue 11, item 6): the database goes away under a running `tally serve`, then comes back.

While it is gone, every capture is answered (200, within Slack's 3 seconds) with a private note that it was not
saved and to try again, with no traceback and no SQL in it; /healthz answers 503; the process stays up, and once
the database is back it recovers by itself: /healthz answers 200 and captures are stored, with no restart.

PostgreSQL: a TCP proxy on 127.0.0.1 between Tally and the machine's PostgreSQL is cut (open connections dropped,
new ones refused) and restored; the shared server itself is never touched.

SQLite: a database file can't vanish under a process that has it open (it keeps the file, deleted or not), so
its outage is another process holding the write lock for longer than the busy timeout (a long import, a backup,
someone's `sqlite3` shell left mid-transaction). Reads still work then; writes don't, and that is what /healthz
reports once captures fail. The busy timeout is the URL's `?timeout=0.5` here (30 s by default), to keep it short.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.errors import UNAVAILABLE
from storage.engine import make_engine, ping
from storage.migrate import upgrade
from storage.model import Platform, WorkspaceDefaults
from storage.ports import Unavailable
from storage.uow import SqlUnitOfWorkFactory
from tests.databases import postgres_database
from tests.e2e.slack_client import SlackClient, load
from tests.reliability.serve_process import ServeProcess
from tests.reliability.tcp_proxy import TcpProxy

DURING = (  # captures tried while the database is gone: unlike each other, so none is taken for a repeat
    "Roof leaked onto the reception desk",
    "Parking barrier stuck closed all morning",
    "Interpreter booking line never answered",
    "Benefit letters printed with blank pages",
)
SLACK_DEADLINE = 3.0
LEAKS = ("Traceback", "SELECT", "INSERT", "sqlalchemy", "psycopg", "sqlite3", "OperationalError", 'File "')


@dataclass
class Outage:
    cut: Callable[[], None]
    restore: Callable[[], None]


async def healthz(serve: ServeProcess) -> int:
    async with aiohttp.ClientSession() as session, session.get(f"{serve.base}/healthz") as resp:
        return resp.status


async def until_healthy(serve: ServeProcess, limit: float = 20.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if await healthz(serve) == 200:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"not healthy again {limit:.0f} s after the database came back:\n{serve.log()[-3000:]}")


async def slack_retry(slack: SlackClient, line: str, trigger_id: str) -> tuple[int, str]:
    """Slack sending a slash command again: the same trigger_id, with X-Slack-Retry-Num."""
    payload = {**load("slash_command", slack.fake_url), "text": line, "trigger_id": trigger_id}
    return await slack.post(urlencode(payload), "application/x-www-form-urlencoded", headers={"X-Slack-Retry-Num": "1"})


def titles(db_url: str) -> list[str]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return sorted(row[0] for row in conn.execute(text("select title from problem")))
    finally:
        engine.dispose()


async def live_through_an_outage(serve: ServeProcess, fake_slack, outage: Outage, direct_url: str) -> None:  # type: ignore[no-untyped-def]
    await serve.start()
    slack = SlackClient(serve.base, fake_slack.url("/"))
    try:
        assert await slack.slash("Before the outage the lift was out of order") == (200, "")
        outage.cut()
        answers, triggers, slowest = [], [], 0.0
        for line in DURING:
            started = time.monotonic()
            answers.append(await slack.slash(line))
            slowest = max(slowest, time.monotonic() - started)
            triggers.append(slack.last_trigger_id)
        health_during = await healthz(serve)
        alive_during = serve.alive
        outage.restore()
        recovered_in = await until_healthy(serve)
        # The person tries again (a new command), and Slack's retry of a refused one is taken this time.
        assert await slack.slash(DURING[0]) == (200, "")
        retried = await slack_retry(slack, DURING[1], triggers[1])
        assert await slack.slash("After the outage the printer jammed again") == (200, "")
    finally:
        code = await serve.stop()
    log = serve.log()
    stored = titles(direct_url)
    statuses = [status for status, _ in answers]
    told = sum(body.startswith("{") and json.loads(body).get("text") == UNAVAILABLE for _, body in answers)
    print(
        f"\noutage ({direct_url.split(':')[0]}): captures tried during it={len(DURING)}, "
        f"told 'not saved, try again'={told}, stored during it={sum(line in stored for line in DURING[2:])}, "
        f"5xx={sum(s >= 500 for s in statuses)}, slowest answer={slowest:.2f} s, /healthz during it={health_during}, "
        f"back to 200 in {recovered_in:.2f} s, restarts={serve.starts - 1}"
    )

    assert {status for status, _ in answers} == {200}, answers
    for _, body in answers:
        note = json.loads(body)
        assert note["response_type"] == "ephemeral" and note["text"] == UNAVAILABLE, note
        assert not [leak for leak in LEAKS if leak in body], body
    assert slowest < SLACK_DEADLINE
    assert health_during == 503
    assert alive_during and serve.starts == 1 and serve.kills == 0  # it recovered by itself
    assert retried == (200, "")
    assert code == 0, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    assert stored == sorted(
        [
            "After the outage the printer jammed again",
            "Before the outage the lift was out of order",
            DURING[0],
            DURING[1],
        ]
    )
    cards = [c.args["text"] for c in fake_slack.called("chat.postMessage")]
    assert len(cards) == 4 and not any(line in c for c in cards for line in DURING[2:])


@pytest.mark.postgres
async def test_postgres_cut_off_and_back_again(fake_slack, tmp_path):
    with postgres_database() as url:
        direct = make_url(url)
        with TcpProxy(direct.host or "127.0.0.1", direct.port or 5432) as proxy:
            proxied = direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
            serve = ServeProcess(proxied, fake_slack.api_url, tmp_path / "serve.log")
            await live_through_an_outage(serve, fake_slack, Outage(proxy.cut, proxy.restore), url)
            assert proxy.cuts == 1


async def test_sqlite_held_by_another_process_and_let_go(fake_slack, tmp_path):
    path = tmp_path / "tally.db"
    holder: list[sqlite3.Connection] = []

    def hold() -> None:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process's write, left open
        holder.append(other)

    def let_go() -> None:
        holder.pop().execute("ROLLBACK")

    serve = ServeProcess(f"sqlite:///{path}?timeout=0.5", fake_slack.api_url, tmp_path / "serve.log")
    await live_through_an_outage(serve, fake_slack, Outage(hold, let_go), f"sqlite:///{path}")


def test_sqlite_health_checks_writes_only_once_they_fail_and_a_url_sets_the_busy_timeout(tmp_path):
    """While all is well /healthz never waits for another process's writer; once units of work have failed for the
    database, it answers 503 until a write could begin again, then forgets the failure by itself."""
    path = tmp_path / "tally.db"
    engine = make_engine(f"sqlite:///{path}?timeout=0.3")
    try:
        upgrade(engine)
        units = SqlUnitOfWorkFactory(engine)
        with engine.connect() as conn:
            assert conn.connection.dbapi_connection.execute("PRAGMA busy_timeout").fetchone()[0] == 300
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            assert ping(engine) is True  # a writer elsewhere: reads still answer, and nothing has failed yet
            started = time.monotonic()
            with pytest.raises(Unavailable, match="database is locked"), units() as uow:
                uow.workspaces.get_or_create(Platform.SLACK, "T0HELD", WorkspaceDefaults())
            assert 0.25 < time.monotonic() - started < 2
            assert ping(engine) is False  # now it looks: a write can't begin
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert ping(engine) is True and ping(engine) is True
        with units() as uow:
            uow.workspaces.get_or_create(Platform.SLACK, "T0HELD", WorkspaceDefaults())
            uow.commit()
    finally:
        engine.dispose()
    with pytest.raises(ValueError, match="in seconds"):
        make_engine(f"sqlite:///{path}?timeout=soon")


def test_writers_queued_behind_one_that_timed_out_fail_at_once_and_the_next_after_the_lock_goes_succeeds(tmp_path):
    """Ten captures queued while another process holds the lock don't each wait the whole busy timeout (the last
    would answer long after Slack's 3 s): the first waits it, the rest are told at once; then writes work again."""
    path = tmp_path / "tally.db"
    engine = make_engine(f"sqlite:///{path}", busy_ms=400)  # tally serve's default is SERVE_BUSY_TIMEOUT_MS
    try:
        upgrade(engine)
        units = SqlUnitOfWorkFactory(engine)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        waited = []
        try:
            for _ in range(10):
                started = time.monotonic()
                with pytest.raises(Unavailable, match="database is locked"), units() as uow:
                    uow.workspaces.get_or_create(Platform.SLACK, "T0QUEUED", WorkspaceDefaults())
                waited.append(time.monotonic() - started)
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert waited[0] >= 0.35  # the first waited for the lock
        assert sum(waited[1:]) < 0.35  # the nine behind it did not, together less than one wait
        with units() as uow:  # the lock is free: the very next write goes through, nobody had to reset anything
            uow.workspaces.get_or_create(Platform.SLACK, "T0QUEUED", WorkspaceDefaults())
            uow.commit()
    finally:
        engine.dispose()
