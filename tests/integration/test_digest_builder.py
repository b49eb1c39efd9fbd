"""The digest builder on SQLite and PostgreSQL: the seed's worked example, and totals, ranking, change, demand,
areas, ideas, fixes and signals for a fixture of several problems over 20 weeks, all worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from bot import commands as c
from bot.grammar import parse_line
from digests.builder import build_digest
from digests.weeks import IsoWeek
from storage.model import Forum, Idea, Occurrence, Platform, Problem, Stage, Status, WorkspaceDefaults
from storage.uow import SqlUnitOfWorkFactory

WS = c.WorkspaceRef(Platform.SLACK, "T0DIGEST")
LEAD = c.Actor("U0LEAD", is_admin=True)
WEEK = IsoWeek(2026, 47)  # Monday 16 to Sunday 22 November 2026; the tests' clock is Saturday 21 November


def digest_of(engine, week: IsoWeek = WEEK, slug: str | None = None):  # type: ignore[no-untyped-def]
    with SqlUnitOfWorkFactory(engine)() as uow:
        ws = uow.workspaces.find(WS.platform, WS.external_id)
        assert ws is not None
        default = uow.forums.default(ws.id)
        forum = uow.forums.get(ws.id, slug) if slug else default
        assert forum is not None
        uow.commit()
        return build_digest(uow, ws, forum, week, unassigned=forum.id == default.id)


def test_the_seed_example_comes_out_at_8_5_hours_and_17_users(bus, engine):
    line = (
        "problem Users contacting us to complain that they have not received a decision letter "
        "#communicating-decision-on-application x17 30m +quality +delivery +cost fd"
    )
    assert bus.handle(parse_line(line, WS, LEAD)).kind.value == "card"
    digest = digest_of(engine)
    top = digest.top[0]
    assert (top.number, top.count, top.staff_hours, top.users) == (1, 17, Decimal("8.5"), 17)
    assert (digest.occurrences, digest.staff_hours, digest.users) == (17, Decimal("8.5"), 17)
    assert digest.cost == Decimal("8.5") * Decimal("25")
    assert digest.failure_demand == 17 and digest.demand is None and digest.failure_demand_share is None
    assert [p.number for p in digest.new_problems] == [1]
    assert not digest.quiet


# --- 20 weeks of several problems --------------------------------------------------------------------------------

# (title, area, effort minutes, users per occurrence, failure demand, {weeks before WEEK: count})
FIXTURE = {
    "A": ("Printer jams", "front", 30, 1, False, {**{k: 2 for k in range(1, 20)}, 0: 5}),
    "B": ("Chasing letters", "post", 60, 3, True, {**{k: 1 for k in range(1, 10)}, 0: 3}),
    "C": ("Portal blank page", "front", 10, 1, False, {1: 4, 0: 10}),
    "D": ("Lost forms", "post", 20, 1, False, {1: 7}),
    "E": ("Card reader", "front", 45, 1, False, {0: 1}),
    "F": ("Wrong leaflet", "post", 15, 1, False, {0: 2}),
    "G": ("Phone drops", "front", 5, 1, True, {0: 1}),  # failure demand where no demand is recorded
    # A shift: twelve weeks about 1 or 2 a week, then 6 or 7: the digest's week is a concern.
    "H": (
        "Queue system down",
        "front",
        1,
        1,
        False,
        {**{k: 1 + k % 2 for k in range(8, 20)}, **{k: 6 + k % 2 for k in range(0, 8)}},
    ),  # noqa: E501
}


def week_day(weeks_before: int) -> date:
    return WEEK.monday - timedelta(weeks=weeks_before) + timedelta(days=2)


@pytest.fixture
def twenty_weeks(engine):  # type: ignore[no-untyped-def]
    with SqlUnitOfWorkFactory(engine)() as uow:
        ws = uow.workspaces.get_or_create(WS.platform, WS.external_id, WorkspaceDefaults(hourly_cost=Decimal("30")))
        areas = {slug: uow.areas.add(ws.id, slug.title(), slug) for slug in ("front", "post")}
        numbers = {}
        for number, (key, (title, area, effort, users, fd, weeks)) in enumerate(FIXTURE.items(), start=1):
            problem = uow.problems.add(
                Problem(
                    ws.id,
                    number,
                    title,
                    area_id=areas[area].id,
                    effort_minutes=effort,
                    users_per_occurrence=users,
                    failure_demand=fd,
                    created_at=datetime(2026, 1, 5, tzinfo=UTC),
                )
            )
            numbers[key] = number
            for before, count in weeks.items():
                uow.occurrences.add(
                    Occurrence(ws.id, problem.id, week_day(before), count, effort_minutes=effort, users_affected=users)
                )
        uow.demand.record(ws.id, areas["post"].id, WEEK.monday, 100)
        uow.forums.default(ws.id)
        uow.forums.add(Forum(ws.id, "front", "Front desk", area_ids=(areas["front"].id,)))
        uow.commit()
    return numbers


def test_totals_and_the_top_five_by_staff_hours_with_their_change(engine, twenty_weeks):
    d = digest_of(engine)
    # This week: A 5×30 + B 3×60 + C 10×10 + E 45 + F 2×15 + G 5 + H 6×1 = 516 minutes.
    assert d.occurrences == 5 + 3 + 10 + 1 + 2 + 1 + 6
    assert d.staff_hours == Decimal(516) / 60
    assert d.cost == Decimal(516) / 60 * Decimal("30")
    assert d.users == 5 + 9 + 10 + 1 + 2 + 1 + 6
    assert [p.title for p in d.top] == [
        "Chasing letters",
        "Printer jams",
        "Portal blank page",
        "Card reader",
        "Wrong leaflet",
    ]
    by_title = {p.title: p for p in d.top}
    assert by_title["Chasing letters"].staff_hours == 3 and by_title["Chasing letters"].previous_hours == 1
    assert by_title["Portal blank page"].change_hours == Decimal(100 - 40) / 60
    assert by_title["Printer jams"].change_hours == Decimal(150 - 60) / 60
    # Only 'post' recorded its demand: G's failure demand at the front desk is not set against it.
    assert d.failure_demand == 3 and d.demand == 100 and d.failure_demand_share == Decimal("0.03")
    assert d.history_weeks == 20 and not d.trial_limits


def test_a_forum_sees_only_its_areas(engine, twenty_weeks):
    d = digest_of(engine, slug="front")
    assert d.occurrences == 5 + 10 + 1 + 1 + 6  # A, C, E, G, H
    assert d.demand is None and d.failure_demand_share is None  # demand was recorded only for 'post'
    assert d.failure_demand == 1  # G, counted, with its share unknown
    assert "Chasing letters" not in {p.title for p in d.top}


def test_the_shift_is_a_concern_and_the_chart_draws_the_top_problem(engine, twenty_weeks):
    d = digest_of(engine)
    concerns = {s.subject: s for s in d.signals if s.kind == "concern"}
    assert "#8 Queue system down" in concerns, d.signals
    assert d.series is not None and d.series.title.startswith("#2 Chasing letters")
    assert d.series.weeks[-1] == "2026-W47" and len(d.series.weeks) == len(d.series.values) == 10
    assert d.series.values[-1] == 3


def test_an_earlier_week_reads_only_up_to_that_week(engine, twenty_weeks):
    d = digest_of(engine, WEEK.previous())
    assert {p.title for p in d.top} == {
        "Printer jams",
        "Chasing letters",
        "Portal blank page",
        "Lost forms",
        "Queue system down",
    }
    assert d.occurrences == 2 + 1 + 4 + 7 + 7


def test_ideas_fixes_and_a_quiet_week(engine, twenty_weeks):
    start, _ = WEEK.bounds("Europe/London")
    with SqlUnitOfWorkFactory(engine)() as uow:
        ws = uow.workspaces.find(WS.platform, WS.external_id)
        assert ws is not None
        fresh = uow.ideas.add(Idea(ws.id, 1, "Fix the printer"))
        old = uow.ideas.add(Idea(ws.id, 2, "Resend letters by email", stage=Stage.IMPROVE))
        uow.ideas.vote(ws.id, old.id, "U1")
        uow.ideas.vote(ws.id, old.id, "U2")
        uow.ideas.vote(ws.id, fresh.id, "U1")
        # Ideas are stamped when stored; the older one is dated back by hand.
        uow.session.execute(
            text("update idea set created_at = :at where id = :id"), {"at": start - timedelta(days=30), "id": old.id}
        )
        problem = uow.problems.get(ws.id, 4)
        assert problem is not None
        problem.status = Status.FIXED
        uow.problems.save(problem)
        uow.commit()
    # The save stamps the change now; the tests' database clock is real, so read the week it falls in.
    week = IsoWeek.of(datetime.now(UTC).date())
    d = digest_of(engine, week)
    assert [i.title for i in d.ideas_most_voted] == ["Resend letters by email", "Fix the printer"]
    assert [i.votes for i in d.ideas_most_voted] == [2, 1]
    assert [i.title for i in d.ideas_awaiting] == ["Resend letters by email"]
    assert [(p.number, p.title) for p in d.fixed] == [(4, "Lost forms")]
    assert d.fixed[0].count == 7  # its tally over the weeks the digest reads
    assert [i.title for i in d.ideas_new] == ["Fix the printer"]
    assert digest_of(engine, week.previous()).ideas_new == ()
    quiet = digest_of(engine, IsoWeek(2025, 40))
    assert quiet.quiet and quiet.occurrences == 0 and quiet.top == ()
