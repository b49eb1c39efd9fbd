"""The weekly digest inside `tally serve`, posted to a fake Slack: once, with its key in message metadata and its
chart uploaded into its thread; once after a 429; and not again when an unrecorded earlier post is found.

The tests' clock is Saturday 21 November 2026, 10:30 UTC. The forum's digest is scheduled for Saturdays at 09:00
(London), so it fell due 90 minutes ago: the scheduler's sweep sends the digest of the week before (2026-W46)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

from sqlalchemy import text

from storage.model import Platform
from storage.uow import SqlUnitOfWorkFactory
from tests.e2e.conftest import RunningTally, slack_settings, start_tally

CHANNEL = "C0FORUM"
KEY = "forum:digest:2026-W46"


async def scheduling(db_url, fake_slack, fixed_clock) -> RunningTally:  # type: ignore[no-untyped-def]
    """Tally with its scheduler's lead and sweep every second."""
    settings = replace(slack_settings(db_url, fake_slack), lead_seconds=1, sweep_seconds=1, reminder_seconds=0)
    return await start_tally(settings, fake_slack, fixed_clock)


async def start(db_url, fake_slack, fixed_clock) -> RunningTally:  # type: ignore[no-untyped-def]
    running = await scheduling(db_url, fake_slack, fixed_clock)
    # Last week's problems: the seed's example, and another.
    for line in (
        "Users chasing their decision letter #decisions x17 30m fd on 2026-11-12",
        "Printer jams at reception x3 10m on 2026-11-13",
    ):
        await running.slack.slash(line, user_id="U0ALICE")
    forum_in(running)
    return running


def forum_in(running: RunningTally, channel: str = CHANNEL, first: str = "", day: int = 5) -> None:
    """The workspace's first forum, its digest going to `channel` on Saturdays at 09:00; `first` is SQL run in the
    same transaction, before the scheduler can see the forum."""
    with SqlUnitOfWorkFactory(running.engine)() as uow:
        ws = uow.workspaces.find(Platform.SLACK, "T0COUNCIL")
        assert ws is not None and ws.id is not None
        uow.forums.default(ws.id)
        uow.commit()
    with running.engine.begin() as conn:
        if first:
            conn.execute(text(first), {"at": "2026-11-21 09:00:05", "c": channel})
        conn.execute(
            text("update forum set destination = :c, digest_day = :d, digest_time = '09:00' where slug = 'forum'"),
            {"c": channel, "d": day},
        )


def digests(fake_slack, channel: str = CHANNEL) -> list:  # type: ignore[no-untyped-def]
    return [c for c in fake_slack.called("chat.postMessage") if c.args.get("channel") == channel]


async def test_the_digest_is_posted_once_with_its_key_and_its_chart_in_the_thread(db_url, fake_slack, fixed_clock):
    running = await start(db_url, fake_slack, fixed_clock)
    try:
        await fake_slack.wait_until(lambda: len(digests(fake_slack)) >= 1, "the digest", timeout=15)
        await fake_slack.wait_for("files.completeUploadExternal", timeout=10)
        await asyncio.sleep(2.5)  # more sweeps: nothing more is posted
        [post] = digests(fake_slack)
        metadata = post.args["metadata"]
        assert metadata["event_type"] == "tally_digest" and metadata["event_payload"] == {"key": KEY}
        assert "8.5" in post.args["text"] and "17" in post.args["text"]
        ts = fake_slack.history.messages[CHANNEL][0]["ts"]
        [complete] = fake_slack.called("files.completeUploadExternal")
        assert complete.args["channel_id"] == CHANNEL and complete.args["thread_ts"] == ts
        [png] = [b for b in fake_slack.history.uploads.values() if b]
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and 2_000 < len(png) < 60_000
        assert running.count("select count(*) from delivery where kind = 'digest' and status = 'posted'") == 1
        with running.engine.connect() as conn:
            assert conn.execute(text("select message_id, period from delivery where kind = 'digest'")).one() == (
                ts,
                "2026-W46",
            )
    finally:
        await running.server.close()


