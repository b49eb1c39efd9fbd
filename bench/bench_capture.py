"""How fast does /problem answer? Signed slash commands over real HTTP into `tally serve`'s app.

Anchors, measured in the same run: the /healthz round trip (the floor: HTTP plus one database
ping) and Slack's 3-second deadline (Teams allows about 10). Prints p50/p95/max for each
database. The Teams figures include the reply card's round trip to the fake Bot Connector.

    .venv/bin/python bench/bench_capture.py [--requests 200] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.databases import database_url  # noqa: E402
from tests.e2e.conftest import slack_settings, start_tally  # noqa: E402
from tests.e2e.fake_connector import activity, start_fake_connector  # noqa: E402
from tests.e2e.fake_slack import start_fake_slack  # noqa: E402

SLACK_DEADLINE_MS = 3000.0


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"p50 {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   max {ordered[-1]:7.1f} ms"


async def run(kind: str, requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, database_url(kind, Path(tmp)) as url:
        fake = await start_fake_slack()
        tally = await start_tally(slack_settings(url, fake), fake, clock=None)
        try:
            health, capture, repeat = [], [], []
            async with aiohttp.ClientSession() as session:
                for _ in range(requests):
                    started = time.perf_counter()
                    async with session.get(tally.url("/healthz")) as resp:
                        await resp.read()
                    health.append((time.perf_counter() - started) * 1000)
            for i in range(requests):
                text = f"fault {uuid.uuid4().hex[:12]} x{1 + i % 5} 20m +quality"  # distinct: never 'same as #n?'
                started = time.perf_counter()
                status, _ = await tally.slack.slash(text, trigger_id=f"bench-new-{i}")
                capture.append((time.perf_counter() - started) * 1000)
                assert status == 200
            for i in range(requests):
                started = time.perf_counter()
                status, _ = await tally.slack.slash(f"again {1 + i % 50} x2", trigger_id=f"bench-again-{i}")
                repeat.append((time.perf_counter() - started) * 1000)
                assert status == 200
            connector = await start_fake_connector()
            teams = []
            async with aiohttp.ClientSession() as session:
                for i in range(requests):
                    text = f"problem fault {uuid.uuid4().hex[:12]} x2 15m"
                    body = activity("message_personal", connector.service_url, text=text, id=f"bench-{i}")
                    started = time.perf_counter()
                    async with session.post(tally.url("/api/messages"), json=body) as resp:
                        await resp.read()
                    teams.append((time.perf_counter() - started) * 1000)
            assert len(connector.sent) == requests, len(connector.sent)
            assert connector.server is not None
            await connector.server.close()
            posted = len(fake.called("chat.postMessage"))
            print(f"\n{kind}: {requests} requests each ({posted} cards posted to fake Slack)")
            print(f"  anchor  /healthz             {summary(health)}")
            print(f"  /problem <text> (new card)   {summary(capture)}")
            print(f"  /problem again <id>          {summary(repeat)}")
            print(f"  Teams 'problem <text>'       {summary(teams)}")
            worst = max(sorted(s)[int(0.95 * (requests - 1))] for s in (capture, repeat, teams))
            print(
                f"  p95 is {worst / statistics.median(health):.1f}x the /healthz floor and "
                f"{100 * worst / SLACK_DEADLINE_MS:.1f}% of Slack's {SLACK_DEADLINE_MS:.0f} ms deadline"
            )
        finally:
            await tally.server.close()
            assert fake.server is not None
            await fake.server.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL")
    args = parser.parse_args()
    asyncio.run(run("sqlite", args.requests))
    if args.postgres:
        asyncio.run(run("postgres", args.requests))


if __name__ == "__main__":
    main()
