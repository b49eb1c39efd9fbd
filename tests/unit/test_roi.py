"""The business case by DESIGN.md's formula, and the issue's worked example."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.impact import format_money
from bot.roi import Annual, baseline, format_roi, idea_return
from storage.model import Totals


def test_the_seed_example_at_30_pounds_an_hour():
    """17 occurrences of 30 minutes every week for 12 weeks, 50% reduction, £2,000 to implement."""
    twelve_weeks = Totals(count=17 * 12, staff_minutes=17 * 30 * 12, users_affected=17 * 12)
    annual = Annual.of(twelve_weeks, Decimal(30))
    assert annual.cost == Decimal(13260) and annual.users == 884
    result = idea_return(annual, Decimal(50), Decimal(2000))
    assert format_money(result.annual_saving, "GBP") == "£6,630.00"
    assert format_roi(result.roi) == "2.3 (231%)"
    assert result.payback_weeks == 16
    assert result.users_a_year == 884 and result.users_spared_a_year == 442


def test_the_baseline_is_the_last_twelve_complete_weeks():
    start, end = baseline(date(2026, 11, 21))  # a Saturday; the week began Monday 16 November
    assert (start, end) == (date(2026, 8, 24), date(2026, 11, 15))
    assert (end - start).days + 1 == 84


def test_no_saving_has_no_payback_and_no_cost_no_roi():
    nothing = idea_return(Annual(Decimal(0), 0), Decimal(50), Decimal(1000))
    assert nothing.payback_weeks is None and nothing.roi == Decimal(-1)
    free = idea_return(Annual(Decimal(5200), 10), Decimal(10), Decimal(0))
    assert free.roi is None and format_roi(free.roi) == "no cost given" and free.payback_weeks == 0


def test_a_losing_idea_shows_a_negative_roi():
    result = idea_return(Annual(Decimal(1000), 0), Decimal(50), Decimal(2000))
    assert format_roi(result.roi) == "-0.8 (-75%)"
