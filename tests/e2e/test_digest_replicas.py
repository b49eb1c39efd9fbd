"""Two `tally serve` processes on one PostgreSQL database, as replicas behind a load balancer: a digest that falls
due is posted exactly once; when the process holding the scheduler's lock is killed, the other takes the lead and
posts the next one; and a process killed between posting and recording does not post it again after a restart.

The processes run on the real clock, so each forum's digest is scheduled an hour ago (London time): due, and
within the 24 hours a missed digest is still sent."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from digests.weeks import IsoWeek
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.model import Occurrence, Platform, Problem, WorkspaceDefaults
from storage.uow import SqlUnitOfWorkFactory
from tests.databases import postgres_database
from tests.e2e.slack_client import SIGNING_SECRET
from tests.e2e.test_serve_process import free_port, wait_until_healthy

pytestmark = pytest.mark.postgres

TEAM = "T0COUNCIL"
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def pg_url():
    with postgres_database() as url:
        yield url


def prepare(url: str) -> tuple[str, str]:
    """A workspace with last week's problem and its first forum; the digest's day and time, an hour ago."""
    engine = make_engine(url)
    upgrade(engine)
    slot = datetime.now(UTC).astimezone(LONDON) - timedelta(hours=1)
    week = IsoWeek.of(slot.date()).previous()
    with SqlUnitOfWorkFactory(engine)() as uow:
        ws = uow.workspaces.get_or_create(Platform.SLACK, TEAM, WorkspaceDefaults())
        problem = uow.problems.add(Problem(ws.id, 1, "Users chasing decision letters", effort_minutes=30))
        uow.occurrences.add(Occurrence(ws.id, problem.id, week.monday + timedelta(days=2), 17, effort_minutes=30))
        uow.forums.default(ws.id)
        uow.commit()
    engine.dispose()
    return str(slot.weekday()), f"{slot:%H:%M}"


def add_forum(url: str, slug: str, channel: str, day: str, at: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        if slug == "forum":
            conn.execute(
                text("update forum set destination = :c, digest_day = :d, digest_time = :t"),
                {"c": channel, "d": int(day), "t": at},
            )
        else:
            conn.execute(
                text(
                    "insert into forum (workspace_id, slug, name, destination, area_ids, meets, digest_day, digest_time)"
                    " select id, :s, :s, :c, '[]', 'first-tue', :d, :t from workspace"
                ),
                {"s": slug, "c": channel, "d": int(day), "t": at},
            )
    engine.dispose()


def claimed_by(url: str, channel: str) -> int:
    """The process id of whoever claimed the digest for `channel` (host:pid:start)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        who = conn.execute(text("select claimed_by from delivery where destination = :c"), {"c": channel}).scalar()
    engine.dispose()
    return int(str(who).split(":")[1])


def status_of(url: str, channel: str) -> tuple[str, str | None]:
    engine = make_engine(url)
    with engine.connect() as conn:
        row = conn.execute(text("select status, message_id from delivery where destination = :c"), {"c": channel}).one()
    engine.dispose()
    return row[0], row[1]


async def serve(url: str, fake_slack, tmp_path) -> asyncio.subprocess.Process:  # type: ignore[no-untyped-def]
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_BOT_TOKEN": "xoxb-replica-token",
        "SLACK_API_URL": fake_slack.api_url,
        "TALLY_SECRET_KEY": "replica-test-key",
        "TALLY_LEAD_SECONDS": "1",
        "TALLY_SWEEP_SECONDS": "1",
        "TALLY_REMINDER_SECONDS": "0",
        "TALLY_CLAIM_SECONDS": "4",  # a claim unconfirmed this long was abandoned (ten minutes in production)
    }
    with open(tmp_path / f"serve-{port}.log", "w") as log:  # the child keeps its own copy of the handle
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "adapters.cli", "serve", "--port", str(port),
            cwd=tmp_path, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
    await wait_until_healthy(f"http://127.0.0.1:{port}", process)
    return process


def posts_to(fake_slack, channel: str) -> list:  # type: ignore[no-untyped-def]
    return [c for c in fake_slack.called("chat.postMessage") if c.args.get("channel") == channel]


async def stop(*processes: asyncio.subprocess.Process) -> None:
    for process in processes:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            await asyncio.wait_for(process.wait(), timeout=30)


async def test_two_replicas_post_once_and_the_survivor_takes_over(pg_url, fake_slack, tmp_path):
    day, at = prepare(pg_url)
    first, second = await serve(pg_url, fake_slack, tmp_path), await serve(pg_url, fake_slack, tmp_path)
    try:
        add_forum(pg_url, "forum", "C0FIRST", day, at)
        await fake_slack.wait_until(lambda: len(posts_to(fake_slack, "C0FIRST")) >= 1, "the first digest", timeout=20)
        await asyncio.sleep(3)  # several sweeps on both replicas
        assert len(posts_to(fake_slack, "C0FIRST")) == 1
        leader = {first.pid: first, second.pid: second}[claimed_by(pg_url, "C0FIRST")]
        survivor = second if leader is first else first

        leader.kill()
        await leader.wait()
        add_forum(pg_url, "second", "C0SECOND", day, at)
        await fake_slack.wait_until(lambda: len(posts_to(fake_slack, "C0SECOND")) >= 1, "the next digest", timeout=60)
        await asyncio.sleep(2)
        assert len(posts_to(fake_slack, "C0SECOND")) == 1
        assert claimed_by(pg_url, "C0SECOND") == survivor.pid
        assert status_of(pg_url, "C0SECOND")[0] == "posted"
    finally:
        await stop(first, second)


async def test_a_process_killed_between_posting_and_recording_does_not_post_again(pg_url, fake_slack, tmp_path):
    day, at = prepare(pg_url)
    process = await serve(pg_url, fake_slack, tmp_path)
    killed = asyncio.Event()

    async def kill_before_answering(call) -> None:  # type: ignore[no-untyped-def]
        if call.args.get("channel") == "C0CRASH" and not killed.is_set():
            process.send_signal(signal.SIGKILL)  # Slack has the message; Tally dies before it hears so
            killed.set()

    fake_slack.history.on_post = kill_before_answering
    restarted = None
    try:
        add_forum(pg_url, "forum", "C0CRASH", day, at)
        await fake_slack.wait_until(killed.is_set, "the kill", timeout=20)
        await asyncio.wait_for(process.wait(), timeout=10)
        assert status_of(pg_url, "C0CRASH") == ("claimed", None)  # posted, never recorded
        restarted = await serve(pg_url, fake_slack, tmp_path)
        await fake_slack.wait_until(
            lambda: status_of(pg_url, "C0CRASH")[0] == "posted", "the post found and recorded", timeout=20
        )
        await asyncio.sleep(2)
        assert len(posts_to(fake_slack, "C0CRASH")) == 1
        assert fake_slack.called("conversations.history")  # it looked before deciding
        assert status_of(pg_url, "C0CRASH")[1] == fake_slack.history.messages["C0CRASH"][0]["ts"]
    finally:
        await stop(process, *([restarted] if restarted else []))
