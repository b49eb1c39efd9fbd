"""The floor under bench/slash's targets: bare Bolt plus the least any capture must do, and nothing of Tally's.

For each `/problem` it does what issue 10's mix asks of a capture and what Tally promises, in the cheapest way
this stack allows: the driver alone (sqlite3 on the event loop; psycopg's asynchronous connections, each capture
one statement, so one round trip), a four-column schema, no duplicate check, no workspace, area or audit rows, no
logging of its own:

- a new problem: one transaction (the problem and its first occurrence), then its card (a section block with the
  text) posted to chat.postMessage over a shared aiohttp session before Slack gets its (empty) answer, as Tally
  posts it (so a 200 means the card is in the channel);
- `again <n>`: one transaction (an occurrence of problem n), answered with the new total;
- `list`: the newest 25 problems and their totals, answered as text.

It answers as the load generator checks Tally (bench_slash.Loader.check), so its errors and cards are counted the
same way. Not a target: a reference, printed beside the anchor, for what is left to Tally once the platform SDK
and the work itself are paid for.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sqlite3
from collections.abc import Iterator
from typing import Any

import aiohttp
from aiohttp import web

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS floor_problem (id INTEGER PRIMARY KEY, number INTEGER UNIQUE, title TEXT)",
    "CREATE TABLE IF NOT EXISTS floor_occurrence (id INTEGER PRIMARY KEY, problem INTEGER, n INTEGER)",
    "CREATE INDEX IF NOT EXISTS floor_occurrence_problem ON floor_occurrence (problem)",
)
PG_SCHEMA = (
    "CREATE SEQUENCE IF NOT EXISTS floor_number",
    *(s.replace("INTEGER PRIMARY KEY", "SERIAL PRIMARY KEY") for s in SCHEMA),
)
PG_CONNECTIONS = 8  # c=20's requests wait for the server side by side, as Tally's writer threads do
LIST = (
    "SELECT p.number, p.title, (SELECT sum(n) FROM floor_occurrence o WHERE o.problem = p.id) "
    "FROM floor_problem p ORDER BY p.number DESC LIMIT 25"
)
# PostgreSQL: each capture is one statement, so one round trip (autocommit: it is its own transaction).
PG_NEW = (
    "WITH p AS (INSERT INTO floor_problem (number, title) VALUES (nextval('floor_number'), %s) RETURNING id, number) "
    "INSERT INTO floor_occurrence (problem, n) SELECT id, 1 FROM p RETURNING (SELECT number FROM p)"
)
PG_AGAIN = (
    "WITH p AS (SELECT id FROM floor_problem WHERE number = %s), "
    "o AS (INSERT INTO floor_occurrence (problem, n) SELECT id, 1 FROM p) "
    "SELECT coalesce(sum(n), 0) + 1 FROM floor_occurrence WHERE problem = (SELECT id FROM p)"
)
AGAIN = re.compile(r"again (\d+)")


class SqliteStore:
    """One connection on the event loop (WAL, synchronous=NORMAL, as Tally's), one transaction per capture."""

    def __init__(self, db_url: str) -> None:
        self.conn = sqlite3.connect(db_url.split("///", 1)[1], isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        for statement in SCHEMA:
            self.conn.execute(statement)

    async def start(self) -> None:
        return None

    async def new(self, title: str) -> int:
        with self._transaction():
            number = self.conn.execute("SELECT coalesce(max(number), 0) + 1 FROM floor_problem").fetchone()[0]
            pid = self.conn.execute(
                "INSERT INTO floor_problem (number, title) VALUES (?, ?) RETURNING id", (number, title)
            ).fetchone()[0]
            self.conn.execute("INSERT INTO floor_occurrence (problem, n) VALUES (?, 1)", (pid,))
        return int(number)

    async def again(self, number: int) -> int:
        with self._transaction():
            pid = self.conn.execute("SELECT id FROM floor_problem WHERE number = ?", (number,)).fetchone()[0]
            self.conn.execute("INSERT INTO floor_occurrence (problem, n) VALUES (?, 1)", (pid,))
            total = self.conn.execute("SELECT sum(n) FROM floor_occurrence WHERE problem = ?", (pid,)).fetchone()[0]
        return int(total)

    async def newest(self) -> list[tuple[int, str, int]]:
        return list(self.conn.execute(LIST).fetchall())

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")


class PostgresStore:
    """PG_CONNECTIONS asynchronous connections, each capture one statement on one of them."""

    def __init__(self, db_url: str) -> None:
        self.url = db_url.replace("postgresql+psycopg://", "postgresql://")
        self.free: asyncio.Queue[Any] = asyncio.Queue()

    async def start(self) -> None:
        import psycopg

        for _ in range(PG_CONNECTIONS):
            self.free.put_nowait(await psycopg.AsyncConnection.connect(self.url, autocommit=True))
        conn = await self.free.get()
        for statement in PG_SCHEMA:
            await conn.execute(statement)
        self.free.put_nowait(conn)

    async def one(self, statement: str, params: tuple[Any, ...]) -> Any:
        conn = await self.free.get()
        try:
            return await (await conn.execute(statement, params)).fetchone()
        finally:
            self.free.put_nowait(conn)

    async def new(self, title: str) -> int:
        return int((await self.one(PG_NEW, (title,)))[0])

    async def again(self, number: int) -> int:
        return int((await self.one(PG_AGAIN, (number,)))[0])

    async def newest(self) -> list[tuple[int, str, int]]:
        conn = await self.free.get()
        try:
            return list(await (await conn.execute(LIST)).fetchall())
        finally:
            self.free.put_nowait(conn)


def floor_app(api_url: str, db_url: str, signing_secret: str, bot_token: str) -> web.Application:
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    store = SqliteStore(db_url) if db_url.startswith("sqlite") else PostgresStore(db_url)
    sessions: list[aiohttp.ClientSession] = []
    bolt = AsyncApp(
        signing_secret=signing_secret,
        client=AsyncWebClient(token=bot_token, base_url=api_url),
        process_before_response=True,
    )
    headers = {"Content-Type": "application/json;charset=utf-8", "Authorization": f"Bearer {bot_token}"}

    @bolt.command("/problem")
    async def problem(ack, body) -> None:  # type: ignore[no-untyped-def]
        text = str(body.get("text") or "")
        if text == "list":
            lines = [f"#{n} {title[:60]} ({total})" for n, title, total in await store.newest()]
            await ack("Open problems (tally in all):\n" + "\n".join(lines))
            return
        again = AGAIN.fullmatch(text)
        if again:
            total = await store.again(int(again.group(1)))
            await ack(f"Logged 1 more time. #{again.group(1)} has {total} in all.")
            return
        number = await store.new(text)
        card = {
            "channel": body.get("channel_id"),
            "text": f"#{number} {text[:200]}",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"*#{number}* {text[:2900]}"}}],
        }
        async with sessions[0].post(f"{api_url}chat.postMessage", data=json.dumps(card), headers=headers) as r:
            await r.read()
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def session_ctx(_app: web.Application):  # type: ignore[no-untyped-def]
        await store.start()
        async with aiohttp.ClientSession() as session:
            sessions.append(session)
            yield

    app = web.Application()
    app.cleanup_ctx.append(session_ctx)
    app.router.add_post("/slack/events", events)
    return app
