"""The /idea and /tally grammar: every form, and bad input answered with what was wrong and how to write it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot import commands as c
from bot.errors import BadInput
from bot.grammar import parse_line
from bot.idea_grammar import parse_idea, parse_tally, parse_user
from tests.unit.conftest import ALICE, WS


def idea(text: str) -> c.Command:
    return parse_idea(text, WS, ALICE, "d1")


def test_a_new_idea_with_problems_and_anon():
    cmd = idea("Email the decision letter as well as posting it for #12, 13 anon")
    assert isinstance(cmd, c.ProposeIdea) and cmd.text == "Email the decision letter as well as posting it"
    assert cmd.problems == (12, 13) and cmd.anonymous
    cmd = idea("Email the decision letter as well for #12 #13 anon")
    assert isinstance(cmd, c.ProposeIdea)
    assert cmd.text == "Email the decision letter as well" and cmd.problems == (12, 13) and cmd.anonymous


def test_for_inside_the_text_stays_text():
    cmd = idea("Ask for a second printer for the front desk")
    assert isinstance(cmd, c.ProposeIdea) and cmd.text == "Ask for a second printer for the front desk"
    assert cmd.problems == ()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("vote I3", c.VoteForIdea(ws=WS, actor=ALICE, number=3, vote=True)),
        ("unvote 3", c.VoteForIdea(ws=WS, actor=ALICE, number=3, vote=False)),
        ("show i7", c.ShowIdea(ws=WS, actor=ALICE, number=7)),
        ("list improve", c.ListIdeas(ws=WS, actor=ALICE, which="improve")),
        ("list", c.ListIdeas(ws=WS, actor=ALICE, which="open")),
        ("evidence I3 Six callers today", c.AddEvidence(ws=WS, actor=ALICE, number=3, text="Six callers today")),
        (
            "insight I3 Letters go second class",
            c.RecordRootCause(ws=WS, actor=ALICE, number=3, text="Letters go second class"),
        ),
        ("move I3 improve", c.MoveIdea(ws=WS, actor=ALICE, number=3, stage="improve")),
        ("merge I4 into I3", c.MergeIdeas(ws=WS, actor=ALICE, source=4, target=3)),
    ],
)
def test_every_subcommand(line, expected):
    assert idea(line) == expected


def test_estimate_reads_a_percentage_and_money():
    cmd = idea("estimate I3 reduction=50% cost=£2,000")
    assert cmd == c.EstimateIdea(ws=WS, actor=ALICE, number=3, reduction_pct=Decimal(50), cost=Decimal(2000))


def test_decide_needs_a_reason_and_an_experiment_may_name_its_review():
    cmd = idea("decide I3 experiment Try it for a month review=2026-12-21")
    assert isinstance(cmd, c.DecideIdea) and cmd.reason == "Try it for a month" and cmd.review is not None
    with pytest.raises(BadInput, match="needs a reason"):
        idea("decide I3 approve")


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("vote", "Which idea?"),
        ("vote Ix", "isn't an idea id"),
        ("vote I3 I4", "didn't understand"),
        ("list someday", "didn't understand"),
        ("evidence I3", "needs some words"),
        ("estimate I3", "needs a reduction, a cost or both"),
        ("estimate I3 reduction=150%", "isn't between 0% and 100%"),
        ("estimate I3 cost=lots", "isn't a number"),
        ("estimate I3 cost=-5", "isn't one I can keep"),
        ("move I3 somewhere", "isn't a stage"),
        ("move I3", "Which stage?"),
        ("decide I3 maybe because", "isn't a decision"),
        ("merge I3 I4", "isn't quite right"),
        ("for #12", "no words left"),
        ("x" * 1001, "fits in 1,000"),
        ("Fix it for #abc", "isn't a list of problem ids"),
    ],
)
def test_bad_input_says_what_was_wrong_and_how_to_write_it(line, says):
    with pytest.raises(BadInput) as caught:
        idea(line)
    assert says in caught.value.message
    assert "/idea" in caught.value.how or "/idea" in caught.value.message or "/tally" in caught.value.how


def test_idea_alone_is_its_help_and_a_line_can_start_with_idea():
    assert idea("") == c.ShowHelp(ws=WS, actor=ALICE, topic="idea")
    assert isinstance(parse_line("idea vote I3", WS, ALICE), c.VoteForIdea)


def test_tally_agenda_and_owners():
    assert parse_tally("agenda", WS, ALICE) == c.ShowAgenda(ws=WS, actor=ALICE)
    assert parse_tally("owners", WS, ALICE) == c.ManageOwners(ws=WS, actor=ALICE, change="list")
    assert parse_tally("owners add <@U0BOB|bob>", WS, ALICE) == c.ManageOwners(
        ws=WS, actor=ALICE, change="add", user_id="U0BOB"
    )
    assert parse_tally("owners remove U0BOB", WS, ALICE).user_id == "U0BOB"  # type: ignore[attr-defined]
    with pytest.raises(BadInput, match="isn't how owners change"):
        parse_tally("owners promote U0BOB", WS, ALICE)


def test_a_user_is_a_slack_mention_or_an_id():
    assert parse_user("<@U0BOB|bob>") == "U0BOB" and parse_user("<@W123>") == "W123" and parse_user("@U0BOB") == "U0BOB"
    with pytest.raises(BadInput):
        parse_user("<#C1|general>")
