"""The business case of an idea, by DESIGN.md's formula: what its linked problems cost a year, what the
expected reduction saves, and how soon that pays back. Service users are shown beside money, never in it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from bot.impact import SIXTY, week_start
from storage.model import Totals

BASELINE_WEEKS = 12  # annualised cost = mean weekly cost over the last 12 complete weeks x 52
WEEKS_A_YEAR = 52
HUNDRED = Decimal(100)


def baseline(today: date, first_weekday: int = 0) -> tuple[date, date]:
    """The last 12 complete weeks: from the Monday 12 weeks before this week's, to last Sunday."""
    this_week = week_start(today, first_weekday)
    return this_week - timedelta(weeks=BASELINE_WEEKS), this_week - timedelta(days=1)


@dataclass(frozen=True)
class Annual:
    """What a problem (or several) costs a year, from its baseline weeks."""

    cost: Decimal
    users: int

    @classmethod
    def of(cls, totals: Totals, hourly_cost: Decimal) -> Annual:
        weekly_cost = Decimal(totals.staff_minutes) / SIXTY * hourly_cost / BASELINE_WEEKS
        weekly_users = Decimal(totals.users_affected) / BASELINE_WEEKS
        return cls(weekly_cost * WEEKS_A_YEAR, int((weekly_users * WEEKS_A_YEAR).to_integral_value(ROUND_HALF_UP)))

    def __add__(self, other: Annual) -> Annual:
        return Annual(self.cost + other.cost, self.users + other.users)


@dataclass(frozen=True)
class Return:
    annual_saving: Decimal
    roi: Decimal | None  # None without an implementation cost
    payback_weeks: int | None  # None when nothing is saved
    users_a_year: int
    users_spared_a_year: int


def idea_return(annual: Annual, reduction_pct: Decimal, cost: Decimal) -> Return:
    """saving = annual cost x reduction; ROI = (saving - cost) / cost; payback = cost / (saving / 52), rounded up."""
    share = reduction_pct / HUNDRED
    saving = annual.cost * share
    roi = (saving - cost) / cost if cost > 0 else None
    payback = math.ceil(cost / (saving / WEEKS_A_YEAR)) if saving > 0 else None
    spared = int((Decimal(annual.users) * share).to_integral_value(ROUND_HALF_UP))
    return Return(saving, roi, payback, annual.users, spared)


def format_roi(roi: Decimal | None) -> str:
    """2.315 -> '2.3 (231%)': the ratio to one decimal, the percentage in whole points not rounded up."""
    if roi is None:
        return "no cost given"
    ratio = roi.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    percent = (roi * HUNDRED).to_integral_value(rounding=ROUND_DOWN)
    return f"{ratio} ({percent}%)"
