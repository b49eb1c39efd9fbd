"""Reliability and security: the real `tally serve` app attacked, overloaded, killed and cut off (issue 11).

The e2e fixtures (Tally on 127.0.0.1 with a fake Slack and a fake Bot Connector, on SQLite and PostgreSQL) are
shared from tests/e2e; each test module here adds what it needs in its own helpers."""

from tests.e2e.conftest import (  # noqa: F401 - fixtures, found by pytest by name
    connector,
    db_url,
    fake_slack,
    no_platform_limit_broken,
    tally,
    teams,
)
