"""When digests fall due and forums meet, in the workspace's timezone; ISO weeks as the digest keys them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.meetings import last_slot, meeting_on, next_meeting
from digests.weeks import IsoWeek


@pytest.mark.parametrize(
    ("meets", "expected"),
    [
        ("first-tue", date(2026, 11, 3)),
        ("third-tue", date(2026, 11, 17)),
        ("last-fri", date(2026, 11, 27)),
        ("fourth-mon", date(2026, 11, 23)),
        ("second-sun", date(2026, 11, 8)),
    ],
)
def test_the_months_meeting_day(meets, expected):
    assert meeting_on(2026, 11, meets) == expected


@pytest.mark.parametrize("meets", ["", "first", "fifth-tue", "first-tuesday-ish", "tue-first"])
def test_a_cadence_tally_cant_read_has_no_meeting(meets):
    assert meeting_on(2026, 11, meets) is None


def test_the_next_meeting_is_on_or_after_today_and_crosses_the_year():
    assert next_meeting(date(2026, 11, 3), "first-tue") == date(2026, 11, 3)
    assert next_meeting(date(2026, 11, 4), "first-tue") == date(2026, 12, 1)
    assert next_meeting(date(2026, 12, 2), "first-tue") == date(2027, 1, 5)


def test_the_last_slot_is_at_or_before_now_where_the_workspace_is():
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 09:00 in London (GMT)
    assert last_slot(now, "Europe/London", 0, "09:00") == now
    earlier = last_slot(datetime(2026, 11, 23, 8, 59, tzinfo=UTC), "Europe/London", 0, "09:00")
    assert earlier.astimezone(UTC) == datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    summer = last_slot(datetime(2026, 7, 6, 12, 0, tzinfo=UTC), "Europe/London", 0, "09:00")  # BST: 08:00 UTC
    assert summer.astimezone(UTC) == datetime(2026, 7, 6, 8, 0, tzinfo=UTC)
    sydney = last_slot(datetime(2026, 11, 22, 23, 30, tzinfo=UTC), "Australia/Sydney", 0, "09:00")
    assert sydney.astimezone(UTC) == datetime(2026, 11, 22, 22, 0, tzinfo=UTC)  # Monday 09:00 AEDT


def test_iso_weeks_parse_and_say_how_to_write_them():
    assert str(IsoWeek.parse("2026-W47")) == "2026-W47" == str(IsoWeek.parse("2026w47"))
    assert IsoWeek.parse("2026-W47").monday == date(2026, 11, 16)
    assert str(IsoWeek.parse("2026-W53")) == "2026-W53"  # 2026 has 53 ISO weeks
    for bad in ("2025-W53", "2026-W00", "47", "2026-47", "next week"):
        with pytest.raises(ValueError, match="2026-W47"):
            IsoWeek.parse(bad)


def test_the_last_complete_week_and_its_bounds_are_the_workspaces():
    sunday_night = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    assert str(IsoWeek.last_complete(sunday_night, "Europe/London")) == "2026-W46"
    assert str(IsoWeek.last_complete(sunday_night, "Pacific/Auckland")) == "2026-W47"  # Monday there already
    start, end = IsoWeek(2026, 13).bounds("Europe/London")  # the clocks go forward on Sunday 29 March
    assert start == datetime(2026, 3, 23, 0, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 29, 23, 0, tzinfo=UTC)
    assert IsoWeek(2027, 1).previous() == IsoWeek(2026, 53)
