"""`/tally roi` in Slack and `tally roi` in Teams: the business case answers the person who asked, within each
platform's limits (the fakes check every payload), even with long area names and many areas."""

from __future__ import annotations

import json

from tests.e2e.conftest import teams_post
from tests.e2e.fake_connector import activity
from tests.e2e.test_ideas_teams import ALICE, channel_message


async def test_slash_tally_roi_answers_privately_within_slacks_limits(tally):
    for n in range(20):
        area = f"#area-{n}-" + "very-long-process-area-name-" * 3
        status, _ = await tally.slack.slash(f"Letters lost in the post {n} {area} x3 20m fd on 2026-11-12")
        assert status == 200
    status, body = await tally.slack.slash(
        "demand #area-0-" + "very-long-process-area-name-" * 3 + " 400 2026-W46", command="/tally"
    )
    assert status == 200
    status, body = await tally.slack.slash("roi programme-cost 5000", command="/tally", user_id="U0BOB")
    assert status == 200
    answer = json.loads(body)
    shown = json.dumps(answer, ensure_ascii=False)
    assert answer.get("response_type", "ephemeral") == "ephemeral"
    assert "failure demand" in shown.lower() and "/tally demand" in shown
    status, body = await tally.slack.slash("roi programme-cost lots", command="/tally", user_id="U0BOB")
    assert status == 200 and "programme-cost" in body


async def test_tally_roi_in_teams_fits_an_adaptive_card(teams):
    await teams_post(teams, activity("conversation_update", teams.connector.service_url, **{"from": ALICE}))
    for n, line in enumerate(("problem Callers on hold #phones x9 12m fd on 2026-11-12", "tally roi")):
        status, _ = await teams_post(teams, channel_message(teams.connector, line, f"17000000007{n:02d}", ALICE))
        assert status in (200, 201)
    shown = json.dumps([s.activity for s in teams.connector.sent], ensure_ascii=False)
    assert "Phones" in shown and "tally demand" in shown and "/tally" not in shown
