"""The XmR chart by DESIGN.md's rules, on series worked out by hand."""

from __future__ import annotations

import pytest

from digests.spc import Signal, Verdict, limits, xmr

STEADY = [10, 12, 11, 13, 10, 12, 11, 13, 10, 12, 11, 13]  # mean 11.5; moving ranges 2,1,2,3,2,1,2,3,2,1,2


def signals(chart) -> dict[int, Signal]:  # type: ignore[no-untyped-def]
    return {i: p.signal for i, p in chart.signals}


def test_limits_are_the_mean_plus_or_minus_2_66_average_moving_ranges():
    lim = limits(STEADY)
    assert lim is not None
    assert lim.mean == pytest.approx(11.5)
    assert lim.average_moving_range == pytest.approx(21 / 11)
    assert lim.upper == pytest.approx(11.5 + 2.66 * 21 / 11)
    assert lim.lower == pytest.approx(11.5 - 2.66 * 21 / 11)
    assert lim.close_upper == pytest.approx(11.5 + 2 / 3 * 2.66 * 21 / 11)
    assert not lim.trial and xmr(STEADY).signals == ()


def test_screening_drops_huge_moving_ranges_once_and_leaves_the_mean():
    values = [10, 10, 11, 10, 40, 10, 11, 10, 10, 11, 10, 11]
    ranges = [abs(b - a) for a, b in zip(values, values[1:], strict=False)]
    amr = sum(ranges) / len(ranges)
    kept = [r for r in ranges if r < 3.267 * amr]
    screened, raw = limits(values), limits(values, screen=False)
    assert xmr(values, screen_outliers=False).upper == pytest.approx(raw.upper)  # type: ignore[union-attr]
    assert screened.average_moving_range == pytest.approx(sum(kept) / len(kept))  # type: ignore[union-attr]
    assert raw.average_moving_range == pytest.approx(amr)  # type: ignore[union-attr]
    assert screened.mean == raw.mean == pytest.approx(sum(values) / len(values))  # type: ignore[union-attr]
    assert signals(xmr(values))[4] is Signal.OUTSIDE


def test_a_point_above_the_limits_is_a_concern_when_fewer_is_better():
    chart = xmr([*STEADY, 30])
    ((index, point),) = chart.signals
    assert index == 12 and point.signal is Signal.OUTSIDE and point.kind is Verdict.CONCERN
    assert xmr([*STEADY, 30], improvement="increase").signals[0][1].kind is Verdict.IMPROVEMENT
    assert xmr([*STEADY, 30], improvement=None).signals[0][1].kind is Verdict.NEUTRAL


def test_seven_falling_in_a_row_is_a_trend_of_improvement_and_a_tie_breaks_it():
    falling = [20, 19, 18, 17, 16, 15, 14]
    chart = xmr([10, 30, 10, 30, 10, 30, *falling, 30, 10, 30], baseline=6)
    flagged = signals(chart)
    assert [flagged.get(i) for i in range(6, 13)] == [Signal.TREND] * 7
    assert chart.points[6].kind is Verdict.IMPROVEMENT
    tied = xmr([10, 30, 10, 30, 10, 30, 20, 19, 18, 18, 17, 16, 15, 30], baseline=6)
    assert Signal.TREND not in signals(tied).values()  # 20,19,18 then a tie: no run of 7


def test_two_of_three_close_to_a_limit_flags_only_the_points_in_the_band():
    lim = limits(STEADY)
    assert lim is not None
    near = (lim.close_upper + lim.upper) / 2  # inside the band above the mean
    chart = xmr([*STEADY, near, 12, near], baseline=12)
    flagged = signals(chart)
    assert flagged.get(12) is Signal.CLOSE and flagged.get(14) is Signal.CLOSE and 13 not in flagged
    assert chart.points[12].kind is Verdict.CONCERN
    # all three must be on the same side of the mean
    assert 12 not in signals(xmr([*STEADY, near, 5, near], baseline=12))


def test_seven_on_one_side_of_the_mean_is_a_shift_and_a_point_on_the_mean_breaks_it():
    chart = xmr([*STEADY, 10, 11, 10, 11, 10, 11, 10], baseline=12)
    assert [signals(chart).get(i) for i in range(12, 19)] == [Signal.SHIFT] * 7
    assert chart.points[12].kind is Verdict.IMPROVEMENT
    broken = xmr([*STEADY, 10, 11, 10, 11.5, 10, 11, 10], baseline=12)  # 11.5 is the mean
    assert Signal.SHIFT not in [signals(broken).get(i) for i in range(12, 19)]


def test_a_point_takes_the_first_special_cause_that_applies():
    """Outside the limits wins over the shift it is also part of."""
    chart = xmr([*STEADY, 10, 10.5, 10, 10.5, 10, 10.5, 1], baseline=12)
    assert signals(chart)[18] is Signal.OUTSIDE and signals(chart)[12] is Signal.SHIFT


def test_a_constant_series_has_no_limits_and_says_so():
    chart = xmr([0] * 14)
    assert chart.limits is None and chart.upper is None and chart.signals == () and "can't be computed" in chart.note


def test_fewer_than_twelve_weeks_gives_trial_limits():
    chart = xmr([3, 5, 4, 6, 5])
    assert chart.limits is not None and chart.limits.trial and "Trial limits" in chart.note


def test_the_interface_the_digest_and_others_rely_on():
    chart = xmr([*STEADY, 30], screen_outliers=True, baseline=None, improvement="decrease")
    assert chart.mean == pytest.approx(sum([*STEADY, 30]) / 13) and chart.lower < chart.mean < chart.upper
    last = chart.points[-1]
    assert last.signal == "outside" and last.kind == "concern"
    assert {p.signal for p in chart.points[:-1]} == {None} and {p.kind for p in chart.points[:-1]} == {None}
    with pytest.raises(ValueError):
        xmr(STEADY, improvement="down")
