"""Every form of the /problem grammar, and every bad input it must refuse with a way forward."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot import commands as c
from bot.errors import BadInput
from bot.grammar import parse_effort, parse_line, parse_problem, slugify
from bot.help import COMMANDS_HELP, PROBLEM_HELP, spell
from bot.idea_help import IDEA_HELP, TALLY_HELP
from storage.model import ImpactArea, Platform, Status
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


def test_options_at_the_end_in_any_order():
    cmd = parse('Phone line dropped calls fd ×3 users=2 anon on 2026-11-20 #"Contact centre" +people 1h30m')
    assert isinstance(cmd, c.ReportProblem)
    assert cmd.text == "Phone line dropped calls"
    assert (cmd.count, cmd.users, cmd.effort_minutes) == (3, 2, 90)
    assert cmd.failure_demand and cmd.anonymous
    assert cmd.when == c.DateSpec(iso=date(2026, 11, 20))
    assert cmd.area == "Contact centre"
    assert cmd.impacts == (ImpactArea.PEOPLE,)


def test_option_words_inside_the_text_stay_text():
    cmd = parse("Sat on hold to the DWP for 2h before giving up #benefits")
    assert isinstance(cmd, c.ReportProblem)
    assert cmd.text == "Sat on hold to the DWP for 2h before giving up"
    assert (cmd.area, cmd.effort_minutes, cmd.count) == ("Benefits", None, 1)
    cmd = parse("fd calls x2 dropped on 2026-11-20 users=3 before anon lunch +cost on yesterday")
    assert isinstance(cmd, c.ReportProblem)
    assert cmd.text == "fd calls x2 dropped on 2026-11-20 users=3 before anon lunch"
    assert (cmd.count, cmd.users, cmd.failure_demand, cmd.anonymous) == (1, None, False, False)
    assert (cmd.impacts, cmd.when) == ((ImpactArea.COST,), c.DateSpec(days_ago=1))


def test_trailing_options_are_read():
    cmd = parse("Printer jammed x3 10m")
    assert isinstance(cmd, c.ReportProblem)
    assert (cmd.text, cmd.count, cmd.effort_minutes) == ("Printer jammed", 3, 10)


def test_text_is_kept_as_typed():
    cmd = parse("Printer  jammed,\tagain   (3rd time)  x3   #it  ")
    assert isinstance(cmd, c.ReportProblem)
    assert cmd.text == "Printer  jammed,\tagain   (3rd time)"
    assert (cmd.count, cmd.area) == (3, "It")


@pytest.mark.parametrize(
    "text",
    [
        "Printer jammed on tomorrow",
        "Printer jammed on Monday x3",
        "Printer jammed on 21/11/2026",
        "Printer jammed on last Tuesday #it",
        "Form broke on the 3rd",
        "Form broke on March 3 20m",
        "Form broke x2 on Friday.",
        "again 4 on tomorrow",
        "again 4 on friday x2",
    ],
)
def test_on_with_a_date_i_cannot_read_is_an_error(text):
    with pytest.raises(BadInput) as err:
        parse(text)
    assert "on " in err.value.message
    assert "on YYYY-MM-DD" in err.value.how and "on today" in err.value.how and "on yesterday" in err.value.how


def test_date_errors_say_what_was_wrong():
    with pytest.raises(BadInput) as err:
        parse("Printer jammed on tomorrow")
    assert "'on tomorrow'" in err.value.message and "future" in err.value.message
    with pytest.raises(BadInput) as err:
        parse("Printer jammed on 21/11/2026 x2")
    assert "'on 21/11/2026' isn't a date" in err.value.message
    assert "Did you mean on 2026-11-21?" in err.value.how
    with pytest.raises(BadInput) as err:
        parse("Printer jammed on 2026-13-01")
    assert "'2026-13-01' isn't a date" in err.value.message and "YYYY-MM-DD" in err.value.how


@pytest.mark.parametrize(
    ("text", "issue"),
    [
        ("Files left on desk", "Files left on desk"),
        ("Files left on the desk #estates", "Files left on the desk"),
        ("Meeting on Monday ran over x2", "Meeting on Monday ran over"),
        ("Bullying on the night shift anon", "Bullying on the night shift"),
        ("Printer on floor 2 jammed", "Printer on floor 2 jammed"),
        ("Logged off on", "Logged off on"),
    ],
)
def test_on_before_ordinary_words_is_text(text, issue):
    cmd = parse(text)
    assert isinstance(cmd, c.ReportProblem) and cmd.text == issue and cmd.when == c.TODAY


@pytest.mark.parametrize(
    "text",
    ['Letters late #"Unclosed area', "Letters late #“Unclosed area x3", '#"Unclosed', 'list #"Front desk'],
)
def test_unclosed_area_quote_asks_to_close_it(text):
    with pytest.raises(BadInput) as err:
        parse(text)
    assert "no closing quote" in err.value.message
    assert "close the quote" in err.value.how.lower() and '#"Benefits appeals"' in err.value.how


def test_area_quotes_may_be_straight_or_curly():
    assert parse('Letters late #“Benefits appeals"').area == "Benefits appeals"  # type: ignore[union-attr]
    assert parse("Letters late #“Benefits appeals”").area == "Benefits appeals"  # type: ignore[union-attr]


def test_status_without_a_status_asks_for_one():
    with pytest.raises(BadInput) as err:
        parse("status 6")
    assert err.value.message == "Which status should #6 have?"
    assert "/problem status 6 fixed" in err.value.how and "investigating" in err.value.how


@pytest.mark.parametrize("line", ["list", "top", "top month", "again 1", "show 3", "status 4 fixed", "merge 2 into 1"])
def test_subcommand_without_problem_suggests_problem(line):
    with pytest.raises(BadInput) as err:
        parse_line(line, WS, ALICE)
    word = line.split()[0]
    assert err.value.message == f"I don't know the command '{word}'."
    assert err.value.how == f"Did you mean `/problem {line}`?"
    assert spell(f"{err.value.message} {err.value.how}", Platform.CONSOLE) == (
        f"I don't know the command '{word}'. Did you mean `problem {line}`?"
    )


@pytest.mark.parametrize("line", ["help", "?", "", "  "])
def test_help_and_empty_lines_still_show_help(line):
    assert isinstance(parse_line(line, WS, ALICE), c.ShowHelp)


def test_spell_adapts_commands_to_the_platform():
    text = "Try /problem list, `/tally help` or (/idea vote 3). See https://x/problem and /problems."
    assert spell(text, Platform.SLACK) == text
    expected = "Try problem list, `tally help` or (idea vote 3). See https://x/problem and /problems."
    assert spell(text, Platform.TEAMS) == expected
    assert spell(text, Platform.CONSOLE) == expected
    assert spell("/problem  x", Platform.CONSOLE) == "problem   x"  # columns stay aligned


def _errors_for(lines: list[str]) -> list[str]:
    texts = []
    for line in lines:
        with pytest.raises(BadInput) as err:
            parse_line(line, WS, ALICE)
        texts.append(f"{err.value.message}\n{err.value.how}")
    return texts


def test_usage_and_errors_write_commands_the_slack_way():
    texts = [
        PROBLEM_HELP,
        COMMANDS_HELP,
        *_errors_for(
            [
                "problem Letters late x0",
                "problem Letters late x2 x3",
                "problem x3",
                "problem again",
                "problem again 4 x2 because",
                "problem status 4",
                "problem merge 4 5",
                "problem list sideways",
                "tally frobnicate",
                "frobnicate",
                "show 3",
            ]
        ),
    ]
    bare = re.compile(r"(?<![/\w])(problem|tally|idea)\b(?! \.\.\.)")
    for text in texts:
        slack = spell(text, Platform.SLACK)
        assert not bare.search(slack.replace("a problem", "").replace("Which problem", "")), text
        console = spell(text, Platform.CONSOLE)
        assert "/problem" not in console and "/tally" not in console and "/idea" not in console, text
    assert spell(COMMANDS_HELP, Platform.TEAMS) == "Commands: problem …, idea … and tally help."
    ideas = [IDEA_HELP, TALLY_HELP, *_errors_for(["idea vote", "idea decide I3 approve", "tally owners promote x"])]
    for text in ideas:  # prose says 'idea' and 'problem id'; only the commands change
        assert "/idea" in spell(text, Platform.SLACK) or "/tally" in spell(text, Platform.SLACK), text
        console = spell(text, Platform.CONSOLE)
        assert not any(f"/{word}" in console for word in ("problem", "idea", "tally")), text


@pytest.mark.parametrize(
    ("raw", "minutes"),
    [("20m", 20), ("1h", 60), ("1h30m", 90), ("0.5h", 30), ("20m+10m", 30), ("45min", 45), ("24h", 1440)],
)
def test_effort_forms(raw, minutes):
    assert parse_effort(raw) == minutes


def test_on_today_or_yesterday_at_the_end_is_the_date():
    assert parse("Form broke on yesterday").when == c.DateSpec(days_ago=1)  # type: ignore[union-attr]
    cmd = parse("Form broke on today x2")
    assert isinstance(cmd, c.ReportProblem) and (cmd.text, cmd.when, cmd.count) == ("Form broke", c.TODAY, 2)


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
        ("Letters late #a 10m #b", "an area twice", "once"),
        ("Letters late on today 10m on yesterday", "the date twice", "once"),
        ("#area x3 20m +cost fd anon", "no description", "/problem"),
        ("x3", "no description", "/problem"),
        ("again", "needs a problem id", "/problem again"),
        ("again abc", "'abc' isn't a problem id", "/problem again"),
        ("again 4 x2 because", "'because'", "/problem again"),
        ("show", "needs a problem id", "/problem show"),
        ("status 4 done", "isn't a status", "fixed"),
        ("status 4 fixed now", "'fixed now' isn't a status", "fixed"),
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


def test_a_long_report_is_asked_for_a_sentence_or_two_not_the_form():
    with pytest.raises(BadInput) as err:
        parse(("Letters late. " * 430)[:5999] + "! #benefits x2")
    assert "6,000 characters" in err.value.message and "fits in 1,000" in err.value.message
    assert "sentence or two" in err.value.how and "for whom" in err.value.how
    assert "form" not in err.value.how


def test_options_do_not_count_towards_the_length():
    cmd = parse("a" * 1000 + " #benefits x2 20m")
    assert isinstance(cmd, c.ReportProblem) and len(cmd.text) == 1000


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


@pytest.mark.parametrize(
    "line", ["problem Phone line down on 0800 123 456", "problem Lift broken on 5", "problem Files left on desk"]
)
def test_on_followed_by_words_that_are_not_a_date_is_just_text(line):
    command = parse(line.removeprefix("problem "))
    assert isinstance(command, c.ReportProblem)
    assert command.text == line.removeprefix("problem ") and command.when == c.TODAY
