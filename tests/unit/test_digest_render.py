"""The digest's renderings: plain text, Block Kit and an Adaptive Card, each from a Digest alone and within limits."""

from __future__ import annotations

import ast
import dataclasses
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from digests.blocks import digest_blocks, digest_fallback_text
from digests.card import TEAMS_MESSAGE_LIMIT, digest_card
from digests.model import Digest, IdeaLine, ProblemLine, Series, SignalLine
from digests.spc import xmr
from digests.text import digest_text
from tests.limits import card_violations, message_violations

ROOT = Path(__file__).resolve().parents[2]
SHIFTED = [4, 5, 3, 6, 4, 5, 4, 3, 5, 4, 6, 5, 9, 10, 8, 11, 9, 12, 10, 11]  # up in the last 8 weeks


def series(values: list[float], title: str = "All areas", baseline: int | None = 12) -> Series:
    """Weekly counts ending in the digest's week, 2026-W47."""
    ago = [len(values) - 1 - i for i in range(len(values))]
    weeks = tuple(f"{2026 - (k + 5) // 52}-W{(46 - k) % 52 + 1:02d}" for k in ago)
    return Series(title, weeks, tuple(float(v) for v in values), xmr(values, baseline=baseline))


def busy(**changes: Any) -> Digest:
    """A busy week: five top problems, signals, ideas at every step, one fixed."""
    d = Digest(
        workspace="T1",
        forum_slug="benefits",
        forum_name="Benefits forum",
        week="2026-W47",
        starts=date(2026, 11, 16),
        ends=date(2026, 11, 22),
        occurrences=29,
        staff_hours=Decimal("22.75"),
        cost=Decimal("682.50"),
        users=35,
        failure_demand=10,
        demand=40,
        top=(
            ProblemLine(12, "Letters not received", "Benefits", 9, Decimal("8.5"), 17, Decimal("255"), Decimal("6")),
            ProblemLine(14, "Portal timeouts", "Digital", 7, Decimal("6"), 5, Decimal("180"), Decimal("7")),
            ProblemLine(
                3, "Wrong address on file", "Benefits", 5, Decimal("4.25"), 5, Decimal("127.5"), Decimal("4.25")
            ),
            ProblemLine(20, "Phone queue drops", "Contact centre", 6, Decimal("3"), 6, Decimal("90")),
            ProblemLine(8, "Duplicate claims", "", 2, Decimal("1"), 2, Decimal("30"), Decimal("0.5")),
        ),
        new_problems=(ProblemLine(20, "Phone queue drops", "Contact centre", 6, Decimal("3"), 6, Decimal("90")),),
        signals=(
            SignalLine("#12 Letters not received", "run", "concern", "7 in a row on one side of the mean", 9),
            SignalLine("Benefits (area)", "outside", "improvement", "outside the process limits", 1),
            SignalLine("Digital (area)", "trend", "neutral", "7 rising or falling in a row", 4),
        ),
        series=series(SHIFTED),
        history_weeks=20,
        ideas_new=(IdeaLine(5, "Text reminders before letters go out"),),
        ideas_most_voted=(IdeaLine(2, "Single address service", "improve", 7),),
        ideas_awaiting=(IdeaLine(2, "Single address service", "improve", 7),),
        ideas_decided=(
            IdeaLine(
                1, "Retry uploads automatically", "improve", 4, "approve", "Cheap to try; IT ships it next sprint"
            ),
            IdeaLine(4, "Hire more staff", "improve", 2, "reject", "No budget this year"),
        ),
        fixed=(ProblemLine(7, "Printer jams at reception", "Front desk", 1, Decimal("0.5"), 0, Decimal("15")),),
        notes=("Demand for Digital wasn't recorded in W46.",),
    )
    return dataclasses.replace(d, **changes)


def quiet(**changes: Any) -> Digest:
    return Digest("T1", "benefits", "Benefits forum", "2026-W47", date(2026, 11, 16), date(2026, 11, 22), **changes)


HOSTILE_TITLE = ("<!channel> & *bold* <@U123> 🚨 " * 10)[:200]
HOSTILE_REASON = ("Because <!here> & <https://x.example|click> *now* 😀 " * 100)[:4000]


def hostile() -> Digest:
    """Every list 40 long, titles of 200 characters and reasons of 4,000 full of markup and emoji."""
    problems = tuple(
        ProblemLine(n, HOSTILE_TITLE, HOSTILE_TITLE, 10**6, Decimal("123456.75"), 10**6, Decimal("98765432.10"))
        for n in range(1, 41)
    )
    ideas = tuple(IdeaLine(n, HOSTILE_TITLE, HOSTILE_TITLE, 999, "reject", HOSTILE_REASON) for n in range(1, 41))
    signals = tuple(SignalLine(HOSTILE_TITLE, "outside", "concern", HOSTILE_TITLE, 10**6) for _ in range(40))
    return busy(
        forum_name=HOSTILE_TITLE * 2,
        top=problems,
        new_problems=problems,
        signals=signals,
        ideas_new=ideas,
        ideas_most_voted=ideas,
        ideas_awaiting=ideas,
        ideas_decided=ideas,
        fixed=problems,
        notes=tuple(HOSTILE_REASON for _ in range(40)),
        series=series([float(i % 7 + (i > 80) * 9) for i in range(104)], HOSTILE_TITLE),
        history_weeks=104,
    )


