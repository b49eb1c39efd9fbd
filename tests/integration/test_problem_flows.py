"""Problem flows through the real message bus on SQLite and PostgreSQL: merge chains, showing and changing a
merged problem, and the top problems of the month and quarter.

The clock is fixed at Saturday 21 November 2026 (tests/conftest.py): this week began on Monday 16 November,
this month on 1 November and this quarter on 1 October.
"""

from __future__ import annotations

from sqlalchemy import text

from bot import commands as c
from bot.grammar import parse_line
from bot.replies import Reply, ReplyKind
from storage.model import Platform

WS = c.WorkspaceRef(Platform.SLACK, "T0FLOWS")
ADMIN = c.Actor("U0LEAD", is_admin=True)
STAFF = c.Actor("U0STAFF")


def run(bus, line: str, actor: c.Actor = ADMIN) -> Reply:  # type: ignore[no-untyped-def]
    """One line as a person types it, through the grammar and the bus."""
    return bus.handle(parse_line(line, WS, actor))


def everything(reply: Reply) -> str:
    return "\n".join([reply.text, reply.footer, *reply.lines, *(f"{f.label}: {f.value}" for f in reply.fields)])


def scalar(engine, sql: str) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)


def tally_of(engine, number: int) -> int:  # type: ignore[no-untyped-def]
    return scalar(
        engine,
        "select coalesce(sum(o.count), 0) from occurrence o join problem p on p.id = o.problem_id "
        f"where p.number = {number}",
    )


def three_problems(bus) -> None:  # type: ignore[no-untyped-def]
    for line in (
        "problem Printer jammed in reception x2 10m",
        "problem Card reader at the library desk refuses cards x3 5m",
        "problem Parking permits portal shows a blank page 15m",
    ):
        assert run(bus, line).kind is ReplyKind.CARD, line


# --- merge chains ------------------------------------------------------------------------------------------------


def test_a_repeat_of_a_problem_merged_twice_counts_on_the_last_one(bus, engine):
    three_problems(bus)
    assert "Merged #3 into #2" in run(bus, "problem merge 3 into 2").footer
    assert "Merged #2 into #1" in run(bus, "problem merge 2 into 1").footer
    assert (tally_of(engine, 1), tally_of(engine, 2), tally_of(engine, 3)) == (6, 0, 0)

    card = run(bus, "problem again 3 x4")
    assert card.kind is ReplyKind.CARD and card.problem_number == 1
    assert "#3 was merged into #1" in card.footer
    assert (tally_of(engine, 1), tally_of(engine, 2), tally_of(engine, 3)) == (10, 0, 0)


def test_showing_a_problem_merged_through_a_chain_names_where_it_counts(bus):
    three_problems(bus)
    run(bus, "problem merge 3 into 2")
    run(bus, "problem merge 2 into 1")
    shown = run(bus, "problem show 3", STAFF)
    assert shown.problem_number == 3
    assert "merged" in everything(shown).lower()
    assert "Merged into #1" in shown.footer
    assert shown.buttons == ()  # a merged problem's card offers no 'Happened again' of its own


def test_a_merged_problem_cannot_be_merged_again_or_be_merged_into(bus, engine):
    three_problems(bus)
    run(bus, "problem merge 3 into 2")
    for line in ("problem merge 3 into 1", "problem merge 1 into 3"):
        reply = run(bus, line)
        assert reply.kind is ReplyKind.ERROR and "#3 has already been merged" in reply.text, line
    assert scalar(engine, "select count(*) from problem where status = 'merged'") == 1
    assert tally_of(engine, 1) == 2


# --- changing a merged problem -------------------------------------------------------------------------------------


def test_changing_the_status_of_a_merged_problem_is_refused_and_changes_nothing(bus, engine):
    three_problems(bus)
    run(bus, "problem merge 2 into 1")
    reply = run(bus, "problem status 2 fixed")
    assert reply.kind is ReplyKind.ERROR and "#2 was merged" in reply.text
    assert scalar(engine, "select count(*) from problem where number = 2 and status = 'merged'") == 1
    assert scalar(engine, "select count(*) from problem where status = 'fixed'") == 0
    assert scalar(engine, "select count(*) from audit_event where action = 'problem.status'") == 0


def test_changing_the_status_of_a_merged_problem_says_which_problem_to_change(bus):
    three_problems(bus)
    run(bus, "problem merge 3 into 2")
    run(bus, "problem merge 2 into 1")
    for number in (2, 3):
        reply = run(bus, f"problem status {number} fixed")
        assert reply.kind is ReplyKind.ERROR
        assert "#1" in reply.text, reply.text


# --- top month and quarter -------------------------------------------------------------------------------------


def dated_problems(bus) -> None:  # type: ignore[no-untyped-def]
    for line in (
        "problem Letters lost between offices 30m on 2026-11-10",  # last week, this month
        "problem Phones down in the contact centre 10m",  # today: this week
        "problem Scanner rejects passports 20m on 2026-10-15",  # last month, this quarter
        "problem Car park barrier stuck 1h on 2026-09-20",  # last quarter
    ):
        assert run(bus, line, STAFF).kind is ReplyKind.CARD, line


def numbers(reply: Reply) -> list[str]:
    return [line.split(". ", 1)[1].split(" ", 1)[0] for line in reply.lines]


def test_top_week_month_and_quarter_count_only_their_own_period(bus):
    dated_problems(bus)
    assert numbers(run(bus, "problem top week", STAFF)) == ["#2"]
    month = run(bus, "problem top month", STAFF)
    assert month.text == "Top problems this month, by staff time:"
    assert numbers(month) == ["#1", "#2"]  # 30 minutes before 10
    assert numbers(run(bus, "problem top quarter", STAFF)) == ["#1", "#3", "#2"]


def test_top_counts_only_the_periods_occurrences_of_a_problem(bus):
    run(bus, "problem Letters lost between offices x2 30m on 2026-11-10", STAFF)
    run(bus, "problem again 1 x3 on 2026-11-17", STAFF)
    (week,) = run(bus, "problem top week", STAFF).lines
    (month,) = run(bus, "problem top month", STAFF).lines
    assert week.startswith("1. #1 Letters lost between offices — 3 times, 1.5 hours")
    assert month.startswith("1. #1 Letters lost between offices — 5 times, 2.5 hours")


def test_top_of_an_empty_period_says_so(bus):
    run(bus, "problem Car park barrier stuck 1h on 2026-09-20", STAFF)
    for period in ("week", "month", "quarter"):
        reply = run(bus, f"problem top {period}", STAFF)
        assert reply.text == f"Nothing has been logged this {period} yet." and reply.lines == (), period
