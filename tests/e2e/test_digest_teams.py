"""The weekly digest posted to a Teams channel by the scheduler inside `tally serve`: an Adaptive Card with the chart
inline as a data URL, the whole message under 80 KB; sent again without the picture when Teams says it is too
big; and throttling waited out, the digest arriving once.

The tests' clock is Saturday 21 November 2026, 10:30 UTC; the forum's digest is scheduled for Saturdays at 09:00,
so the sweep sends the digest of 2026-W46 at once."""

from __future__ import annotations

import asyncio
import base64
import json

from aiohttp.test_utils import TestServer
from sqlalchemy import text

from adapters.config import Settings
from adapters.server import create_app
from tests.e2e.conftest import RunningTally
from tests.e2e.conftest import teams_post as post
from tests.e2e.fake_connector import activity
from tests.e2e.test_ideas_teams import ALICE, THREAD, channel_message


async def start(db_url, connector, fixed_clock, before_schedule: str = "") -> RunningTally:  # type: ignore[no-untyped-def]
    settings = Settings(database_url=db_url, lead_seconds=1, sweep_seconds=1, reminder_seconds=0)
    server = TestServer(create_app(settings, clock=fixed_clock), host="127.0.0.1")
    await server.start_server()
    running = RunningTally(server, None, None)  # type: ignore[arg-type]
    running.connector = connector  # type: ignore[attr-defined]
    await post(running, activity("conversation_update", connector.service_url, **{"from": ALICE}))
    for n, line in enumerate(
        (
            "problem Users chasing their decision letter x17 30m fd on 2026-11-12",
            "problem Printer jams at reception x3 10m on 2026-11-13",
            "tally forum here",
            "tally forum schedule sat 09:00",
        )
    ):
        if line.startswith("tally forum schedule") and before_schedule:
            with running.engine.begin() as conn:
                conn.execute(text(before_schedule))
        status, _ = await post(running, channel_message(connector, line, f"17000000009{n:02d}", ALICE))
        assert status in (200, 201)
    return running


def digests(connector) -> list:  # type: ignore[no-untyped-def]
    return [s for s in connector.of("send") if s.conversation_id == THREAD and "digest" in json.dumps(s.activity)]


def images(card: dict) -> list[str]:
    found = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            if value.get("type") == "Image":
                found.append(str(value.get("url")))
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(card)
    return found


async def wait_for_digest(connector, running: RunningTally) -> None:  # type: ignore[no-untyped-def]
    for _ in range(150):
        if digests(connector):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no digest reached Teams; deliveries: {running.count('select count(*) from delivery')}")


async def test_the_digest_card_carries_its_chart_inline_under_80_kb(db_url, connector, fixed_clock):
    running = await start(db_url, connector, fixed_clock)
    try:
        await wait_for_digest(connector, running)
        await asyncio.sleep(2.5)
        [sent] = digests(connector)
        size = len(json.dumps(sent.activity, ensure_ascii=False).encode())
        assert size < 80_000
        [url] = images(sent.card)
        assert url.startswith("data:image/png;base64,")
        png = base64.b64decode(url.split(",", 1)[1])
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) < 60_000
        shown = json.dumps(sent.card, ensure_ascii=False)
        assert "8.5" in shown and "2026-W46" in shown
        with running.engine.connect() as conn:
            status, message_id = conn.execute(
                text("select status, message_id from delivery where kind = 'digest'")
            ).one()
        assert status == "posted" and message_id.startswith("sent-")  # the id the connector answered with
    finally:
        await running.server.close()


async def test_too_big_is_sent_again_without_the_picture_and_throttling_is_waited_out(db_url, connector, fixed_clock):
    connector.too_big = 1
    connector.throttled = 1
    running = await start(db_url, connector, fixed_clock)
    try:
        await wait_for_digest(connector, running)
        await asyncio.sleep(2.5)
        [sent] = digests(connector)
        assert images(sent.card) == []  # the digest reads without its picture
        assert "8.5" in json.dumps(sent.card, ensure_ascii=False)
        assert len(connector.refused) == 2  # one 429, one 413 with the picture
        assert running.count("select count(*) from delivery where kind = 'digest' and status = 'posted'") == 1
    finally:
        await running.server.close()


async def test_an_unrecorded_post_in_teams_is_left_to_the_owners_who_are_asked_privately(
    db_url, connector, fixed_clock
):
    dead_claim = (
        "insert into delivery (workspace_id, forum_id, kind, period, status, claimed_at, claimed_by, attempts,"
        " destination, error) select workspace_id, id, 'digest', '2026-W46', 'claimed', '2026-11-21 09:00:05',"
        " 'another-host:1:dead', 1, destination, '' from forum"
    )
    running = await start(db_url, connector, fixed_clock, before_schedule=dead_claim)
    try:
        for _ in range(100):
            if running.count("select count(*) from delivery where kind = 'digest' and status = 'asked'"):
                break
            await asyncio.sleep(0.1)
        await running.settle()
        await asyncio.sleep(1.5)
        assert digests(connector) == []  # never posted again blindly
        assert running.count("select count(*) from delivery where kind = 'digest' and status = 'asked'") == 1
        asked = [s for s in connector.of("send") if "can't read the conversation" in json.dumps(s.activity)]
        assert [s.conversation_id for s in asked] == [f"a:1on1-{ALICE['aadObjectId']}"]  # the owner, in their 1:1 chat
        assert "tally digest send --forum forum --week 2026-W46" in json.dumps(asked[0].activity)
    finally:
        await running.server.close()
