"""The digest as an Adaptive Card 1.5 for Teams, with the chart inline, always small enough to be delivered.

Teams asks for bot messages within 80 KB. Lists are capped and texts cut, tighter at each attempt, until the
card's JSON fits TEAMS_MESSAGE_LIMIT with the chart; if it can't, the chart is left out (the text matters more).
Without the chart's Base64 data the card also fits CARD_TEXT_BYTES counted as UTF-16, as tests/limits.py counts.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from digests.model import Digest, ProblemLine
from digests.phrases import (
    QUIET,
    Part,
    change,
    chart_description,
    cut,
    new_numbers,
    number,
    parts,
    period,
    problem_figures,
    problem_name,
    signal_words,
    totals,
)

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
TEAMS_MESSAGE_LIMIT = 80_000  # bytes of the card's JSON, the chart's Base64 included
CARD_TEXT_BYTES = 70_000  # the card as UTF-16 without the chart's data, leaving room for the activity
TITLE_TEXT = 150
FACT_VALUE = 300
NOTE_TEXT = 600
ALT_TEXT = 400
# (lines per list, characters per line), tried in turn until the card fits
LEVELS = ((10, 400), (6, 200), (3, 120), (1, 80))
IMAGE_LEVELS = 3  # the chart is kept only while lists keep at least 3 lines: past that the text matters more


def card_bytes(card: dict[str, Any]) -> int:
    """The card's size as json.dumps writes it (ASCII-escaped: never less than its UTF-8)."""
    return len(json.dumps(card).encode("utf-8"))


def _without_image(card: dict[str, Any]) -> dict[str, Any]:
    body = [{**b, "url": "data:,"} if b.get("type") == "Image" else b for b in card["body"]]
    return {**card, "body": body}


def _utf16(card: dict[str, Any]) -> int:
    return len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode("utf-16-le"))


def fits(card: dict[str, Any]) -> bool:
    """Under Teams' 80 KB with the chart, and under CARD_TEXT_BYTES as UTF-16 without its data."""
    return card_bytes(card) <= TEAMS_MESSAGE_LIMIT and _utf16(_without_image(card)) <= CARD_TEXT_BYTES


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text or "…", "wrap": True, **style}


def _heading(text: str) -> dict[str, Any]:
    return _text(text, weight="Bolder", separator=True, spacing="Medium")


def _more(left_out: int) -> list[dict[str, Any]]:
    return [_text(f"…and {left_out:,} more", isSubtle=True, size="Small", spacing="None")] if left_out > 0 else []


def _problem_row(line: ProblemLine, d: Digest, line_text: int) -> dict[str, Any]:
    """'#12 Title (area)' over its figures, then its hours and the change on last week."""
    moved = change(line, line.number in new_numbers(d))
    colour = {"▲": "Attention", "▼": "Good"}.get(moved[:1], "Default")
    return {
        "type": "ColumnSet",
        "columns": [
            {
                "type": "Column",
                "width": "stretch",
                "items": [
                    _text(problem_name(line, line_text)),
                    _text(
                        cut(problem_figures(line, d.currency), line_text), isSubtle=True, size="Small", spacing="None"
                    ),
                ],
            },
            {"type": "Column", "width": "auto", "items": [_text(f"{number(line.staff_hours)} h", weight="Bolder")]},
            {"type": "Column", "width": "auto", "items": [_text(moved, color=colour)]},
        ],
    }


def _part(part: Part, d: Digest, items: int, line_text: int) -> list[dict[str, Any]]:
    body = [_heading(part.heading)]
    if part.key == "top":
        body += [_problem_row(p, d, line_text) for p in d.top[:items]]
    elif part.key == "notes":
        body.append(_text("\n\n".join(cut(n, line_text) for n in part.lines[:items]), isSubtle=True, size="Small"))
    else:
        body.append(_text("\n\n".join("• " + cut(line, line_text) for line in part.lines[:items])))
    body += _more(len(part.lines) - items)
    if part.footnote:
        body.append(_text(cut(part.footnote, NOTE_TEXT), isSubtle=True, size="Small"))
    return body


def _image(d: Digest, chart_png: bytes) -> dict[str, Any]:
    return {
        "type": "Image",
        "url": "data:image/png;base64," + base64.b64encode(chart_png).decode("ascii"),
        "altText": chart_description(d, ALT_TEXT),
        "size": "Stretch",
    }


def _card(d: Digest, items: int, line_text: int, image: dict[str, Any] | None) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        _text(
            cut(f"Tally digest: {cut(d.forum_name, TITLE_TEXT) or d.forum_slug}", TITLE_TEXT),
            weight="Bolder",
            size="Medium",
        ),
        _text(period(d), isSubtle=True, spacing="None"),
    ]
    if d.quiet:
        body.append(_text(QUIET))
        signals = [signal_words(s, line_text) for s in d.signals[:items]]
        if signals:
            body.append(_text("\n\n".join("• " + s for s in signals), isSubtle=True))
            body += _more(len(d.signals) - items)
    else:
        body.append({"type": "FactSet", "facts": [{"title": k, "value": cut(v, FACT_VALUE)} for k, v in totals(d)]})
    if image is not None:
        body.append(image)
    if not d.quiet:
        for part in parts(d, limit=line_text, reason_limit=line_text):
            body += _part(part, d, items, line_text)
    return {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body}


def digest_card(d: Digest, chart_png: bytes | None = None) -> dict[str, Any]:
    """The card: totals as a FactSet, lists as text and columns, the chart inline when it fits."""
    image = _image(d, chart_png) if chart_png else None
    attempts = [(level, image) for level in LEVELS[:IMAGE_LEVELS]] if image else []
    attempts += [(level, None) for level in LEVELS]
    for (items, line_text), shown in attempts:
        card = _card(d, items, line_text, shown)
        if fits(card):
            return card
    return card  # the last attempt: one line per list of 80 characters, no chart, far inside the limits
