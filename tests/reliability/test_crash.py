"""Crashes (issue 11, item 5): `tally serve` killed with SIGKILL in the middle of a closed-loop load of signed
slash-command captures, then restarted, on SQLite and PostgreSQL.

Every capture Slack got a 200 for is in the database, once; and every card that was promised is in the channel, or
the reporter was told privately that it isn't. A capture cut off by the kill got no 200: Slack shows its reporter
that the command failed, so it may or may not be stored, but never twice.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field

import aiohttp
import pytest
from sqlalchemy import text

from adapters.slack.outbox import CARDS_WAIT, SLOW_CARD
from storage.engine import make_engine
from tests.e2e.slack_client import SlackClient
from tests.reliability.serve_process import ServeProcess

WORKERS = 8
KILL_AFTER = (70, 140)  # answers before each SIGKILL
TOTAL = 210  # captures tried in all


@dataclass
class Load:
    """What the closed loop tried, and what Slack would have shown for each capture."""

    answered: dict[int, int] = field(default_factory=dict)  # capture number -> HTTP status
    cut_off: set[int] = field(default_factory=set)  # no answer: the server died under it
    up: asyncio.Event = field(default_factory=asyncio.Event)
    numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    def ok(self) -> set[int]:
        return {n for n, status in self.answered.items() if status == 200}


def capture_text(n: int) -> str:
    """Distinct words and a distinct area each, so no capture is taken for a repeat of another."""
    return f"Crash load capture {n:04d} lost a letter from desk {n * 7919 % 10007} #crash-area-{n:04d} 5m"


def marker(n: int) -> str:
    return f"capture {n:04d} "


async def worker(serve: ServeProcess, slack: SlackClient, load: Load) -> None:
    while (n := next(load.numbers)) <= TOTAL:
        await load.up.wait()
        try:
            status, _ = await slack.slash(capture_text(n), response_url=slack.fake_url + f"/respond/capture-{n}")
            load.answered[n] = status
        except (TimeoutError, aiohttp.ClientError):
            load.cut_off.add(n)


async def run_load_with_kills(serve: ServeProcess, slack: SlackClient) -> Load:
    load = Load()
    load.up.set()
    workers = [asyncio.create_task(worker(serve, slack, load)) for _ in range(WORKERS)]
    for threshold in KILL_AFTER:
        while len(load.ok()) < threshold and not all(w.done() for w in workers):
            await asyncio.sleep(0.002)
        load.up.clear()
        await serve.kill()  # with requests in flight and cards still being posted
        await serve.start()
        load.up.set()
    await asyncio.gather(*workers)
    return load


def stored_texts(db_url: str) -> list[str]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(text("select title from problem"))]
    finally:
        engine.dispose()


async def test_kill_9_under_load_loses_no_answered_capture_and_no_promised_card(db_url, fake_slack, tmp_path):
    serve = ServeProcess(db_url, fake_slack.api_url, tmp_path / "serve.log")
    await serve.start()
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            slack = SlackClient(serve.base, fake_slack.url("/"))
            slack.session = session
            load = await run_load_with_kills(serve, slack)
    finally:
        code = await serve.stop()
    log = serve.log()
    assert code == 0, log[-3000:]

    assert serve.kills == len(KILL_AFTER)
    assert set(load.answered) | load.cut_off == set(range(1, TOTAL + 1))
    assert {s for s in load.answered.values()} == {200}, log[-3000:]  # nothing but 200 while the server was up
    stored = stored_texts(db_url)
    ok = load.ok()
    lost = sorted(n for n in ok if not any(marker(n) in t for t in stored))
    twice = sorted(n for n in range(1, TOTAL + 1) if sum(marker(n) in t for t in stored) > 1)
    assert lost == [] and twice == []

    posted = [c.args.get("text", "") for c in fake_slack.called("chat.postMessage")]
    told = {key for key, _ in fake_slack.responses}
    unseen = sorted(n for n in ok if not any(marker(n) in t for t in posted) and f"capture-{n}" not in told)
    assert unseen == [], f"answered 200, stored, but no card and nothing said to the reporter: {unseen}"
    assert "Traceback" not in log and "database is locked" not in log, log[-3000:]

    print(
        f"\ncrash ({db_url.split(':')[0]}): captures tried={TOTAL}, kills={serve.kills}, answered 200={len(ok)}, "
        f"cut off by a kill={len(load.cut_off)} (of which stored={sum(any(marker(n) in t for t in stored) for n in load.cut_off)}), "
        f"answered but lost={len(lost)}, stored twice={len(twice)}, promised cards unseen={len(unseen)}"
    )


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_card_slack_is_slow_to_take_is_promised_to_its_reporter_and_posted_after(tally):
    """Slack's answer can't wait for ever: past CARDS_WAIT the reporter is told the card is coming, and it comes."""

    async def slow(_call) -> None:  # type: ignore[no-untyped-def]
        await asyncio.sleep(CARDS_WAIT + 0.5)

    tally.fake.history.on_post = slow
    tally.slack.settle = None  # the answer itself, before Tally's posts finish
    started = asyncio.get_running_loop().time()
    status, body = await tally.slack.slash("Scanner in the post room eats every second page")
    waited = asyncio.get_running_loop().time() - started
    assert status == 200 and json.loads(body) == {"response_type": "ephemeral", "text": SLOW_CARD}
    assert CARDS_WAIT <= waited < 3.0  # inside Slack's 3 seconds
    await tally.settle()
    (card,) = tally.fake.called("chat.postMessage")
    assert card.args["text"].startswith("#1 Scanner in the post room eats every second page")
    assert tally.count("select count(*) from problem") == 1
