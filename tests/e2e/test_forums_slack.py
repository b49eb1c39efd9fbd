"""A forum's digest destination in Slack end to end: `/tally forum here` asks Slack (conversations.info, and the
x-oauth-scopes header of its answer) whether Tally can post the digest and its chart in the channel, and stores the
channel only when it can.

Signed requests go into the real app over HTTP; assertions are on what Tally answered and what the database holds.
"""

from __future__ import annotations

import json

from sqlalchemy import text

CHANNEL = "C0FRONTDESK"  # where the stored slash command payload comes from
ADMIN = "U0LEAD"


async def tally_command(tally, line: str, user: str = ADMIN, **overrides: str) -> dict:  # type: ignore[no-untyped-def]
    status, body = await tally.slack.slash(line, command="/tally", user_id=user, **overrides)
    assert status == 200, (status, body)
    return json.loads(body) if body else {}


def destinations(tally) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    with tally.engine.connect() as conn:
        return [(r[0], r[1]) for r in conn.execute(text("select slug, destination from forum order by id"))]


def changed(tally) -> int:  # type: ignore[no-untyped-def]
    return tally.count("select count(*) from audit_event where action = 'forum.changed'")


async def test_here_in_a_channel_tally_is_in_with_files_write_is_stored_and_confirmed(tally):
    tally.fake.admins.add(ADMIN)
    answer = await tally_command(tally, "forum here")
    assert answer["response_type"] == "ephemeral"
    assert answer["text"] == "Improvement forum's weekly digest will be posted here."
    assert f"<#{CHANNEL}>" in json.dumps(answer["blocks"])  # shown as a link to the channel
    assert destinations(tally) == [("forum", CHANNEL)] and changed(tally) == 1
    (asked,) = tally.fake.called("conversations.info")
    assert asked.args["channel"] == CHANNEL
    shown = await tally_command(tally, "forum", user="U0BOB")
    assert f"<#{CHANNEL}>" in json.dumps(shown["blocks"]) and "Mondays 09:00 Europe/London" in json.dumps(shown)


async def test_here_in_a_public_channel_tally_hasnt_joined_is_refused_with_the_invite_hint(tally):
    tally.fake.admins.add(ADMIN)
    tally.fake.not_member.add(CHANNEL)
    answer = await tally_command(tally, "forum here")
    assert answer["response_type"] == "ephemeral"
    assert "Invite Tally with /invite @Tally first" in answer["text"]
    assert destinations(tally) == [] and changed(tally) == 0


async def test_here_in_a_private_channel_tally_cant_see_is_refused_with_the_invite_hint(tally):
    tally.fake.admins.add(ADMIN)
    tally.fake.not_in_channel.add(CHANNEL)
    answer = await tally_command(tally, "forum here")
    assert "Invite Tally with /invite @Tally first" in answer["text"]
    assert destinations(tally) == [] and changed(tally) == 0


async def test_here_without_files_write_is_refused_saying_the_app_needs_reinstalling(tally):
    tally.fake.admins.add(ADMIN)
    tally.fake.scopes = "commands,chat:write,chat:write.public,users:read,channels:read,groups:read"
    answer = await tally_command(tally, "forum here")
    assert "files:write" in answer["text"] and "reinstall" in answer["text"]
    assert destinations(tally) == [] and changed(tally) == 0


async def test_here_in_a_direct_message_is_refused(tally, monkeypatch):
    tally.fake.admins.add(ADMIN)
    plain = tally.fake.answer

    def answer(method: str, args: dict) -> dict:
        if method == "conversations.info":
            return {"ok": True, "channel": {"id": args.get("channel"), "is_im": True, "is_member": True}}
        return plain(method, args)

    monkeypatch.setattr(tally.fake, "answer", answer)
    refused = await tally_command(tally, "forum here", channel_id="D0LEADDM")
    assert "not a direct message" in refused["text"] and destinations(tally) == []


async def test_here_from_someone_not_an_owner_is_refused_and_nothing_stored(tally):
    answer = await tally_command(tally, "forum here", user="U0BOB")
    assert "Only the forum's owners can change a forum's digest or meetings" in answer["text"]
    assert destinations(tally) in ([], [("forum", None)]) and changed(tally) == 0


async def test_a_long_forum_name_and_many_areas_stay_within_slack_limits(tally):
    tally.fake.admins.add(ADMIN)
    areas = [f"area-{n}-{'x' * 60}" for n in range(40)]
    for area in areas:
        await tally.slack.slash(f"Something went wrong #{area}", command="/problem", user_id=ADMIN)
    name = "A forum & <its> *name* " + "w" * 50
    added = await tally_command(tally, f"forum new {name} {' '.join('#' + a for a in areas)}")
    assert added["text"].startswith("Added the forum")
    await tally_command(tally, "forum here")
    await tally_command(tally, "forum", user="U0BOB")
    await tally_command(tally, "forum new Another #" + " #".join(f"missing-{n}-{'y' * 80}" for n in range(60)))
