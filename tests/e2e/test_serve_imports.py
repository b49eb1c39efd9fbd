"""What a start imports: Teams' SDKs only when Teams is served, alembic only when the database is not at head
(each is a share of the time before /healthz answers). Run in a fresh interpreter, started as `tally serve` is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

START = """
import asyncio, json, sys
from aiohttp import web
from adapters.config import load_settings
from adapters.server import create_app

async def start_and_stop():
    runner = web.AppRunner(create_app(load_settings(json.loads(sys.argv[1]))))
    await runner.setup()  # every cleanup_ctx started: the database migrated, Slack and/or Teams built
    await runner.cleanup()

asyncio.run(start_and_stop())
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""

SLACK = {"SLACK_SIGNING_SECRET": "secret", "SLACK_BOT_TOKEN": "xoxb-token"}
TEAMS = {"MICROSOFT_APP_ID": "app-id", "MICROSOFT_APP_PASSWORD": "password"}
TEAMS_SDKS = {"botbuilder", "botframework", "msrest"}


def packages_imported_by_a_start(settings: dict[str, str]) -> set[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-c", START, json.dumps(settings)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return set(json.loads(result.stdout.splitlines()[-1]))


@pytest.mark.parametrize(
    ("settings", "teams"),
    [(SLACK, False), ({**SLACK, **TEAMS}, True), ({}, True)],  # no settings: Teams in Emulator mode
    ids=["slack", "slack and teams", "nothing configured"],
)
def test_teams_sdks_are_imported_only_when_teams_is_served(settings, teams, tmp_path):
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'tally.db'}"}
    first = packages_imported_by_a_start({**settings, **database})
    assert (first >= TEAMS_SDKS) is teams and (first.isdisjoint(TEAMS_SDKS)) is not teams
    assert "alembic" in first  # a fresh database: migrated before anything serves
    again = packages_imported_by_a_start({**settings, **database})
    assert "alembic" not in again  # already at head