def texts(node: Any) -> list[str]:
    """Every string value in a JSON tree."""
    if isinstance(node, dict):
        return [t for v in node.values() for t in texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in texts(v)]
    return [node] if isinstance(node, str) else []


def mrkdwn_texts(node: Any) -> list[str]:
    """The text of every mrkdwn object (plain_text shows markup as it is: it can't ping)."""
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "mrkdwn" else []
        return own + [t for v in node.values() for t in mrkdwn_texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in mrkdwn_texts(v)]
    return []


def without_image(card: dict[str, Any]) -> dict[str, Any]:
    """Teams doesn't count Base64 images in a message's size; tests/limits.py does, so it sees the card without."""
    return {
        **card,
        "body": [{**b, "url": "https://example.com/c.png"} if b["type"] == "Image" else b for b in card["body"]],
    }


def card_problems(card: dict[str, Any]) -> list[str]:
    """Schema and version problems of the whole card, and size problems of its text."""
    schema = [p for p in card_violations(card) if "bytes as UTF-16" not in p]
    return schema + card_violations(without_image(card))


def chart_png() -> bytes:
    from digests.chart import digest_chart

    png = digest_chart(busy())
    assert png is not None
    return png


# --- plain text --------------------------------------------------------------------------------
def test_the_text_carries_a_problem_lines_figures():
    d = busy()
    text = digest_text(d)
    line = next(row for row in text.splitlines() if "#12 Letters not received" in row)
    assert "8.5 hours" in line and "17 users" in line and "9 occurrences" in line and "£255.00" in line
    assert "29 occurrences" in text and "22.75 hours" in text and "£682.50" in text and "35 service users" in text
    other = digest_text(busy(top=(dataclasses.replace(d.top[0], staff_hours=Decimal("3.25"), users=4),)))
    assert "3.25 hours" in other and "4 users" in other and "8.5 hours" not in other


@pytest.mark.parametrize(
    ("failure", "demand", "expected"),
    [(10, 40, "25% (10 of 40)"), (1, 3, "33% (1 of 3)"), (5, None, "unknown (no demand recorded)"), (5, 0, "unknown")],
)
def test_failure_demand_reads_as_a_share_or_unknown(failure, demand, expected):
    text = digest_text(busy(failure_demand=failure, demand=demand))
    line = next(row for row in text.splitlines() if row.startswith("Failure demand"))
    assert expected in line
    assert ("%" in line) is (demand not in (None, 0))


def test_the_change_on_last_week_in_hours():
    lines = {
        row.split(" ", 2)[1]: row
        for row in digest_text(busy()).splitlines()
        if row[:2] in ("1.", "2.", "3.", "4.", "5.")
    }
    assert lines["#12"].endswith("▲ 2.5 h on last week")
    assert lines["#14"].endswith("▼ 1 h on last week")
    assert lines["#3"].endswith("no change on last week")
    assert lines["#20"].endswith("new this week")
    assert lines["#8"].endswith("▲ 0.5 h on last week")


def test_signals_in_words_and_trial_limits_noted_only_under_12_weeks():
    text = digest_text(busy(history_weeks=8))
    assert "(concern, 9 this week)" in text and "(improvement, 1 this week)" in text and "(worth a look, 4" in text
    assert "trial limits" in text.lower()
    assert "trial limits" not in digest_text(busy(history_weeks=20)).lower()
    without_signals = digest_text(busy(history_weeks=8, signals=()))
    assert "Signals" not in without_signals and "trial limits" in without_signals.lower()  # said in the notes


def test_ideas_sections_and_you_said_we_did():
    text = digest_text(busy())
    for heading in ("New ideas", "Most voted ideas", "Awaiting the forum's decision", "Decided this week"):
        assert heading in text
    assert "I1 Retry uploads automatically: approved — Cheap to try; IT ships it next sprint" in text
    assert "I4 Hire more staff: not taken forward — No budget this year" in text
    assert "I2 Single address service: 7 votes" in text
    assert "You said, we did\n- #7 Printer jams at reception (Front desk): fixed" in text
    assert "Demand for Digital wasn't recorded in W46." in text


def test_empty_sections_are_left_out():
    text = digest_text(busy(ideas_new=(), ideas_decided=(), fixed=(), notes=(), signals=()))
    assert "New ideas" not in text and "Decided this week" not in text and "You said" not in text
    assert "Signals" not in text and "Notes" not in text
    assert "Most voted ideas" in text and "Top problems" in text


