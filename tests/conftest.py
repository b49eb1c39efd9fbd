"""Shared fixtures: a fixed clock, and the worked example from the problem capture template."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

pytest_plugins = ["tests.log_scan"]  # the whole run's log lines scanned for the suite's secrets (issue 11, item 9)

# Saturday 21 November 2026, mid-morning in London: the week began on Monday 16 November.
FIXED_NOW = datetime(2026, 11, 21, 10, 30, tzinfo=UTC)

WORKED_EXAMPLE = (
    "Users contacting us to complain that they have not received a decision letter "
    "#communicating-decision-on-application x17 20m+10m +quality +delivery +cost"
)


@pytest.fixture
def fixed_clock():
    return lambda: FIXED_NOW


def _in_ci() -> bool:
    import os

    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a skipped PostgreSQL test is a failure: CI must run them for real."""
    report = yield
    if _in_ci() and report.skipped and "postgres" in item.keywords:
        report.outcome = "failed"
        report.longrepr = f"PostgreSQL test skipped under CI=true: {report.longrepr}"
    return report


@pytest.fixture(autouse=True)
def logging_as_it_was():
    """A test that runs the CLI (`cli.main`) sets logging up as a process would: a root handler on the test's own
    stderr, which closes with the test. Put back after it, so no later test's log line meets a closed stream."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