async def test_a_429_with_retry_after_and_a_503_are_waited_out_and_the_digest_arrives_once(
    db_url, fake_slack, fixed_clock
):
    fake_slack.history.rate_limited["chat.postMessage"] = 1
    fake_slack.history.server_errors["chat.postMessage"] = 1
    fake_slack.history.retry_after = 1
    running = await start(db_url, fake_slack, fixed_clock)
    try:
        await fake_slack.wait_until(lambda: len(digests(fake_slack)) >= 1, "the digest", timeout=15)
        await asyncio.sleep(2.5)
        assert len(digests(fake_slack)) == 1
        assert fake_slack.history.limited == ["chat.postMessage", "chat.postMessage"]
        assert running.count("select count(*) from delivery where kind = 'digest' and status = 'posted'") == 1
    finally:
        await running.server.close()


async def test_an_unrecorded_post_found_in_the_channel_is_recorded_not_posted_again(db_url, fake_slack, fixed_clock):
    # Another process claimed the digest and posted it, then died before it could record the post.
    fake_slack.history.messages[CHANNEL] = [
        {
            "type": "message",
            "ts": "1795251606.000100",
            "text": "Digest",
            "metadata": {"event_type": "tally_digest", "event_payload": {"key": KEY}},
        }
    ]
    running = await scheduling(db_url, fake_slack, fixed_clock)
    try:
        await running.slack.slash("Printer jams at reception x3 10m on 2026-11-13", user_id="U0ALICE")
        forum_in(
            running,
            first="insert into delivery (workspace_id, forum_id, kind, period, status, claimed_at, claimed_by,"
            " attempts, destination, error) select workspace_id, id, 'digest', '2026-W46', 'claimed',"
            " :at, 'another-host:1:dead', 1, :c, '' from forum",
        )
        await fake_slack.wait_for("conversations.history", timeout=15)
        await asyncio.sleep(2)
        assert digests(fake_slack) == []
        with running.engine.connect() as conn:
            assert conn.execute(text("select status, message_id from delivery where kind = 'digest'")).one() == (
                "posted",
                "1795251606.000100",
            )
    finally:
        await running.server.close()


async def test_a_digest_more_than_24_hours_late_is_not_sent(db_url, fake_slack, fixed_clock):
    running = await scheduling(db_url, fake_slack, fixed_clock)
    try:
        await running.slack.slash("Printer jams at reception x3 10m on 2026-11-13", user_id="U0ALICE")
        # Fridays at 09:00: 25.5 hours before the clock's Saturday 10:30. A second forum, on Fridays at 11:00 (23.5
        # hours before), shows the sweep really ran.
        late_one = (
            "insert into forum (workspace_id, slug, name, destination, area_ids, meets, digest_day, digest_time)"
            " select workspace_id, 'control', 'Control', 'C0CONTROL', '[]', 'first-tue', 4, '11:00' from forum"
        )
        forum_in(running, first=late_one, day=4)
        await fake_slack.wait_until(lambda: len(digests(fake_slack, "C0CONTROL")) == 1, "the control digest", 15)
        await asyncio.sleep(2)
        assert digests(fake_slack) == []
        with running.engine.connect() as conn:
            assert conn.execute(text("select destination from delivery where kind = 'digest'")).scalars().all() == [
                "C0CONTROL"
            ]
    finally:
        await running.server.close()


async def test_the_agenda_is_posted_once_a_week_before_the_forum_meets(db_url, fake_slack, fixed_clock):
    running = await scheduling(db_url, fake_slack, fixed_clock)
    try:
        fake_slack.admins.add("U0LEAD")
        await running.slack.slash("Email decision letters as well", command="/idea", user_id="U0ALICE")
        await running.slack.slash("move I1 insight", command="/idea", user_id="U0LEAD")
        await running.slack.slash("move I1 improve", command="/idea", user_id="U0LEAD")
        # It meets on the fourth Saturday, 28 November: its agenda is due a week before, at 09:00 (the digest's hour).
        forum_in(running, first="update forum set meets = 'fourth-sat'", day=0)

        def agendas() -> list:
            return [p for p in digests(fake_slack) if "agenda" in p.args.get("text", "")]

        await fake_slack.wait_until(lambda: len(agendas()) >= 1, "the agenda", timeout=15)
        await asyncio.sleep(2.5)
        [agenda] = agendas()
        assert "2026-11" in agenda.args["text"] and "I1" in json.dumps(agenda.args)
        assert running.count("select count(*) from delivery where kind = 'agenda' and status = 'posted'") == 1
    finally:
        await running.server.close()
