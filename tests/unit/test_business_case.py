"""The business case's pure arithmetic, its grammar and its text, worked by hand (hourly cost £30)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot import commands as c
from bot.business_case import business_case
from bot.business_case_text import LIST_LIMIT, NAME_LIMIT, area_line, capped
from bot.errors import BadInput
from bot.idea_grammar import parse_tally
from bot.idea_help import TALLY_HELP
from storage.model import Platform, Totals
from storage.ports import AreaFacts, IdeaFacts

START, END = date(2026, 8, 24), date(2026, 11, 15)
WS = c.WorkspaceRef(Platform.CONSOLE, "unit")
ME = c.Actor("me")


def test_share_cost_and_programme_roi_by_hand():
    areas = [
        # 240 min x £30 / 60 = £120 over 12 weeks: £10 a week, £520 a year; 24 users -> 104 a year; share 8/80 = 10%
        AreaFacts(1, "Letters", 80, Totals(12, 240, 24), 8),
        AreaFacts(2, "Housing", None, Totals(3, 720, 3), 0),  # £360: £30 a week, £1,560 a year; share unknown
    ]
    # I1: £520 x 50% = £260 saved, ROI (260 - 100) / 100 = 1.6; users 104 x 50% = 52 spared
    ideas = [IdeaFacts(1, "Email it", "approve", Decimal(50), Decimal(100), (Totals(12, 240, 24),))]
    ideas.append(IdeaFacts(2, "No estimate", "experiment", None, None, (Totals(3, 720, 3),)))
    case = business_case(START, END, areas, ideas, Decimal(30), programme_cost=Decimal(200))
    letters, housing = case.areas
    assert (letters.share, letters.weekly_cost, letters.annual_cost, letters.users_a_year) == (
        Decimal("0.1"), Decimal(10), Decimal(520), 104,
    )  # fmt: skip
    assert housing.share is None and housing.annual_cost == Decimal(1560) and case.unknown_share == ("Housing",)
    assert case.total.demand == 80 and case.total.failure == 15 and case.total.share == Decimal("0.1")
    assert case.total.annual_cost == Decimal(2080) and case.total.users_a_year == 104 + 13
    assert case.ideas[0].result.roi == Decimal("1.6") and case.ideas[1].result is None  # type: ignore[union-attr]
    assert case.annual_saving == Decimal(260) and case.users_spared_a_year == 52
    assert case.programme_roi == Decimal("0.3")  # (260 - 200) / 200
    assert all(isinstance(v, Decimal) for v in (case.annual_saving, case.total.annual_cost, case.programme_roi))


def test_no_demand_anywhere_leaves_the_share_unknown_and_no_cost_no_programme_roi():
    case = business_case(START, END, [AreaFacts(None, "No process area", None, Totals(1, 60, 1), 0)], [], Decimal(30))
    assert case.total.share is None and case.total.demand is None and case.programme_roi is None


def test_roi_parses_with_and_without_a_programme_cost():
    assert parse_tally("roi", WS, ME) == c.ShowRoi(ws=WS, actor=ME)
    assert parse_tally("roi programme-cost £50,000", WS, ME).programme_cost == Decimal(50000)  # type: ignore[attr-defined]
    for bad in ("roi programme-cost", "roi programme-cost nothing", "roi programme-cost 0", "roi cost 5"):
        with pytest.raises(BadInput) as refused:
            parse_tally(bad, WS, ME)
        assert "/tally roi [programme-cost N]" in refused.value.how
    assert "/tally roi [programme-cost N]" in TALLY_HELP
    assert c.ShowRoi.writes is False


def test_long_names_are_cut_and_many_areas_capped():
    many = [AreaFacts(n, "A very long process area name " * 10, 10, Totals(1, 30, 1), 1) for n in range(40)]
    case = business_case(START, END, many, [], Decimal(30))
    lines = capped([area_line(a, "GBP") for a in case.areas], "areas")
    assert len(lines) == LIST_LIMIT + 1 and "25 more areas" in lines[-1]
    assert all(len(line) < NAME_LIMIT + 200 for line in lines)
