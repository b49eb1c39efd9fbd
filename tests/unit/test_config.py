"""Settings: defaults, and every misconfiguration refused at start with a message that says the fix."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.config import ConfigError, load_settings


def test_defaults():
    settings = load_settings({})
    assert settings.database_url == "sqlite:///./tally.db"
    assert settings.defaults.hourly_cost == Decimal("25") and settings.defaults.currency == "GBP"
    assert settings.defaults.timezone == "Europe/London"
    assert not settings.slack_enabled and not settings.slack_oauth


def test_workspace_defaults_from_the_environment():
    settings = load_settings({"TALLY_HOURLY_COST": "31.50", "TALLY_CURRENCY": "eur", "TALLY_TIMEZONE": "Europe/Dublin"})
    assert settings.defaults.hourly_cost == Decimal("31.50") and settings.defaults.currency == "EUR"


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"TALLY_TIMEZONE": "Mars/Olympus"}, "TALLY_TIMEZONE"),
        ({"TALLY_HOURLY_COST": "lots"}, "TALLY_HOURLY_COST"),
        ({"TALLY_HOURLY_COST": "-1"}, "negative"),
        ({"TALLY_CURRENCY": "pounds"}, "three-letter"),
        ({"SLACK_CLIENT_ID": "1", "SLACK_CLIENT_SECRET": "2", "SLACK_SIGNING_SECRET": "s"}, "TALLY_SECRET_KEY"),
        ({"SLACK_CLIENT_ID": "1", "SLACK_CLIENT_SECRET": "2", "TALLY_SECRET_KEY": "k"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_APP_TOKEN": "xoxb-wrong", "SLACK_BOT_TOKEN": "xoxb-1"}, "xapp-"),
    ],
)
def test_misconfiguration_is_refused_with_the_fix(env, says):
    with pytest.raises(ConfigError) as err:
        load_settings(env)
    assert says in str(err.value)


def test_secrets_stay_out_of_repr():
    settings = load_settings(
        {
            "SLACK_SIGNING_SECRET": "sig-secret",
            "SLACK_BOT_TOKEN": "xoxb-secret",
            "DATABASE_URL": "postgresql://u:pw@db/x",
        }
    )
    shown = repr(settings)
    assert "xoxb-secret" not in shown and "sig-secret" not in shown and "pw" not in shown
