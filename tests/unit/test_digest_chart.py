"""The digest's chart: a real, small, readable PNG in Making Data Count's colours, or None with nothing to draw."""

from __future__ import annotations

import dataclasses
import io
from concurrent.futures import ThreadPoolExecutor

from PIL import Image

from digests.chart import CONCERN, IMPROVEMENT, MAX_BYTES, digest_chart
from digests.model import SignalLine
from tests.unit.test_digest_render import SHIFTED, busy, hostile, quiet, series


def rgb(code: str) -> tuple[int, int, int]:
    return tuple(int(code[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def opened(png: bytes | None) -> Image.Image:
    assert png is not None
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image


def colours(image: Image.Image) -> set[tuple[int, int, int]]:
    return {c for _, c in image.convert("RGB").getcolors(1 << 20)}


def test_a_busy_week_draws_a_png_of_about_800_by_400_under_60_kb():
    png = digest_chart(busy())
    image = opened(png)
    width, height = image.size
    assert 700 <= width <= 800 and 350 <= height <= 400
    assert png is not None and len(png) < MAX_BYTES == 60_000


def test_the_chart_is_not_blank_and_shows_a_concern_in_orange():
    found = colours(opened(digest_chart(busy())))
    assert len(found) >= 5
    assert rgb(CONCERN) in found


def test_no_orange_without_a_concern_and_blue_for_an_improvement():
    steady = series([4, 5, 3, 6, 4, 5, 4, 3, 5, 4, 6, 5])
    assert not any(p.kind for p in steady.chart.points)
    found = colours(opened(digest_chart(busy(series=steady))))
    assert rgb(CONCERN) not in found
    falling = series([12, 11, 13, 12, 11, 12, 13, 11, 12, 12, 11, 13, 6, 5, 4, 6, 5, 4, 5], "Falling")
    assert any(p.kind and p.kind.value == "improvement" for p in falling.chart.points)
    assert rgb(IMPROVEMENT) in colours(opened(digest_chart(busy(series=falling))))


def test_nothing_to_draw_gives_none():
    assert digest_chart(quiet()) is None
    assert digest_chart(busy(series=None, top=())) is None
    assert digest_chart(busy(series=series([]), top=())) is None


def test_one_panel_when_only_one_thing_is_there():
    for d in (busy(series=None), busy(top=())):
        image = opened(digest_chart(d))
        assert image.size[0] >= 700 and len(colours(image)) >= 4


def test_constant_counts_and_trial_limits_still_draw():
    flat = series([3] * 8, baseline=None)
    assert flat.chart.limits is None
    assert opened(digest_chart(busy(series=flat, history_weeks=8)))
    short = series(SHIFTED[:9], baseline=None)
    assert short.chart.limits is not None and short.chart.limits.trial
    assert opened(digest_chart(busy(series=short, history_weeks=9)))


def test_hostile_texts_and_two_years_of_weeks_stay_small():
    png = digest_chart(hostile())
    image = opened(png)
    assert png is not None and len(png) < MAX_BYTES and image.size[0] >= 700


def test_the_same_digest_draws_the_same_bytes_on_any_thread():
    d = busy(signals=(*busy().signals, SignalLine("x", "run", "neutral", "y")))
    first = digest_chart(d)
    with ThreadPoolExecutor(max_workers=3) as pool:
        drawn = list(pool.map(digest_chart, [d, d, busy(series=dataclasses.replace(d.series, title="Other"))]))
    assert drawn[0] == first and drawn[1] == first
    assert drawn[2] != first
