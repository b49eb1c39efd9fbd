"""Fuzzing the text of every chat command (issue 11, item 3), in process: arbitrary Unicode after each command word
of the grammar goes through the real core (bot.core.Core, as `tally serve` builds it) onto real SQLite.

Every example gets a reply, never an unhandled exception (the core's apology, or an ERROR in the log); the reply
fits Slack's and Teams' limits as each adapter would render it; and an error reply leaves every table as it was.
The examples are the same on every run (derandomized); the figures are printed (pytest -s) for RELIABILITY.md.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from adapters.compose import make_core
from adapters.config import Settings
from bot import inputs
from bot.commands import Actor, WorkspaceRef
from bot.core import Core
from bot.replies import ReplyKind
from storage.model import Platform
from tests.conftest import FIXED_NOW
from tests.databases import migrated_engine
from tests.reliability.fuzzing import ERRORS, FUZZ, TRIED, ErrorLog, hostile_text, reply_problems

# SQLite in the suite; TALLY_FUZZ_DATABASE=postgres runs the same examples on PostgreSQL (about twice as long), where
# column lengths are enforced. There only added or removed rows show (SQLite's data_version shows any commit).
DATABASE = os.environ.get("TALLY_FUZZ_DATABASE", "sqlite")
WS = WorkspaceRef(Platform.SLACK, "T0FUZZ")
OWNER = Actor("U0OWNER", is_admin=True)  # an admin, so owner-only commands run past the refusal into their parsers
STAFF = Actor("U0STAFF")

# Each family: the command word, what may come before the fuzzed text, and how many examples.
FAMILIES: dict[str, tuple[str, tuple[str, ...], int]] = {
    "problem (new)": ("problem", ("",), 350),
    "problem again/show/status/merge": (
        "problem",
        ("again ", "again 1 ", "show ", "status ", "status 1 ", "merge ", "merge 2 into ", "help "),
        350,
    ),
    "problem list/top": ("problem", ("list ", "list #", "top ", "list open "), 300),
    "idea (new, for)": ("idea", ("", "for ", "anon "), 350),
    "idea vote/unvote/show/list": ("idea", ("vote ", "unvote ", "show ", "list ", "vote I1 ", "help "), 300),
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
        350,
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
        350,
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
        300,
    ),  # fmt: skip
    "whole line (Teams, console)": (
        "",
        ("", "/", "problem ", "idea ", "tally ", "again ", "help ", "list ", "/problem ", "problems "),
        350,
    ),
}
SEED = (  # so that ids the fuzz names exist: problems #1 and #2, ideas I1 and I2, an area and a forum
    ("problem", "Printer jammed in reception #front-desk x2 10m"),
    ("problem", "Parking permits portal shows a blank page 15m"),
    ("idea", "Put a second printer in reception for 1"),
    ("idea", "Fix the permits portal's session timeout for 2"),
    ("tally", "forum new Benefits #front-desk"),
)


@dataclass
class Running:
    core: Core
    engine: object
    loop: asyncio.AbstractEventLoop


@pytest.fixture(scope="module")
def running(tmp_path_factory) -> Iterator[Running]:  # type: ignore[no-untyped-def]
    with migrated_engine(DATABASE, tmp_path_factory.mktemp("fuzz")) as engine:
        core = make_core(Settings(database_url=str(engine.url)), engine, clock=lambda: FIXED_NOW)
        loop = asyncio.new_event_loop()
        try:
            for command, text in SEED:
                outcome = loop.run_until_complete(core.handle(typed(text, command, OWNER)))
                assert outcome.replies and outcome.replies[-1].kind is not ReplyKind.ERROR, (text, outcome.replies)
            yield Running(core, engine, loop)
        finally:
            loop.run_until_complete(core.background.drain())
            core.close()
            loop.close()
    total, errors = sum(TRIED.values()), sum(ERRORS.values())
    print(f"\nfuzz commands (core, {DATABASE}): {total} examples, {errors} answered with an error, 0 failures")
    for family, n in TRIED.items():
        print(f"  {family}: {n} examples, {ERRORS[family]} errors")


def typed(text: str, command: str, actor: Actor = OWNER) -> inputs.Typed:
    return inputs.Typed(WS, actor, None, text=text, command=command, conversation="C0FUZZ")


class Snapshot:
    """Whether anything was committed since `before`: SQLite's data_version, read on a connection of its own, moves
    whenever another connection commits a change. Where it moved, the rows are counted: the one thing an error may
    leave behind is the audit row of a refused owner-only action (audited by design: issue 11, item 10)."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.engine = engine
        self.watcher = engine.raw_connection()

    def version(self) -> int | None:
        """None on PostgreSQL, which has nothing like it: there the counts alone are compared."""
        if self.engine.dialect.name != "sqlite":
            return None
        cursor = self.watcher.cursor()
        try:
            return int(cursor.execute("pragma data_version").fetchone()[0])
        finally:
            cursor.close()

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            counts = {t: int(conn.execute(text(f"select count(*) from {t}")).scalar() or 0) for t in TABLES}
            counts["audit_event not refused"] = int(
                conn.execute(text("select count(*) from audit_event where action <> 'refused'")).scalar() or 0
            )
        return counts

    def before(self) -> tuple[int | None, dict[str, int]]:
        return self.version(), self.counts()

    def changed(self, before: tuple[int | None, dict[str, int]]) -> list[str]:
        """What an error reply changed, refusals' audit rows left out: the tables whose rows were added or removed,
        or 'rows changed in place' when something was committed that no count shows."""
        version, counts = before
        if version is not None and self.version() == version:
            return []
        after = self.counts()
        changed = [t for t in after if after[t] != counts[t] and t != "audit_event"]
        refused = after["audit_event"] > counts["audit_event"]
        return changed or ([] if refused or version is None else ["rows changed in place"])

    def close(self) -> None:
        self.watcher.close()


TABLES = (
    "workspace", "process_area", "problem", "occurrence", "audit_event", "workspace_owner", "forum", "idea",
    "idea_problem", "idea_vote", "idea_evidence", "idea_change", "idea_review_reminder", "demand", "delivery",
    "conversation_ref",
)  # fmt: skip


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
            outcome = running.loop.run_until_complete(running.core.handle(typed(prefix + text, command, actor)))
            running.loop.run_until_complete(running.core.background.drain())
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
        outcome = running.loop.run_until_complete(running.core.handle(typed(line, command)))
    assert not logged.take()
    (reply,) = outcome.replies
    assert reply.kind is ReplyKind.ERROR and said in reply.text
    assert snapshot.changed(before) == []
