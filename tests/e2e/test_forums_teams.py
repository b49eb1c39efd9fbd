"""A forum's digest destination in Teams end to end: `tally forum here` @mentioning Tally in a channel makes that channel
(its conversation id without ';messageid=') the destination; in a personal chat it is refused.

Bot Framework activities go into the real app over HTTP (Emulator mode); assertions are on what the fake connector
received and what the database holds.
"""

from __future__ import annotations

import json

from sqlalchemy import text

from tests.e2e.conftest import teams_post as post
from tests.e2e.fake_connector import activity
from tests.e2e.test_ideas_teams import ALICE, BOB, THREAD, channel_message, personal_message


def destinations(teams) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    with teams.engine.connect() as conn:
        return [(r[0], r[1]) for r in conn.execute(text("select slug, destination from forum order by id"))]


def everything_sent(fake) -> str:  # type: ignore[no-untyped-def]
    return json.dumps([s.activity for s in fake.sent], ensure_ascii=False)


async def install(teams) -> None:  # type: ignore[no-untyped-def]
    """Alice adds Tally to the channel: its first owner."""
    status, _ = await post(teams, activity("conversation_update", teams.connector.service_url, **{"from": ALICE}))
    assert status in (200, 201)


async def test_forum_here_in_a_channel_stores_the_channel_conversation(teams):
    await install(teams)
    status, _ = await post(teams, channel_message(teams.connector, "tally forum here", "1700000000301", ALICE))
    assert status in (200, 201)
    assert destinations(teams) == [("forum", THREAD)]
    assert "weekly digest will be posted here" in everything_sent(teams.connector)
    changed = "select count(*) from audit_event where action = 'forum.changed'"
    assert teams.count(changed) == 1


async def test_forum_here_in_a_personal_chat_is_refused_and_nothing_stored(teams):
    await install(teams)
    await post(teams, personal_message(teams.connector, "tally forum here", "1700000000302", ALICE))
    assert "use a channel or group chat" in everything_sent(teams.connector)
    assert destinations(teams) in ([], [("forum", None)])
    assert teams.count("select count(*) from audit_event where action = 'forum.changed'") == 0


async def test_forum_settings_shown_in_teams_name_this_conversation(teams):
    await install(teams)
    await post(teams, channel_message(teams.connector, "tally forum here", "1700000000303", ALICE))
    await post(teams, channel_message(teams.connector, "tally forum", "1700000000304", BOB))
    shown = everything_sent(teams.connector)
    assert "this conversation" in shown and "first Tuesday of the month" in shown
    assert "/tally" not in shown  # spelled as Teams spells it


async def test_long_names_and_many_unknown_areas_stay_within_the_card_schema(teams):
    await install(teams)
    fake = teams.connector
    await post(teams, channel_message(fake, "problem Something went wrong #benefits", "1700000000305", ALICE))
    missing = " ".join(f"#missing-{n}-{'y' * 80}" for n in range(60))
    await post(teams, channel_message(fake, f"tally forum new Board {missing}", "1700000000306", ALICE))
    name = "A forum & <its> *name* " + "w" * 50
    await post(teams, channel_message(fake, f"tally forum new {name} #benefits", "1700000000307", ALICE))
    await post(teams, channel_message(fake, f"tally forum {'z' * 59} here", "1700000000308", ALICE))
    await post(teams, channel_message(fake, "tally forum", "1700000000309", BOB))
    shown = everything_sent(fake)
    assert "no process areas" in shown and "no forum" in shown and "Benefits" in shown
    assert teams.count("select count(*) from forum") == 2
