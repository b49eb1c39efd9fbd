"""The weekly digest as one plain object: the builder fills it from the database, and Block Kit, an Adaptive Card,
plain text and the chart are each drawn from it alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from digests.spc import Chart

TOP = 5  # the top problems by staff hours


class Kind(StrEnum):
    """What a forum is sent on a schedule; with the period it keys a delivery, so each is sent once."""

    DIGEST = "digest"
    AGENDA = "agenda"


@dataclass(frozen=True)
class ProblemLine:
    """One problem's week: its tally, and its staff hours the week before (for the change)."""

    number: int
    title: str
    area: str = ""  # the process area's name, "" when none
    count: int = 0
    staff_hours: Decimal = Decimal(0)
    users: int = 0
    cost: Decimal = Decimal(0)
    previous_hours: Decimal = Decimal(0)

    @property
    def change_hours(self) -> Decimal:
        return self.staff_hours - self.previous_hours


@dataclass(frozen=True)
class SignalLine:
    """A special cause in the latest weeks of a problem's or an area's weekly counts."""

    subject: str  # "#12 Letters not received" or "Benefits (area)"
    signal: str  # spc.Signal value: outside, trend, two_of_three, run
    kind: str  # improvement, concern or neutral
    label: str  # the signal in words: "7 in a row on one side of the mean"
    latest: int = 0  # the count in the digest's week


@dataclass(frozen=True)
class Series:
    """The weekly counts the digest's chart draws: one problem's, or the forum's areas' together."""

    title: str
    weeks: tuple[str, ...]  # ISO weeks, oldest first, the digest's week last ("2026-W47")
    values: tuple[float, ...]
    chart: Chart


@dataclass(frozen=True)
class IdeaLine:
    number: int
    title: str
    stage: str = "information"
    votes: int = 0
    decision: str = ""  # approve, experiment, reject, park, done; "" while undecided
    reason: str = ""  # the forum's feedback with its decision


@dataclass(frozen=True)
class Digest:
    """One forum's week. Money and hours are Decimals, so renderings round them the same way."""

    workspace: str
    forum_slug: str
    forum_name: str
    week: str  # ISO week, "2026-W47"
    starts: date  # Monday of the week, in the workspace's timezone
    ends: date  # Sunday
    currency: str = "GBP"
    occurrences: int = 0
    staff_hours: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    users: int = 0
    failure_demand: int = 0  # occurrences of failure-demand problems (with demand: in the areas that recorded it)
    demand: int | None = None  # contacts or cases recorded for the forum's areas; None: none recorded
    top: tuple[ProblemLine, ...] = ()
    new_problems: tuple[ProblemLine, ...] = ()
    signals: tuple[SignalLine, ...] = ()
    series: Series | None = None  # what the chart draws
    history_weeks: int = 0  # weeks of counts the SPC looked at; under 12 its limits are trial limits
    ideas_new: tuple[IdeaLine, ...] = ()
    ideas_most_voted: tuple[IdeaLine, ...] = ()
    ideas_awaiting: tuple[IdeaLine, ...] = ()  # at improve, waiting for the forum's decision
    ideas_decided: tuple[IdeaLine, ...] = ()  # decided this week, with their reasons
    fixed: tuple[ProblemLine, ...] = ()  # marked fixed this week: "you said, we did"
    notes: tuple[str, ...] = field(default=())  # anything the reader should know (trial limits, no demand...)

    @property
    def failure_demand_share(self) -> Decimal | None:
        """Unknown, not zero, where no demand was recorded."""
        if not self.demand:
            return None
        return Decimal(self.failure_demand) / Decimal(self.demand)

    @property
    def trial_limits(self) -> bool:
        return 0 < self.history_weeks < 12

    @property
    def quiet(self) -> bool:
        """Nothing happened: the digest says so in a line or two rather than staying silent. Ideas still waiting
        for the forum are not news."""
        return not (self.occurrences or self.new_problems or self.ideas_new or self.ideas_decided or self.fixed)

    @property
    def key(self) -> str:
        """The delivery's key, carried in the Slack message's metadata: forum, kind and period."""
        return f"{self.forum_slug}:{Kind.DIGEST.value}:{self.week}"
