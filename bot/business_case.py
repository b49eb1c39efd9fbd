"""The failure-demand business case (DESIGN.md "Impact arithmetic"): what failure demand costs a year per area and
in all, its share of recorded demand, and what the ideas being carried out are expected to save. Pure: storage
hands in aggregates, money stays Decimal, and service users are counted beside money, never in it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.roi import BASELINE_WEEKS, Annual, Return, idea_return
from storage.model import Totals
from storage.ports import AreaFacts, IdeaFacts

IN_PROGRESS = ("approve", "experiment")  # "the ideas approved or in progress"
DEMAND_HINT = "/tally demand #area N [YYYY-Www]"
ZERO = Decimal(0)


@dataclass(frozen=True)
class AreaCase:
    name: str
    demand: int | None  # None: no demand recorded in the baseline
    failure: int  # every failure-demand occurrence in the baseline
    failure_matched: int  # those in weeks with demand recorded: the share's numerator
    share: Decimal | None  # failure_matched / demand; None (unknown, not zero) without demand
    weekly_cost: Decimal
    annual_cost: Decimal
    users_a_year: int


@dataclass(frozen=True)
class IdeaCase:
    number: int
    title: str
    decision: str
    reduction_pct: Decimal | None
    cost: Decimal | None
    annual_cost: Decimal  # what its linked problems cost a year
    result: Return | None  # None without an estimate (reduction and cost)


@dataclass(frozen=True)
class BusinessCase:
    start: date
    end: date
    areas: tuple[AreaCase, ...]
    total: AreaCase
    ideas: tuple[IdeaCase, ...]
    annual_saving: Decimal  # of the ideas with an estimate
    users_spared_a_year: int
    programme_cost: Decimal | None
    programme_roi: Decimal | None  # (saving - programme cost) / programme cost; None without a positive cost

    @property
    def unknown_share(self) -> tuple[str, ...]:
        """Areas whose share can't be known yet: the hint says how to record their demand."""
        return tuple(a.name for a in self.areas if a.share is None)


def share(failure_matched: int, demand: int | None) -> Decimal | None:
    """Unknown (None), not zero, where no demand was recorded (or it was recorded as 0)."""
    return Decimal(failure_matched) / Decimal(demand) if demand else None


def area_case(name: str, demand: int | None, failure: Totals, matched: int, hourly_cost: Decimal) -> AreaCase:
    annual = Annual.of(failure, hourly_cost)
    weekly = Decimal(failure.staff_minutes) / 60 * hourly_cost / BASELINE_WEEKS
    return AreaCase(name, demand, failure.count, matched, share(matched, demand), weekly, annual.cost, annual.users)


def idea_case(facts: IdeaFacts, hourly_cost: Decimal) -> IdeaCase:
    """As an idea's card works it out: Σ linked problems' Annual, then idea_return."""
    annual = Annual(ZERO, 0)
    for totals in facts.linked:
        annual = annual + Annual.of(totals, hourly_cost)
    estimated = facts.reduction_pct is not None and facts.cost is not None
    result = idea_return(annual, facts.reduction_pct, facts.cost) if estimated else None  # type: ignore[arg-type]
    return IdeaCase(facts.number, facts.title, facts.decision, facts.reduction_pct, facts.cost, annual.cost, result)


def business_case(
    start: date,
    end: date,
    areas: Sequence[AreaFacts],
    ideas: Sequence[IdeaFacts],
    hourly_cost: Decimal,
    programme_cost: Decimal | None = None,
) -> BusinessCase:
    """Per area and in total; programme ROI = (Σ expected annual saving of ideas in progress − N) ÷ N."""
    per_area = tuple(area_case(a.name, a.demand, a.failure, a.failure_matched, hourly_cost) for a in areas)
    recorded = [a.demand for a in areas if a.demand is not None]
    failure = Totals()
    for a in areas:
        failure = failure + a.failure
    matched = sum(a.failure_matched for a in areas)
    total = area_case("All areas", sum(recorded) if recorded else None, failure, matched, hourly_cost)
    cases = tuple(idea_case(i, hourly_cost) for i in ideas)
    returns = [i.result for i in cases if i.result is not None]
    saving = sum((r.annual_saving for r in returns), ZERO)
    spared = sum(r.users_spared_a_year for r in returns)
    roi = (saving - programme_cost) / programme_cost if programme_cost else None
    return BusinessCase(start, end, per_area, total, cases, saving, spared, programme_cost, roi)
