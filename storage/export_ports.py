"""What an export reads: each problem's tally in a period with its first and last sighting, summed by the database."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class ProblemRow:
    id: int
    number: int
    title: str
    area: str
    impact_areas: tuple[str, ...]
    effort_minutes: int  # the problem's default per occurrence
    failure_demand: bool
    status: str
    created_at: datetime | None
    count: int  # in the period
    staff_minutes: int
    users: int
    first_seen: date | None  # ever
    last_seen: date | None


class ExportFacts(abc.ABC):
    @abc.abstractmethod
    def problems(self, workspace_id: int, start: date, end: date) -> list[ProblemRow]:
        """Every problem not merged away, by number, with its tally between start and end (inclusive)."""

    @abc.abstractmethod
    def first_occurrence(self, workspace_id: int) -> date | None: ...
