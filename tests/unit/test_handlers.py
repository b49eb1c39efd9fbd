"""The core's behaviour through the message bus, on in-memory fakes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot import commands as c
from bot.bus import MessageBus
from bot.errors import TallyError, reply_for_error
from bot.grammar import parse_line
from bot.ids import Action, FormField, FormOption
from bot.replies import Reply, ReplyKind, Target
from storage.model import Status, WorkspaceDefaults
from tests.conftest import WORKED_EXAMPLE
from tests.unit.conftest import ADMIN, ALICE, WS
from tests.unit.fakes import FakeData, FakeUnitOfWorkFactory


def say(bus, line: str, actor: c.Actor = ALICE, delivery: str | None = None) -> Reply:
    try:
        return bus.handle(parse_line(line, WS, actor, delivery))
    except TallyError as exc:
        return reply_for_error(exc)


def field(reply: Reply, label: str) -> str:
    return next(f.value for f in reply.fields if f.label == label)


def test_worked_example_gives_8_5_hours_and_17_users(bus, data):
    reply = say(bus, "/problem " + WORKED_EXAMPLE)
    assert reply.kind is ReplyKind.CARD and reply.to is Target.CONVERSATION
    assert reply.text.startswith("#1 Users contacting us")
    assert field(reply, "Staff time this week") == "8.5 hours"
    assert field(reply, "Service users affected this week") == "17"
    assert field(reply, "Cost this week") == "£212.50"
    assert field(reply, "Process area") == "Communicating decision on application"
    assert [b.action for b in reply.buttons] == [Action.HAPPENED_AGAIN, Action.PROPOSE_FIX]
    assert len(data.problems) == 1 and len(data.occurrences) == 1
    assert data.occurrences[0].count == 17 and data.occurrences[0].effort_minutes == 30


def test_problems_are_numbered_per_workspace(bus, data):
    say(bus, "problem Printer jammed")
    say(bus, "problem Scanner offline")
    other = c.WorkspaceRef(WS.platform, "other")
    reply = bus.handle(parse_line("problem Kiosk frozen", other, ALICE))
    assert reply.text.startswith("#1 ")
    assert sorted(p.number for p in data.problems) == [1, 1, 2]


def test_again_uses_the_problems_defaults_and_accumulates(bus, data):
    say(bus, "problem Letters not received x17 30m")
    reply = say(bus, "problem again 1 x3")
    assert field(reply, "Staff time this week") == "10 hours"
    assert field(reply, "Tally") == "20 times this week · 20 times in all"
    assert reply.to is Target.PRIVATE
    reply = say(bus, "problem again #1 1h users=4")
    assert field(reply, "Staff time this week") == "11 hours"
    assert field(reply, "Service users affected this week") == "24"


def test_last_weeks_occurrences_count_in_all_but_not_this_week(bus):
    say(bus, "problem Letters not received 30m")
    reply = say(bus, "problem again 1 x4 on 2026-11-13")
    assert field(reply, "Tally") == "1 time this week · 5 times in all"


@pytest.mark.parametrize(
    "line",
    ["problem Late letter on 2026-11-22", "problem Late letter on 2026-08-22", "problem again 1 on 2027-01-01"],
)
def test_dates_in_the_future_or_over_90_days_back_store_nothing(bus, data, line):
    say(bus, "problem Something else entirely")
    before = (len(data.problems), len(data.occurrences), data.commits)
    reply = say(bus, line)
    assert reply.kind is ReplyKind.ERROR
    assert "future" in reply.text or "90 days" in reply.text
    assert (len(data.problems), len(data.occurrences), data.commits) == before


def test_90_days_back_is_allowed(bus):
    assert say(bus, "problem Late letter on 2026-08-23").kind is ReplyKind.CARD


def test_unknown_problem(bus):
    reply = say(bus, "problem again 99")
    assert reply.kind is ReplyKind.ERROR and "no problem #99" in reply.text and "/problem list" in reply.text


def test_retried_delivery_is_stored_once(bus, data):
    first = bus.run(parse_line("problem Letters not received x2", WS, ALICE, "T1"))
    again = bus.run(parse_line("problem Letters not received x2", WS, ALICE, "T1"))
    assert first.reply.problem_number == 1 and not first.redelivered
    assert again.redelivered and again.replies == ()
    assert len(data.problems) == 1 and len(data.occurrences) == 1
    say(bus, "problem again 1", delivery="T2")
    say(bus, "problem again 1", delivery="T2")
    assert sum(o.count for o in data.occurrences) == 3


def test_anonymous_report_keeps_no_trace(bus, data):
    reply = say(bus, "problem Manager shouts at staff anon +people", actor=c.Actor("whistleblower"))
    say(bus, "problem again 1 anon", actor=c.Actor("whistleblower"))
    assert "reported anonymously" in field(reply, "Details")
    assert data.problems[0].reporter_id is None
    assert all(o.reporter_id is None for o in data.occurrences)
    assert all(e.actor_id is None for e in data.audit)
    assert "whistleblower" not in repr(data.__dict__)


def test_duplicate_check_asks_then_logs_as_repeat(bus, data):
    say(bus, "problem Users complaining they have not received a decision letter #decisions")
    question = say(
        bus, "problem users complain they haven't received their decision letter #decisions x2", delivery="D2"
    )
    assert question.kind is ReplyKind.QUESTION and "#1" in question.text
    assert len(data.problems) == 1 and len(data.occurrences) == 1  # nothing stored yet
    yes = next(b for b in question.buttons if b.action is Action.SAME_AS)
    reply = bus.handle(c.PressButton(ws=WS, actor=ALICE, action=yes.action, value=yes.value))
    assert reply.problem_number == 1
    assert field(reply, "Tally").startswith("3 times this week")
    # Pressing it twice does not log twice: the question carries the original delivery id.
    bus.handle(c.PressButton(ws=WS, actor=ALICE, action=yes.action, value=yes.value))
    assert sum(o.count for o in data.occurrences) == 3


def test_duplicate_check_no_creates_a_new_problem(bus, data):
    say(bus, "problem Users complaining they have not received a decision letter")
    question = say(bus, "problem users complain they haven't received their decision letter anon")
    no = next(b for b in question.buttons if b.action is Action.NOT_SAME)
    reply = bus.handle(c.PressButton(ws=WS, actor=c.Actor("someone"), action=no.action, value=no.value))
    assert reply.text.startswith("#2 ")
    assert data.problems[1].reporter_id is None  # still anonymous, whoever pressed


def test_different_areas_are_not_duplicates(bus):
    say(bus, "problem Letters not received #post")
    assert say(bus, "problem Letters not received #email").kind is ReplyKind.CARD


def test_status_needs_reporter_or_admin(bus, data):
    say(bus, "problem Printer jammed")
    denied = say(bus, "problem status 1 fixed", actor=c.Actor("bob"))
    assert denied.kind is ReplyKind.ERROR and data.problems[0].status is Status.OPEN
    assert "Status changed from open to fixed" in say(bus, "problem status 1 fixed").footer
    assert say(bus, "problem status 1 investigating", actor=ADMIN).kind is ReplyKind.CARD
    assert data.problems[0].status is Status.INVESTIGATING


def test_merge_moves_the_tally(bus, data):
    say(bus, "problem Printer jammed x2 10m #print")
    say(bus, "problem Toner everywhere x3 10m #print")
    assert say(bus, "problem merge 2 into 1").kind is ReplyKind.ERROR  # not an admin
    reply = say(bus, "problem merge 2 into 1", actor=ADMIN)
    assert field(reply, "Tally").startswith("5 times")
    assert data.problems[1].status is Status.MERGED
    again = say(bus, "problem again 2")
    assert again.problem_number == 1 and "merged into #1" in again.footer
    assert say(bus, "problem merge 1 into 1", actor=ADMIN).kind is ReplyKind.ERROR
    assert say(bus, "problem merge 2 into 1", actor=ADMIN).kind is ReplyKind.ERROR


def test_list_and_top(bus):
    say(bus, "problem Printer jammed x2 10m #print")
    say(bus, "problem Phones down x1 2h #phones")
    top = say(bus, "problem top")
    assert top.lines[0].startswith("1. #2 Phones down")
    listed = say(bus, "problem list #print")
    assert len(listed.lines) == 1 and "Printer jammed" in listed.lines[0]
    assert "no process area" in say(bus, "problem list #nowhere").text


def test_form_submission_validates_every_field_and_stores_nothing(bus, data):
    bad = bus.handle(
        c.SubmitCaptureForm(
            ws=WS,
            actor=ALICE,
            values={FormField.ISSUE: "", FormField.OCCURRENCES: "0", FormField.EFFORT: "30h", FormField.USERS: "-1"},
        )
    )
    assert bad.kind is ReplyKind.FORM and bad.form is not None
    assert set(bad.form.errors) == {FormField.ISSUE, FormField.OCCURRENCES, FormField.EFFORT, FormField.USERS}
    assert data.problems == [] and data.occurrences == [] and data.audit == []


def test_form_submission_creates_the_worked_example(bus, data):
    reply = bus.handle(
        c.SubmitCaptureForm(
            ws=WS,
            actor=ALICE,
            values={
                FormField.ISSUE: "Users contacting us to complain that they have not received a decision letter",
                FormField.NEW_AREA: "Communicating decision on application",
                FormField.IMPACTS: ["quality", "delivery", "cost"],
                FormField.OCCURRENCES: "17",
                FormField.EFFORT: "30",
                FormField.USERS: "1",
                FormField.OPTIONS: [FormOption.FAILURE_DEMAND.value],
            },
            delivery_id="view-1",
        )
    )
    assert field(reply, "Staff time this week") == "8.5 hours"
    assert field(reply, "Service users affected this week") == "17"
    assert data.problems[0].failure_demand
    form = bus.handle(c.OpenCaptureForm(ws=WS, actor=ALICE, prefill="from a message"))
    assert form.form is not None and form.form.values[FormField.ISSUE] == "from a message"
    assert [a.label for a in form.form.areas] == ["Communicating decision on application"]


def test_home_shows_mine_and_top(bus):
    say(bus, "problem Printer jammed 10m")
    say(bus, "problem Secret thing anon", actor=ALICE)
    home = bus.handle(c.ShowHome(ws=WS, actor=ALICE))
    mine, top, ideas, waiting = home.sections
    assert len(mine.lines) == 1 and "Printer jammed" in mine.lines[0]
    assert len(top.lines) == 2


def test_unknown_errors_are_answered_politely(data, fixed_clock, caplog):
    class Broken:
        def __enter__(self):
            raise RuntimeError("database exploded")

        def __exit__(self, *exc):
            return None

    reply = MessageBus(lambda write=True: Broken(), clock=fixed_clock).handle(c.ShowHome(ws=WS, actor=ALICE))
    assert reply.kind is ReplyKind.ERROR and "nothing was stored" in reply.text
    assert "Traceback" not in reply.text and "exploded" not in reply.text
    assert "database exploded" in caplog.text


def test_damaged_button_value(bus):
    reply = bus.handle(c.PressButton(ws=WS, actor=ALICE, action=Action.SAME_AS, value="{not json"))
    assert reply.kind is ReplyKind.ERROR and "/problem" in reply.text


def test_hourly_cost_from_workspace_defaults(data, fixed_clock):
    bus = MessageBus(FakeUnitOfWorkFactory(data), WorkspaceDefaults(Decimal("40"), "EUR"), clock=fixed_clock)
    reply = say(bus, "problem Long queue x3 20m")
    assert field(reply, "Cost this week") == "€40.00"


def test_the_clock_and_the_workspace_timezone_decide_the_week(data):
    """Sunday 22 November, 20:00 UTC, is already Monday 23 November in Auckland: a new week there."""
    sunday_evening = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
    london = MessageBus(FakeUnitOfWorkFactory(data), clock=lambda: sunday_evening)
    assert field(say(london, "problem Long queue on 2026-11-22"), "Tally") == "1 time this week · 1 time in all"
    auckland = MessageBus(
        FakeUnitOfWorkFactory(FakeData()),
        WorkspaceDefaults(timezone="Pacific/Auckland"),
        clock=lambda: sunday_evening,
    )
    assert field(say(auckland, "problem Long queue on 2026-11-22"), "Tally") == "0 times this week · 1 time in all"


def test_first_installer_becomes_owner_and_can_merge(bus, data):
    say(bus, "problem Printer jammed")
    say(bus, "problem Toner everywhere")
    installer = c.Actor("installer")
    assert "first Tally owner" in bus.handle(c.ClaimFirstOwnership(ws=WS, actor=installer)).text
    assert "ready" in bus.handle(c.ClaimFirstOwnership(ws=WS, actor=c.Actor("latecomer"))).text
    assert data.owners == {1: {"installer"}}
    assert say(bus, "problem merge 2 into 1", actor=c.Actor("latecomer")).kind is ReplyKind.ERROR
    assert say(bus, "problem merge 2 into 1", actor=installer).kind is ReplyKind.CARD


def test_every_button_value_fits_the_smallest_platform_limit(bus, data):
    from bot.replies import MAX_BUTTON_VALUE

    say(bus, "problem Résumé upload fails for applicants")
    short = say(bus, "problem résumé upload fails for applicants é", delivery="D-short")
    assert short.kind is ReplyKind.QUESTION and all(len(b.value) <= MAX_BUTTON_VALUE for b in short.buttons)
    # Quotes double in JSON: this report can't ride in a button, so it's created with a pointer instead.
    long = say(bus, "problem résumé upload fails for applicants " + '"' * 950, delivery="D-long")
    assert long.kind is ReplyKind.CARD and "looks like #1" in long.footer
    assert all(len(b.value) <= MAX_BUTTON_VALUE for b in long.buttons) and len(data.problems) == 2
