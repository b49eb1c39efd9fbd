"""The review reminder job inside `tally serve`: an experiment whose review date has come reminds the owners."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from tests.e2e.conftest import slack_settings, start_tally


async def test_owners_are_reminded_of_an_experiment_due_for_review_once(db_url, fake_slack, fixed_clock):
    settings = replace(slack_settings(db_url, fake_slack), reminder_seconds=1)
    running = await start_tally(settings, fake_slack, fixed_clock)
    try:
        fake_slack.admins.add("U0LEAD")
        await running.slack.slash("owners add <@U0OWNER|owner>", command="/tally", user_id="U0LEAD")
        await running.slack.slash("Email the decision letter", command="/idea", user_id="U0ALICE")
        # The fixed clock's today: the review is due at once.
        await running.slack.slash("decide I1 experiment Try it review=2026-11-21", command="/idea", user_id="U0LEAD")

        def reminders() -> list:
            return [c for c in fake_slack.called("chat.postMessage") if "due for review" in c.args.get("text", "")]

        await fake_slack.wait_until(lambda: len(reminders()) >= 2, "the review reminders", timeout=10)
        await running.settle()
        await asyncio.sleep(2.5)  # two more rounds of the job: still one reminder each
        assert sorted(r.args["channel"] for r in reminders()) == ["U0LEAD", "U0OWNER"]  # owners, and who decided
        assert all("/idea decide I1" in r.args["text"] for r in reminders())
        assert running.count("select count(*) from idea_review_reminder") == 1
    finally:
        await running.server.close()
