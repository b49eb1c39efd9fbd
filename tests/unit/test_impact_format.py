"""Staff time reads as people say it: minutes under an hour, hours from an hour up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.impact import format_hours


def minutes(n: int | str) -> Decimal:
    return Decimal(n) / 60


@pytest.mark.parametrize(
    ("spent", "shown"),
    [
        (minutes(10), "10 minutes"),
        (minutes(1), "1 minute"),
        (minutes(20), "20 minutes"),
        (minutes(30), "30 minutes"),
        (minutes(59), "59 minutes"),
        (minutes("59.4"), "59 minutes"),
        (minutes("59.5"), "1 hour"),
        (minutes("59.99"), "1 hour"),
        (minutes("0.2"), "less than a minute"),
    ],
)
def test_under_an_hour_reads_as_minutes(spent, shown):
    assert format_hours(spent) == shown


@pytest.mark.parametrize(
    ("spent", "shown"),
    [
        (minutes(60), "1 hour"),
        (minutes(17 * 30), "8.5 hours"),  # the problem capture template's worked example
        (Decimal("8.5"), "8.5 hours"),
        (minutes(80), "1.33 hours"),
        (Decimal(10), "10 hours"),
        (Decimal(100), "100 hours"),
        (Decimal("1.004"), "1 hour"),
    ],
)
def test_an_hour_and_more_reads_as_hours(spent, shown):
    assert format_hours(spent) == shown


def test_zero_is_zero_hours():
    assert format_hours(Decimal(0)) == "0 hours"
    assert format_hours(Decimal("0.00")) == "0 hours"


def test_no_fraction_of_an_hour_below_one_hour():
    for n in range(1, 60):
        assert "hour" not in format_hours(minutes(n)), n
