"""The facts the failure-demand business case needs, aggregated by storage so the core never walks raw rows."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from storage.model import Totals


@dataclass(frozen=True)
class AreaFacts:
    """One process area over the baseline (area_id None: problems filed under no area)."""

    area_id: int | None
    name: str
    demand: int | None  # recorded demand summed over the weeks; None: none recorded
    failure: Totals  # every failure-demand occurrence in the weeks
    failure_matched: int  # failure-demand occurrences in the weeks this area recorded demand for


@dataclass(frozen=True)
class IdeaFacts:
    """An idea approved or in progress, with its linked problems' baseline totals (one per problem)."""

    number: int
    title: str
    decision: str
    reduction_pct: Decimal | None
    cost: Decimal | None
    linked: tuple[Totals, ...]


class BusinessCaseRepository(abc.ABC):
    """Aggregates for `/tally roi`: per area demand and failure demand, and the ideas being carried out."""

    @abc.abstractmethod
    def areas(self, workspace_id: int, weeks: Sequence[date]) -> list[AreaFacts]:
        """Areas with demand or failure demand in the weeks starting on `weeks` (each 7 days), by name."""

    @abc.abstractmethod
    def ideas(self, workspace_id: int, decisions: Sequence[str], start: date, end: date) -> list[IdeaFacts]:
        """Unmerged ideas with one of `decisions`, by number, with linked problems' totals over [start, end]."""
