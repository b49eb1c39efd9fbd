"""Every form of the /problem grammar, and every bad input it must refuse with a way forward."""

from __future__ import annotations

from datetime import date

import pytest

from bot import commands as c
from bot.errors import BadInput
from bot.grammar import parse_effort, parse_line, parse_problem, slugify
from storage.model import ImpactArea, Status
from tests.conftest import WORKED_EXAMPLE
from tests.unit.conftest import ALICE, WS


def parse(text: str) -> c.Command:
    return parse_problem(text, WS, ALICE, delivery_id="d1")


def test_worked_example_parses_every_keyword():
    cmd = parse(WORKED_EXAMPLE)
    assert isinstance(cmd, c.ReportProblem)
    assert cmd.text == "Users contacting us to complain that they have not received a decision letter"
    assert cmd.area == "Communicating decision on application"
    assert cmd.count == 17
    assert cmd.effort_minutes == 30
    assert cmd.impacts == (ImpactArea.QUALITY, ImpactArea.DELIVERY, ImpactArea.COST)
    assert cmd.delivery_id == "d1"


def test_keywords_anywhere_and_flags():
    cmd = parse('fd Phone line dropped calls ×3 users=2 anon on 2026-11-20 #"Contact centre" +people 1h30m')
    assert isinstance(cmd, c.ReportProblem)
    assert cmd.text == "Phone line dropped calls"
    assert (cmd.count, cmd.users, cmd.effort_minutes) == (3, 2, 90)
    assert cmd.failure_demand and cmd.anonymous
    assert cmd.when == c.DateSpec(iso=date(2026, 11, 20))
    assert cmd.area == "Contact centre"
    assert cmd.impacts == (ImpactArea.PEOPLE,)


@pytest.mark.parametrize(
    ("raw", "minutes"),
    [("20m", 20), ("1h", 60), ("1h30m", 90), ("0.5h", 30), ("20m+10m", 30), ("45min", 45), ("24h", 1440)],
)
def test_effort_forms(raw, minutes):
    assert parse_effort(raw) == minutes


def test_on_without_a_date_is_just_a_word():
    cmd = parse("Printer on floor 2 jammed")
    assert isinstance(cmd, c.ReportProblem) and cmd.text == "Printer on floor 2 jammed"
    assert parse("Form broke on yesterday").when == c.DateSpec(days_ago=1)  # type: ignore[union-attr]


def test_empty_opens_the_form():
    assert isinstance(parse(""), c.OpenCaptureForm)


def test_subcommands():
    assert parse("again #42 x3 on yesterday anon") == c.LogOccurrence(
        ws=WS, actor=ALICE, number=42, count=3, when=c.DateSpec(days_ago=1), anonymous=True, delivery_id="d1"
    )
    assert parse("show 7") == c.ShowProblem(ws=WS, actor=ALICE, number=7)
    listed = parse('list #"Front desk" fixed')
    assert isinstance(listed, c.ListProblems) and listed.area == "Front desk" and listed.statuses == (Status.FIXED,)
    assert parse("list").statuses == (Status.OPEN, Status.INVESTIGATING)  # type: ignore[union-attr]
    assert parse("top quarter") == c.TopProblems(ws=WS, actor=ALICE, period="quarter")
    assert parse("top") == c.TopProblems(ws=WS, actor=ALICE, period="week")
    assert parse("status 4 wontfix") == c.SetStatus(ws=WS, actor=ALICE, number=4, status=Status.WONT_FIX)
    assert parse("merge #5 into 3") == c.MergeProblems(ws=WS, actor=ALICE, source=5, target=3)
    assert isinstance(parse("help"), c.ShowHelp)


def test_parse_line_accepts_slash_and_plain_words():
    assert isinstance(parse_line("/problem show 1", WS, ALICE), c.ShowProblem)
    assert isinstance(parse_line("problem show 1", WS, ALICE), c.ShowProblem)
    assert isinstance(parse_line("tally help", WS, ALICE), c.ShowHelp)


@pytest.mark.parametrize(
    ("text", "says", "how"),
    [
        ("Letters late x0", "x0", "x17"),
        ("Letters late x-1", "x-1", "x17"),
        ("Letters late x1000001", "x1000001", "1,000,000"),
        ("Letters late 25h", "more than 24 hours", "20m"),
        ("Letters late 24h1m", "more than 24 hours", "20m"),
        ("Letters late 0m", "less than a minute", "20m"),
        ("Letters late on 2026-13-45", "isn't a date", "YYYY-MM-DD"),
        ("Letters late users=-2", "users=-2", "users=3"),
        ("Letters late users=lots", "users=lots", "users=3"),
        ("Letters late +money", "+money", "+cost"),
        ("Letters late x2 x3", "twice", "once"),
        ("#area x3 20m +cost fd anon", "no description left", "/problem"),
        ("x3", "no description left", "/problem"),
        ("again", "needs a problem id", "/problem again"),
        ("again abc", "'abc' isn't a problem id", "/problem again"),
        ("again 4 x2 because", "'because'", "/problem again"),
        ("show", "needs a problem id", "/problem show"),
        ("status 4 done", "isn't a status", "fixed"),
        ("merge 4 5", "merge isn't quite right", "into"),
        ("top year", "'year'", "week|month|quarter"),
        ("list sideways", "'sideways'", "open|"),
        ("Letters late #" + "a" * 101, "101 characters", "under 100"),
        ('Letters late #""', "no name", "#area-name"),
    ],
)
def test_bad_input_says_what_and_how(text, says, how):
    with pytest.raises(BadInput) as err:
        parse(text)
    assert says in err.value.message
    assert how in err.value.how


def test_four_thousand_characters_is_refused():
    with pytest.raises(BadInput) as err:
        parse("wordy" * 800)
    assert "4,000 characters" in err.value.message and "1,000" in err.value.message


def test_unknown_commands_and_subcommands():
    with pytest.raises(BadInput) as err:
        parse_line("/frobnicate now", WS, ALICE)
    assert "frobnicate" in err.value.message and "/problem" in err.value.how
    with pytest.raises(BadInput) as err:
        parse_line("/tally frobnicate", WS, ALICE)
    assert "frobnicate" in err.value.message and "/tally help" in err.value.how


def test_slugify():
    assert slugify("Communicating decision on application") == "communicating-decision-on-application"
    assert slugify("  Front-desk & phones ") == "front-desk-phones"
