"""spc.latest, the digest's shortcut, gives the last point of spc.xmr on every kind of series."""

from __future__ import annotations

import random

import pytest

from digests.spc import Signal, latest, xmr


def _series(rng: random.Random) -> list[float]:
    """Noise, steps, ramps and flat stretches, short and long: every rule gets its chance at the last point."""
    n = rng.randint(1, 40)
    kind = rng.randrange(5)
    if kind == 0:
        return [float(rng.randint(0, 12)) for _ in range(n)]
    if kind == 1:  # a shift part way through
        cut = rng.randint(0, n)
        return [float(rng.randint(0, 3) + (6 if i >= cut else 0)) for i in range(n)]
    if kind == 2:  # a gentle ramp at the end, up or down, inside limits that wide noise set
        step, ramp = rng.choice((1, -1)), rng.randint(5, 9)
        return [float(rng.randint(0, 20)) for _ in range(n)] + [10.0 + step * i for i in range(ramp)]
    if kind == 3:  # mostly constant, with the odd change
        return [float(5 + (rng.random() < 0.2) * rng.randint(-3, 3)) for _ in range(n)]
    return [round(rng.gauss(10, 3), 1) for _ in range(n)]


@pytest.mark.parametrize("improvement", ["decrease", "increase", None])
def test_latest_is_the_last_point_of_the_chart(improvement):
    rng = random.Random(26)
    flagged = set()
    for _ in range(4000):
        values = _series(rng)
        expected = xmr(values, improvement=improvement).points[-1]
        assert latest(values, improvement=improvement) == expected, values
        flagged.add(expected.signal)
    assert flagged == {None, *Signal}  # every rule was exercised


def test_screening_is_passed_on():
    values = [1.0, 2.0, 1.0, 30.0, 1.0, 2.0, 1.0, 2.0, 9.0]
    for screen in (True, False):
        assert latest(values, screen_outliers=screen) == xmr(values, screen_outliers=screen).points[-1]


def test_no_values_is_an_error():
    with pytest.raises(ValueError):
        latest([])
