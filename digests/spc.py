"""Statistical process control on weekly counts: an XmR (individuals) chart, as NHS England's 'Making Data
Count' draws it, so that owners react to signals and not to noise. Pure arithmetic: numbers in, a chart out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

LIMIT_FACTOR = 2.66  # process limits: mean ± 2.66 × the average moving range
SCREEN_FACTOR = 3.267  # moving ranges this many times the average are screened out, once
CLOSE_SHARE = 2 / 3  # the 'close to a limit' band lies beyond mean ± 2/3 of the way to a limit
RUN = 7  # points in a row for a trend or a shift
TRIAL_BELOW = 12  # with fewer points the limits are trial limits


class Signal(StrEnum):
    """Special causes, in the order a point takes them."""

    OUTSIDE = "outside"  # outside the process limits
    TREND = "trend"  # 7 in a row, each above (or below) the one before
    CLOSE = "two_of_three"  # 2 of 3 in a row close to a limit, all 3 on one side of the mean
    SHIFT = "run"  # 7 in a row on one side of the mean

    @property
    def label(self) -> str:
        return {
            "outside": "outside the process limits",
            "trend": "7 rising or falling in a row",
            "two_of_three": "2 of 3 close to a limit",
            "run": "7 in a row on one side of the mean",
        }[self.value]


class Verdict(StrEnum):
    IMPROVEMENT = "improvement"
    CONCERN = "concern"
    NEUTRAL = "neutral"


@dataclass(frozen=True)
class Limits:
    mean: float
    average_moving_range: float
    upper: float
    lower: float  # not floored at zero: a chart of counts floors it only where it is drawn
    close_upper: float
    close_lower: float
    trial: bool  # fewer than 12 points: trial limits, and the chart says so


@dataclass(frozen=True)
class Point:
    value: float
    signal: Signal | None = None
    kind: Verdict | None = None  # improvement, concern or neutral: for a signal only


@dataclass(frozen=True)
class Chart:
    points: tuple[Point, ...]
    limits: Limits | None  # None when the average moving range is 0 (a constant series): no limits, no signals
    note: str = ""
    mean: float | None = None  # of the baseline points (all of them without one)

    @property
    def upper(self) -> float | None:
        return self.limits.upper if self.limits else None

    @property
    def lower(self) -> float | None:
        return self.limits.lower if self.limits else None

    @property
    def signals(self) -> tuple[tuple[int, Point], ...]:
        return tuple((i, p) for i, p in enumerate(self.points) if p.signal is not None)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def limits(values: Sequence[float], baseline: int | None = None, screen: bool = True) -> Limits | None:
    """Mean and limits from the first `baseline` points (all of them by default); None when AMR is 0."""
    base = list(values[:baseline] if baseline else values)
    if len(base) < 2:
        return None
    mean = _mean(base)
    ranges = [abs(b - a) for a, b in zip(base, base[1:], strict=False)]
    amr = _mean(ranges)
    if screen and amr > 0:
        kept = [r for r in ranges if r < SCREEN_FACTOR * amr]
        amr = _mean(kept) if kept else amr
    if amr == 0:
        return None
    reach = LIMIT_FACTOR * amr
    return Limits(
        mean=mean,
        average_moving_range=amr,
        upper=mean + reach,
        lower=mean - reach,
        close_upper=mean + CLOSE_SHARE * reach,
        close_lower=mean - CLOSE_SHARE * reach,
        trial=len(values) < TRIAL_BELOW,
    )


def _side(value: float, mean: float) -> int:
    return (value > mean) - (value < mean)


def _outside(values: Sequence[float], lim: Limits) -> dict[int, int]:
    return {i: (1 if v > lim.upper else -1) for i, v in enumerate(values) if v > lim.upper or v < lim.lower}


def _trends(values: Sequence[float]) -> dict[int, int]:
    """Every point of a run of 7 or more, each strictly above (or below) the one before; a tie breaks it."""
    flagged: dict[int, int] = {}
    for direction in (1, -1):
        start = 0
        for i in range(1, len(values) + 1):
            going = i < len(values) and (values[i] - values[i - 1]) * direction > 0
            if not going:
                if i - start >= RUN:
                    flagged.update(dict.fromkeys(range(start, i), direction))
                start = i
    return flagged


def _close(values: Sequence[float], lim: Limits) -> dict[int, int]:
    """2 of 3 in a row in the close band, all 3 on the same side of the mean: the points in the band."""
    flagged: dict[int, int] = {}
    for i in range(len(values) - 2):
        window = range(i, i + 3)
        for side in (1, -1):
            if not all(_side(values[j], lim.mean) == side for j in window):
                continue
            band = [
                j
                for j in window
                if (lim.close_upper < values[j] <= lim.upper if side > 0 else lim.lower <= values[j] < lim.close_lower)
            ]
            if len(band) >= 2:
                flagged.update(dict.fromkeys(band, side))
    return flagged


def _shifts(values: Sequence[float], mean: float) -> dict[int, int]:
    """Every point of a run of 7 or more on one side of the mean; a point on the mean breaks it."""
    flagged: dict[int, int] = {}
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or _side(values[i], mean) != _side(values[start], mean) or _side(values[i], mean) == 0:
            if _side(values[start], mean) != 0 and i - start >= RUN:
                flagged.update(dict.fromkeys(range(start, i), _side(values[start], mean)))
            start = i
    return flagged


def _verdict(direction: int, improvement: str | None) -> Verdict:
    if improvement is None:
        return Verdict.NEUTRAL
    good = -1 if improvement == "decrease" else 1
    return Verdict.IMPROVEMENT if direction == good else Verdict.CONCERN


def xmr(
    values: Sequence[float],
    *,
    screen_outliers: bool = True,
    baseline: int | None = None,
    improvement: str | None = "decrease",
) -> Chart:
    """The chart of `values` (oldest first): mean, limits, and each point's special cause, if any, by priority.

    `baseline`: the number of leading points that fix the limits (the rules still apply to every point).
    `improvement`: "decrease" (fewer problems is better, Tally's default), "increase", or None (neutral).
    """
    if improvement not in ("decrease", "increase", None):
        raise ValueError(f"improvement is 'increase', 'decrease' or None, not {improvement!r}")
    series = [float(v) for v in values]
    base = series[:baseline] if baseline else series
    mean = _mean(base) if base else None
    lim = limits(series, baseline, screen_outliers)
    if lim is None:
        note = "Limits can't be computed: the values don't vary (the average moving range is 0), so nothing is flagged."
        return Chart(
            tuple(Point(v) for v in series), None, note if len(series) >= 2 else "Too few points for a chart.", mean
        )
    rules = (
        (Signal.OUTSIDE, _outside(series, lim)),
        (Signal.TREND, _trends(series)),
        (Signal.CLOSE, _close(series, lim)),
        (Signal.SHIFT, _shifts(series, lim.mean)),
    )
    points = []
    for i, value in enumerate(series):
        found = next(((signal, flagged[i]) for signal, flagged in rules if i in flagged), None)
        if found is None:
            points.append(Point(value))
        else:
            points.append(Point(value, found[0], _verdict(found[1], improvement)))
    note = f"Trial limits: only {len(series)} weeks so far (12 make them firm)." if lim.trial else ""
    return Chart(tuple(points), lim, note, lim.mean)


def latest(values: Sequence[float], *, screen_outliers: bool = True, improvement: str | None = "decrease") -> Point:
    """The last point of `xmr(values)`, worked out alone: a digest asks it of hundreds of series and needs only the
    week's verdict, so the rules look back from the last point instead of flagging every point."""
    if not values:
        raise ValueError("no values: a chart needs at least one point")
    if improvement not in ("decrease", "increase", None):
        raise ValueError(f"improvement is 'increase', 'decrease' or None, not {improvement!r}")
    series = [float(v) for v in values]
    lim = limits(series, None, screen_outliers)
    found = _last_signal(series, lim) if lim else None
    if found is None:
        return Point(series[-1])
    return Point(series[-1], found[0], _verdict(found[1], improvement))


def _last_signal(series: Sequence[float], lim: Limits) -> tuple[Signal, int] | None:
    """The rules of xmr for the last point only, in xmr's order of priority: (signal, direction) or None."""
    n, value = len(series), series[-1]
    if value > lim.upper or value < lim.lower:
        return Signal.OUTSIDE, 1 if value > lim.upper else -1
    for direction in (1, -1):  # the last point ends a run that rises (or falls) at every step
        steps = 0
        while steps < n - 1 and (series[n - 1 - steps] - series[n - 2 - steps]) * direction > 0:
            steps += 1
        if steps + 1 >= RUN:
            return Signal.TREND, direction
    side = _side(value, lim.mean)
    if n >= 3 and side and all(_side(v, lim.mean) == side for v in series[-3:]):  # only the last window holds it

        def close(v: float) -> bool:
            return lim.close_upper < v <= lim.upper if side > 0 else lim.lower <= v < lim.close_lower

        if close(value) and sum(close(v) for v in series[-3:]) >= 2:
            return Signal.CLOSE, side
    run = 1
    while side and run < n and _side(series[n - 1 - run], lim.mean) == side:
        run += 1
    if side and run >= RUN:
        return Signal.SHIFT, side
    return None
