"""The digest's chart as a PNG: the weekly XmR chart beside the top problems by staff hours.

Drawn with matplotlib's object API on its own Figure and Agg canvas (no pyplot and its global state), so
charts may be drawn on several threads at once. Colours follow NHS England's 'Making Data Count': orange for
a concern, blue for an improvement, grey for common cause; purple for a signal that is neither. The PNG is
mapped onto a fixed palette of those colours and their tints on white: a quarter of the size, the colours exact.
"""

from __future__ import annotations

import io
import math
from decimal import Decimal

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from digests.model import Digest, Series
from digests.phrases import cut, number

CONCERN = "#ED8B00"
IMPROVEMENT = "#41B6E6"
NEUTRAL = "#5F3DC4"
COMMON = "#768692"
INK = "#231F20"  # text, the mean
LINE = "#425563"  # the values' line, the limits
BAR = "#005EB8"
POINT_COLOURS = {"concern": CONCERN, "improvement": IMPROVEMENT, "neutral": NEUTRAL}

SIZE = (8, 4)  # inches: 800 × 400 pixels at 100 dpi
DPIS = (100, 85, 70)  # tried in turn until the PNG is under MAX_BYTES
MAX_BYTES = 60_000
WEEK_LABELS = 7  # at most this many weeks labelled on the x axis
BAR_LABEL = 30  # characters of a problem's "#n title"
BARS = 8  # problems drawn at most (the digest's top is 5)


TINTS = 8  # shades of each colour towards white, for anti-aliased edges


def _palette() -> Image.Image:
    """White, and each of the chart's colours with TINTS steps towards white."""
    colours = [(255, 255, 255)]
    for code in (INK, LINE, COMMON, CONCERN, IMPROVEMENT, NEUTRAL, BAR):
        rgb = [int(code[i : i + 2], 16) for i in (1, 3, 5)]
        colours += [tuple(round(c + (255 - c) * k / TINTS) for c in rgb) for k in range(TINTS)]
    image = Image.new("P", (1, 1))
    image.putpalette([v for colour in colours for v in colour])
    return image


def drawable(text: str) -> str:
    """Without emoji and other symbols past the Basic Multilingual Plane, which the chart's font lacks."""
    return "".join(ch for ch in text if ord(ch) < 0x10000 and ch != "\ufe0f")


def _week_labels(weeks: tuple[str, ...]) -> tuple[list[int], list[str]]:
    """At most WEEK_LABELS ticks, the digest's week (the last) always among them; the year where it changes."""
    step = max(1, math.ceil(len(weeks) / WEEK_LABELS))
    ticks = list(range(len(weeks) - 1, -1, -step))[::-1]
    labels, year = [], None
    for i in ticks:
        y, _, w = weeks[i].partition("-")
        labels.append(f"{w}\n{y}" if y != year else w)
        year = y
    return ticks, labels


