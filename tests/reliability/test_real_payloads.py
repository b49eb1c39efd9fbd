"""Issue 11, item 11: payloads from Slack's and Microsoft's own documentation and SDK test suites get a sensible
answer: handled, answered, or politely ignored; never a 5xx, never an error logged.

The payloads are in tests/e2e/payloads/real/, each with its source and what was changed in it (only ids, and
the host of its response_url or serviceUrl, which becomes the fake Slack's or the fake Bot Connector's) in
SOURCES.json, with what Tally should do with it:
  handled   it acts: something is stored, or sent to the platform;
  answered  it replies (in the HTTP answer or a message) and stores nothing;
  ignored   it answers 2xx with nothing, stores nothing and sends nothing.
Each is sent correctly signed (Slack) or in Emulator mode (Teams), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.databases import dump_tables
from tests.e2e.conftest import teams_post

REAL = Path(__file__).parents[1] / "e2e" / "payloads" / "real"
SOURCES: dict[str, dict[str, str]] = json.loads((REAL / "SOURCES.json").read_text())
FIGURES: Counter[str] = Counter()
EXPECTATIONS = {"handled", "answered", "ignored"}


@pytest.fixture(scope="module", autouse=True)
def report_figures():
    yield
    print(f"\n[figures] test_real_payloads: {sum(FIGURES.values())} requests: {dict(sorted(FIGURES.items()))}")


def load(name: str, fake_url: str) -> Any:
    return json.loads((REAL / name).read_text().replace("{FAKE}", fake_url.rstrip("/")))


def stored(running, *also_ignored: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Every table but the default forum (the scheduler's, on its own time) and those named."""
    return {t: rows for t, rows in dump_tables(running.engine).items() if t not in ("forum", *also_ignored)}


def test_every_payload_has_its_source_and_what_tally_should_do():
    files = {str(p.relative_to(REAL)) for p in REAL.rglob("*.json") if p.name != "SOURCES.json"}
    assert files == set(SOURCES)
    for name, entry in SOURCES.items():
        assert entry["source"].startswith("https://"), name
        assert entry["adapted"] and entry["expect"] in EXPECTATIONS, name
    kinds = Counter(name.split("/")[0] for name in SOURCES)
    assert kinds["slack"] >= 10 and kinds["teams"] >= 10


def slack_body(name: str, fake_url: str) -> tuple[str, str]:
    payload, kind = load(name, fake_url), SOURCES[name]["kind"]
    if kind == "form":
        return urlencode(payload), "application/x-www-form-urlencoded"
    if kind == "payload":
        return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
    return json.dumps(payload), "application/json"


def slack_sent(tally) -> tuple[list[str], int]:  # type: ignore[no-untyped-def]
    return [c.method for c in tally.fake.calls if c.method != "auth.test"], len(tally.fake.responses)


async def test_real_slack_payloads_get_sensible_answers(tally, caplog):
    caplog.set_level(logging.INFO)
    # problem #1 in the SDK tests' workspace, which their button payload presses
    await tally.slack.slash("Printer jammed 10m", team_id="T111", enterprise_id="E111")
    outcomes = {}
    for name in sorted(n for n in SOURCES if n.startswith("slack/")):
        expect = SOURCES[name]["expect"]
        before, sent = stored(tally), slack_sent(tally)
        status, text = await tally.slack.post(*slack_body(name, tally.slack.fake_url))
        FIGURES["slack"] += 1
        changed, posted = stored(tally) != before, slack_sent(tally) != sent
        outcomes[name] = (status, expect, changed, posted, text[:80])
        assert status == 200, outcomes[name]
        if expect == "handled":
            assert changed or posted, outcomes[name]
        elif expect == "answered":
            assert not changed and (text or posted), outcomes[name]
        else:
            assert not changed and not posted and text == "", outcomes[name]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    challenge = load("slack/url_verification_docs.json", "")["challenge"]
    assert challenge in json.dumps(outcomes["slack/url_verification_docs.json"])


async def test_real_teams_payloads_get_sensible_answers(teams, caplog):
    caplog.set_level(logging.INFO)
    fake = teams.connector
    outcomes = {}
    for name in sorted(n for n in SOURCES if n.startswith("teams/")):
        expect = SOURCES[name]["expect"]
        before, sent = stored(teams, "conversation_ref"), len(fake.sent)  # every turn remembers its conversation
        status, text = await teams_post(teams, load(name, fake.service_url))
        FIGURES["teams"] += 1
        changed, posted = stored(teams, "conversation_ref") != before, len(fake.sent) > sent
        outcomes[name] = (status, expect, changed, posted, text[:80])
        assert status in (200, 201), outcomes[name]
        if expect == "handled":
            assert changed or posted, outcomes[name]
        elif expect == "answered":
            assert not changed and (text or posted), outcomes[name]
        else:
            assert not changed and not posted, outcomes[name]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
