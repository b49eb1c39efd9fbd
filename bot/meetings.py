"""When a forum's digest is due and when its forum meets, in the workspace's timezone."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ORDINALS = ("first", "second", "third", "fourth", "last")


def digest_time(hhmm: str) -> time:
    hours, minutes = hhmm.split(":")
    return time(int(hours), int(minutes))


def last_slot(now: datetime, timezone: str, weekday: int, hhmm: str) -> datetime:
    """The latest weekly slot (weekday at hh:mm where the workspace is) at or before `now`."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    slot = datetime.combine(day, digest_time(hhmm), zone)
    return slot if slot <= local else slot - timedelta(weeks=1)


def meeting_on(year: int, month: int, meets: str) -> date | None:
    """The month's meeting day for a cadence such as 'first-tue' or 'last-fri'; None for one Tally can't read."""
    try:
        ordinal, day = meets.lower().split("-", 1)
        weekday, place = DAYS.index(day), ORDINALS.index(ordinal)
    except ValueError:
        return None
    days = [d for d in calendar.Calendar().itermonthdates(year, month) if d.month == month and d.weekday() == weekday]
    return days[-1] if ordinal == "last" else days[place]


def next_meeting(today: date, meets: str) -> date | None:
    """The first meeting on or after `today`."""
    year, month = today.year, today.month
    for _ in range(2):
        day = meeting_on(year, month, meets)
        if day is None:
            return None
        if day >= today:
            return day
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None
