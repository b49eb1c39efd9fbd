"""ISO weeks in a workspace's timezone: what a digest covers, and the key its delivery is claimed under."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEK_PATTERN = re.compile(r"^(\d{4})-?W(\d{2})$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """'2026-W47' (or 2026W47); ValueError saying how to write it otherwise."""
        match = WEEK_PATTERN.match(text.strip())
        if match:
            year, week = int(match.group(1)), int(match.group(2))
            try:
                return cls.of(date.fromisocalendar(year, week, 1))
            except ValueError:
                pass
        raise ValueError(f"{text!r} is not a week: write it as an ISO week such as 2026-W47")

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        year, week, _ = day.isocalendar()
        return cls(year, week)

    @classmethod
    def last_complete(cls, now: datetime, timezone: str) -> IsoWeek:
        """The week before the one `now` falls in, where the workspace is."""
        return cls.of(now.astimezone(ZoneInfo(timezone)).date()).previous()

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def previous(self, weeks: int = 1) -> IsoWeek:
        return IsoWeek.of(self.monday - timedelta(weeks=weeks))

    def next(self) -> IsoWeek:
        return IsoWeek.of(self.monday + timedelta(weeks=1))

    def bounds(self, timezone: str) -> tuple[datetime, datetime]:
        """Its first and last instants (end exclusive) in UTC, for timestamps stored in UTC."""
        zone = ZoneInfo(timezone)
        start = datetime.combine(self.monday, time(0), zone).astimezone(UTC)
        end = datetime.combine(self.monday + timedelta(weeks=1), time(0), zone).astimezone(UTC)
        return start, end

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"
