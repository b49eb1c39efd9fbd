"""The Slack app manifest is valid against Slack's own schema and matches what the code listens for."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from adapters.slack.app import BOT_SCOPES
from adapters.slack.ids import CallbackId, SlashCommand

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = json.loads((ROOT / "manifest" / "slack" / "manifest.json").read_text())
SCHEMA_DIR = ROOT / "tests" / "schemas"  # copies; see tests/schemas/README.md


def test_manifest_is_valid_against_slack_schema():
    schema = json.loads((SCHEMA_DIR / "manifest.schema.1.0.0.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(MANIFEST), key=str)
    assert errors == [], [e.message for e in errors]


def test_schema_rejects_a_broken_manifest():
    schema = json.loads((SCHEMA_DIR / "manifest.schema.1.0.0.json").read_text())
    broken = {**MANIFEST, "display_information": {"description": "no name"}}
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))


def test_manifest_matches_the_listeners():
    features, settings = MANIFEST["features"], MANIFEST["settings"]
    assert {c["command"] for c in features["slash_commands"]} == {c.value for c in SlashCommand}
    assert [s["callback_id"] for s in features["shortcuts"]] == [CallbackId.LOG_MESSAGE_SHORTCUT.value]
    assert MANIFEST["oauth_config"]["scopes"]["bot"] == BOT_SCOPES
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened", "app_uninstalled", "tokens_revoked"]
    assert features["app_home"]["home_tab_enabled"] is True
    urls = [c["url"] for c in features["slash_commands"]]
    urls += [settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"]]
    assert all(u.endswith("/slack/events") for u in urls)
    assert MANIFEST["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")
    escaped = {c["command"]: c["should_escape"] for c in features["slash_commands"]}
    assert escaped == {"/problem": False, "/idea": False, "/tally": True}  # '#area' as typed; '@someone' as an id