def _xmr(ax: Axes, series: Series) -> None:
    chart = series.chart
    values = list(series.values)
    x = list(range(len(values)))
    ax.plot(x, values, color=LINE, linewidth=1.3, zorder=2)
    kinds = [p.kind.value if p.kind is not None else "" for p in chart.points]
    kinds += [""] * (len(values) - len(kinds))
    colours = [POINT_COLOURS.get(k, COMMON) for k in kinds[: len(values)]]
    ax.scatter(x, values, c=colours, s=28, zorder=3, edgecolors="white", linewidths=0.6)
    handles = [Line2D([], [], color=INK, linewidth=1.2, label="mean")]
    if chart.mean is not None:
        ax.axhline(chart.mean, color=INK, linewidth=1.2, zorder=1)
    top = max(values, default=0)
    lim = chart.limits
    if lim is not None:
        for level in (lim.upper, max(lim.lower, 0.0)):
            ax.axhline(level, color=LINE, linewidth=1, linestyle=(0, (4, 3)), zorder=1)
        top = max(top, lim.upper)
        handles.append(Line2D([], [], color=LINE, linewidth=1, linestyle=(0, (4, 3)), label="limits"))
    for kind, colour in (("concern", CONCERN), ("improvement", IMPROVEMENT), ("neutral", NEUTRAL)):
        if kind in kinds:
            label = "worth a look" if kind == "neutral" else kind
            handles.append(Line2D([], [], color=colour, marker="o", linestyle="", markersize=5, label=label))
    handles.append(Line2D([], [], color=COMMON, marker="o", linestyle="", markersize=5, label="common cause"))
    ax.set_ylim(0, max(top, 1) * 1.3)  # headroom for the legend
    ax.set_xlim(-0.5, len(values) - 0.5)
    ticks, labels = _week_labels(series.weeks[: len(values)])
    ax.set_xticks(ticks, labels, fontsize=7, color=INK)
    ax.tick_params(axis="y", labelsize=7, colors=INK)
    ax.legend(handles=handles, loc="upper left", fontsize=6.5, ncol=3, frameon=False, handlelength=1.6)
    if lim is None:
        subtitle = "Weekly counts; no limits: the counts barely vary"
    else:
        subtitle = "Weekly counts, mean and process limits" + ("; trial limits" if lim.trial else "")
    ax.set_title(cut(drawable(series.title), 44), loc="left", fontsize=9.5, fontweight="bold", color=INK, pad=16)
    ax.text(0, 1.015, subtitle, transform=ax.transAxes, fontsize=7.5, color=LINE, va="bottom")


def _hours(hours: Decimal) -> str:
    """'8.5 h', '4.25 h'; from a thousand, whole hours with separators: '123,457 h'."""
    return f"{number(hours)} h" if hours < 1000 else f"{hours:,.0f} h"


def _top(ax: Axes, d: Digest) -> None:
    lines = list(d.top[:BARS])
    hours = [float(p.staff_hours) for p in lines]
    y = list(range(len(lines)))
    ax.barh(y, hours, color=BAR, height=0.6)
    ax.set_yticks(y, [cut(drawable(f"#{p.number} {p.title}"), BAR_LABEL) for p in lines], fontsize=7, color=INK)
    ax.invert_yaxis()  # the most hours on top
    widest = max(hours, default=0) or 1
    ax.set_xlim(0, widest * 1.3)
    for i, p in enumerate(lines):
        ax.text(float(p.staff_hours) + widest * 0.02, i, _hours(p.staff_hours), va="center", fontsize=7, color=INK)
    ax.set_xticks([])  # each bar is labelled with its hours
    ax.spines["bottom"].set_visible(False)
    ax.set_title("Top problems by staff hours", loc="left", fontsize=9.5, fontweight="bold", color=INK, pad=16)


def _render(d: Digest, dpi: int) -> bytes:
    fig = Figure(figsize=SIZE, dpi=dpi, layout="constrained", facecolor="white")
    canvas = FigureCanvasAgg(fig)
    panels = [
        p for p in ("series", "top") if (p == "series" and d.series and d.series.values) or (p == "top" and d.top)
    ]
    axes = fig.subplots(1, len(panels), width_ratios=[3, 2] if len(panels) == 2 else None, squeeze=False)[0]
    for ax, panel in zip(axes, panels, strict=True):
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.spines["left"].set_color(COMMON)
        ax.spines["bottom"].set_color(COMMON)
        if panel == "series":
            _xmr(ax, d.series)  # type: ignore[arg-type]
        else:
            _top(ax, d)
    fig.suptitle(
        cut(drawable(f"{d.forum_name or d.forum_slug} — {d.week}"), 70), fontsize=11, fontweight="bold", color=INK
    )
    canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB")
    out = io.BytesIO()
    image.quantize(palette=_palette(), dither=Image.Dither.NONE).save(out, format="PNG", optimize=True)
    return out.getvalue()


def digest_chart(d: Digest) -> bytes | None:
    """The week's chart as PNG bytes under MAX_BYTES, or None when there is nothing to draw."""
    if not ((d.series is not None and d.series.values) or d.top):
        return None
    for dpi in DPIS:
        png = _render(d, dpi)
        if len(png) < MAX_BYTES:
            return png
    return png