def test_a_quiet_week_says_so_in_a_line_or_two():
    d = quiet(history_weeks=20)
    assert d.quiet
    text = digest_text(d)
    assert 1 <= len(text.splitlines()) <= 3
    assert "nothing new this week" in text.lower() and "Benefits forum" in text and "2026-W47" in text
    signalled = digest_text(quiet(signals=busy().signals))
    assert len(signalled.splitlines()) <= 3 and "#12 Letters not received" in signalled
    assert len(digest_text(busy()).splitlines()) > 10


def test_long_lists_are_counted_not_dropped_silently():
    text = digest_text(hostile())
    assert "…and 30 more" in text
    assert max(len(line) for line in text.splitlines()) <= 600


# --- Block Kit ---------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [busy, quiet, hostile, lambda: quiet(signals=hostile().signals)])
def test_block_kit_fits_every_slack_limit(make):
    d = make()
    message = {"text": digest_fallback_text(d), "blocks": digest_blocks(d)}
    assert message_violations(message) == []


def test_block_kit_escapes_markup_and_never_references_images():
    d = hostile()
    blocks = digest_blocks(d)
    strings = mrkdwn_texts(blocks) + [digest_fallback_text(d)]
    assert len(strings) > 10
    assert not any("<!channel>" in s or "<@U123>" in s or "<!here>" in s for s in strings)
    assert any("&lt;!channel&gt; &amp; *bold*" in s for s in strings)
    assert not any(b["type"] in ("image", "file", "video") for b in blocks)
    assert "image_url" not in json.dumps(blocks) and "slack_file" not in json.dumps(blocks)
    assert any("…and" in s and "more" in s for s in texts(blocks))


def test_block_kit_holds_the_totals_and_parts():
    d = busy()
    blocks = digest_blocks(d)
    assert blocks[0]["type"] == "header" and "Benefits forum" in blocks[0]["text"]["text"]
    fields = next(b["fields"] for b in blocks if "fields" in b)
    assert {"type": "mrkdwn", "text": "*Failure demand*\n25% (10 of 40)"} in fields
    assert {"type": "mrkdwn", "text": "*Staff time*\n22.75 hours"} in fields
    top = next(b for b in blocks if b.get("block_id") == "digest_top")["text"]["text"]
    assert "#12 Letters not received (Benefits): 8.5 hours" in top and "17 users" in top
    assert blocks[-1]["type"] == "context" and "W46" in blocks[-1]["elements"][0]["text"]


def test_a_quiet_week_in_block_kit_is_short():
    blocks = digest_blocks(quiet())
    assert len(blocks) <= 3
    assert "Nothing new this week" in json.dumps(blocks, ensure_ascii=False)
    assert len(digest_blocks(busy())) > 6


# --- Adaptive Card -----------------------------------------------------------------------------
def test_the_card_validates_and_carries_the_chart_under_80_kb():
    png = chart_png()
    card = digest_card(busy(), png)
    assert card_problems(card) == []
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5" and card["$schema"]
    assert len(json.dumps(card).encode("utf-8")) < TEAMS_MESSAGE_LIMIT == 80_000
    (image,) = [b for b in card["body"] if b["type"] == "Image"]
    assert image["url"].startswith("data:image/png;base64,") and len(image["url"]) > len(png)
    assert "Weekly counts of All areas" in image["altText"] and "concern" in image["altText"]
    facts = next(b["facts"] for b in card["body"] if b["type"] == "FactSet")
    assert {"title": "Failure demand", "value": "25% (10 of 40)"} in facts
    assert "▲" in json.dumps(card, ensure_ascii=False) and "Cheap to try" in json.dumps(card)


def test_a_hostile_card_still_validates_and_fits_with_a_real_chart():
    d = hostile()
    from digests.chart import digest_chart

    png = digest_chart(d)
    assert png is not None
    card = digest_card(d, png)
    assert card_problems(card) == []
    assert len(json.dumps(card).encode("utf-8")) < TEAMS_MESSAGE_LIMIT
    assert any(b["type"] == "Image" for b in card["body"])  # the text was cut rather than the chart
    assert any("…and" in s and "more" in s for s in texts(card))


def test_a_chart_too_big_to_carry_is_left_out():
    big = chart_png() + bytes(range(256)) * 240  # ~60 KB more: its Base64 alone passes 80 KB
    for d in (busy(), hostile()):
        card = digest_card(d, big)
        assert card_problems(card) == []
        assert len(json.dumps(card).encode("utf-8")) < TEAMS_MESSAGE_LIMIT
        assert not any(b["type"] == "Image" for b in card["body"])
        assert any(b["type"] == "FactSet" for b in card["body"])


def test_a_quiet_card_is_short_and_without_a_chart():
    card = digest_card(quiet())
    assert card_problems(card) == []
    assert len(card["body"]) <= 4 and "Nothing new this week" in json.dumps(card)
    assert len(digest_card(busy())["body"]) > 8


# --- layout ------------------------------------------------------------------------------------
def test_digests_import_nothing_from_adapters_or_platform_sdks():
    banned = {"adapters", "slack_bolt", "slack_sdk", "botbuilder", "botframework", "aiohttp", "matplotlib.pyplot"}
    for path in (ROOT / "digests").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in banned and name not in banned, (path.name, name)
