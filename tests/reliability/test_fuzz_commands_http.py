"""Fuzzing the text of every chat command (issue 11, item 3) through the real `tally serve` app over HTTP: signed
Slack slash commands (/problem, /idea, /tally) and Teams messages (personal chats, and channels with @Tally),
on SQLite and PostgreSQL.

Every request is answered 200 (never a 5xx), Tally logs no unhandled error, what Slack gets back in the answer and
what the fake Slack and the fake Bot Connector receive keep within the platforms' limits (the fakes check theirs:
tests/e2e/conftest.py's no_platform_limit_broken), and a Teams error card leaves every table as it was.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import strategies as st

from tests.e2e.conftest import teams_post
from tests.e2e.fake_connector import activity
from tests.limits import message_violations
from tests.reliability.fuzzing import ErrorLog, drawn, hostile_text
from tests.reliability.payloads import stored

SLASH_PREFIXES = {
    "/problem": ("", "again ", "again 1 ", "show ", "list ", "top ", "status 1 ", "merge 1 into "),
    "/idea": ("", "vote ", "show ", "list ", "evidence I1 ", "estimate I1 ", "move I1 ", "decide I1 ", "for "),
    "/tally": ("", "owners add ", "settings timezone ", "demand ", "roi ", "forum new ", "digest ", "export "),
}
LINE_PREFIXES = ("", "problem ", "problem again ", "idea ", "idea vote ", "tally ", "tally forum ", "help ")
SLACK_EXAMPLES = 50  # per slash command
TEAMS_EXAMPLES = 60


def slash_examples(command: str) -> list[tuple[str, str]]:
    return drawn(st.tuples(st.sampled_from(SLASH_PREFIXES[command]), hostile_text(long=3000)), SLACK_EXAMPLES)


async def test_slash_commands_with_hostile_text_are_answered_within_slacks_limits(tally):
    await tally.slack.slash("Printer jammed in reception #front-desk x2 10m")
    await tally.slack.slash("Put a second printer in reception for 1", command="/idea")
    statuses: Counter[int] = Counter()
    fake = tally.fake
    with ErrorLog() as logged:
        for command in SLASH_PREFIXES:
            for prefix, text in slash_examples(command):
                calls, responses = len(fake.calls), len(fake.responses)
                status, body = await tally.slack.slash(prefix + text, command=command)
                statuses[status] += 1
                assert status == 200, (command, prefix + text, status, body[:300])
                assert not (crashes := logged.take()), (command, prefix + text, crashes)
                if body:
                    answer = json.loads(body)
                    assert not (problems := message_violations(answer)), (command, prefix + text, problems)
                else:  # answered after: a card posted, a form opened, a file sent
                    assert len(fake.calls) > calls or len(fake.responses) > responses, f"no reply to {text!r}"
    assert statuses == Counter({200: SLACK_EXAMPLES * len(SLASH_PREFIXES)})
    print(
        f"\nfuzz commands over HTTP ({tally.engine.dialect.name}), Slack: {SLACK_EXAMPLES} x {list(SLASH_PREFIXES)}, "
        f"statuses {dict(statuses)}"
    )


MENTIONED = (None, "", 7, [], {}, {"id": 7}, {"id": "29:1carol"}, {"id": ["x"], "name": {}}, {"name": "Tally"})


def teams_message(fake, text: str, n: int) -> dict:  # type: ignore[no-untyped-def]
    """A personal message, or, every third one, a channel message that @mentions Tally; every fourth also
    mentions someone else, with the mention's parts of any shape."""
    if n % 3:
        body = activity("message_personal", fake.service_url, text=text, id=f"fuzz-{n}")
    else:
        body = activity("message_channel", fake.service_url, text=f"<at>Tally</at> {text}", id=f"fuzz-{n}")
    if n % 4 == 1:
        shown = ("<at>Carol</at>", "", text[:20], None, 3)[n % 5]
        mention = {"type": "mention", "text": shown, "mentioned": MENTIONED[n % len(MENTIONED)]}
        body["entities"] = [*body.get("entities", []), mention]
        body["text"] = f"{body['text']} <at>Carol</at>"
    return body


def is_error_card(card: dict) -> bool:
    return bool(card.get("body")) and card["body"][0].get("color") == "Attention"


async def test_teams_messages_with_hostile_text_are_answered_and_an_error_stores_nothing(teams):
    fake = teams.connector
    await teams_post(teams, activity("message_personal", fake.service_url, text="problem Printer jammed x2", id="s1"))
    examples = drawn(st.tuples(st.sampled_from(LINE_PREFIXES), hostile_text(long=3000)), TEAMS_EXAMPLES)
    statuses: Counter[int] = Counter()
    errors = 0
    with ErrorLog() as logged:
        for n, (prefix, text) in enumerate(examples):
            before, sent = stored(teams), len(fake.sent)
            status, body = await teams_post(teams, teams_message(fake, prefix + text, n))
            statuses[status] += 1
            assert status in (200, 201), (prefix + text, status, body[:300])
            assert not (crashes := logged.take()), (prefix + text, crashes)
            replies = [s for s in fake.sent[sent:] if s.activity.get("attachments")]
            assert replies, f"no reply to {prefix + text!r}"
            if all(is_error_card(s.card) for s in replies):
                errors += 1
                assert stored(teams) == before, f"an error card for {prefix + text!r}, yet something was stored"
    assert sum(statuses.values()) == TEAMS_EXAMPLES and not set(statuses) - {200, 201}
    print(
        f"\nfuzz commands over HTTP ({teams.engine.dialect.name}), Teams: {TEAMS_EXAMPLES} messages, "
        f"{errors} answered with an error card, statuses {dict(statuses)}"
    )


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_only_the_mention_of_tally_is_taken_out_of_a_channel_message(teams):
    """Found by the fuzz: botbuilder's remove_recipient_mention failed on mentions of another shape, read the
    bot's name as a regular expression, and took the name out of the whole text, description included."""
    fake = teams.connector
    said = ("Tally card reader broken", "Parking permits portal blank for Tally users")
    for n, (name, text) in enumerate(zip(["Tally", "Tally (Council)"], said, strict=True)):
        body = activity("message_channel", fake.service_url, id=f"named-{n}")
        body["text"] = f"<at>{name}</at> problem {text} x2"
        body["entities"][0] = {**body["entities"][0], "text": f"<at>{name}</at>"}
        assert (await teams_post(teams, body))[0] in (200, 201)
        assert fake.sent[-1].card["body"][0]["text"] == f"#{n + 1} {text}"
