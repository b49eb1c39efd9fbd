"""Fuzzing the text of every chat command (issue 11, item 3), in process: arbitrary Unicode after each command word
of the grammar goes through the real core (bot.core.Core, as `tally serve` builds it) onto real SQLite.

Every example gets a reply, never an unhandled exception (the core's apology, or an ERROR in the log); the reply
fits Slack's and Teams' limits as each adapter would render it; and an error reply leaves every table as it was.
The examples are the same on every run (derandomized); the figures are printed (pytest -s) for RELIABILITY.md.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands import Actor
from bot.replies import ReplyKind
from tests.reliability.fuzzing import ERRORS, FUZZ, TRIED, ErrorLog, hostile_text, reply_problems
from tests.reliability.in_process import DATABASE, OWNER, STAFF, Running, Snapshot, running_core, typed

# Each family: the command word, what may come before the fuzzed text, and how many examples.
FAMILIES: dict[str, tuple[str, tuple[str, ...], int]] = {
    "problem (new)": ("problem", ("",), 300),
    "problem again/show/status/merge": (
        "problem",
        ("again ", "again 1 ", "show ", "status ", "status 1 ", "merge ", "merge 2 into ", "help "),
        300,
    ),
    "problem list/top": ("problem", ("list ", "list #", "top ", "list open "), 250),
    "idea (new, for)": ("idea", ("", "for ", "anon "), 300),
    "idea vote/unvote/show/list": ("idea", ("vote ", "unvote ", "show ", "list ", "vote I1 ", "help "), 250),
    "idea evidence/insight/estimate/move/decide/merge": (
        "idea",
        (
            "evidence ",
            "evidence I1 ",
            "insight I1 ",
            "estimate I1 ",
            "estimate ",
            "move I1 ",
            "move I1 insight ",
            "decide I1 ",
            "decide I1 park ",
            "merge ",
            "merge I2 into ",
        ),
        300,
    ),  # fmt: skip
    "tally help/agenda/owners/settings/demand/roi": (
        "tally",
        (
            "",
            "help ",
            "agenda ",
            "owners ",
            "owners add ",
            "owners remove ",
            "settings ",
            "settings timezone ",
            "settings currency ",
            "settings hourly-cost ",
            "demand ",
            "demand #area ",
            "roi ",
            "roi programme-cost ",
        ),
        300,
    ),  # fmt: skip
    "tally forum/digest/export": (
        "tally",
        (
            "forum ",
            "forum new ",
            "forum new Benefits #",
            "forum benefits ",
            "forum schedule ",
            "forum meets ",
            "digest ",
            "digest week ",
            "export ",
            "export from ",
            "export csv to ",
        ),
        250,
    ),  # fmt: skip
    "whole line (Teams, console)": (
        "",
        ("", "/", "problem ", "idea ", "tally ", "again ", "help ", "list ", "/problem ", "problems "),
        300,
    ),
}


@pytest.fixture(scope="module")
def running(tmp_path_factory) -> Iterator[Running]:  # type: ignore[no-untyped-def]
    with running_core(tmp_path_factory.mktemp("fuzz")) as core:
        yield core
    total, errors = sum(TRIED.values()), sum(ERRORS.values())
    print(f"\nfuzz commands (core, {DATABASE}): {total} examples, {errors} answered with an error, 0 failures")
    for family, n in TRIED.items():
        print(f"  {family}: {n} examples, {ERRORS[family]} errors")


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_command_text_gets_a_reply_within_limits_and_an_error_stores_nothing(running, family, request):
    command, prefixes, examples = FAMILIES[family]
    snapshot = Snapshot(running.engine)
    request.addfinalizer(snapshot.close)

    @settings(FUZZ, max_examples=examples)
    @given(prefix=st.sampled_from(prefixes), text=hostile_text(), actor=st.sampled_from([OWNER, OWNER, STAFF]))
    def one(prefix: str, text: str, actor: Actor) -> None:
        before = snapshot.before()
        with ErrorLog() as logged:
            outcome = running.handle(typed(prefix + text, command, actor))
        TRIED[family] += 1
        assert outcome.replies, "no reply at all"
        assert not (crashes := logged.take()), crashes
        for reply in outcome.replies:
            assert not (problems := reply_problems(reply)), problems
        if all(r.kind is ReplyKind.ERROR for r in outcome.replies):
            ERRORS[family] += 1
            changed = snapshot.changed(before)
            assert not changed, f"an error reply, yet {changed} changed: {outcome.replies[0].text!r}"

    one()


# What the fuzz found, kept as plain examples so that a regression names itself.
FOUND = (
    ("tally", "settings timezone Europe", "isn't a timezone"),  # a folder of the tz database: IsADirectoryError
    ("tally", "settings timezone " + "a" * 300, "isn't a timezone"),  # too long for a file name: OSError
    ("tally", "owners add " + "U" * 129, "isn't someone I can find"),  # longer than the audit trail keeps
)


@pytest.mark.parametrize(("command", "line", "said"), FOUND)
def test_what_the_fuzz_found_is_answered_with_how_to_write_it(running, command, line, said, request):
    snapshot = Snapshot(running.engine)
    request.addfinalizer(snapshot.close)
    before = snapshot.before()
    with ErrorLog() as logged:
        outcome = running.handle(typed(line, command))
    assert not logged.take()
    (reply,) = outcome.replies
    assert reply.kind is ReplyKind.ERROR and said in reply.text
    assert snapshot.changed(before) == []
