"""The core's one way in, on in-memory fakes: parsing, retries, where replies go, events after commit."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from bot import commands as c
from bot import inputs
from bot.bus import MessageBus
from bot.core import Core
from bot.ids import Action, FormField, FormOption
from bot.notify import Dispatcher
from bot.replies import Reply, ReplyKind, Target
from storage.model import Platform
from storage.ports import Busy, NotQuick
from storage.secrets import delivery_hasher
from tests.conftest import WORKED_EXAMPLE
from tests.unit.conftest import ADMIN, ALICE, WS
from tests.unit.fakes import FakeUnitOfWorkFactory

SLACK = c.WorkspaceRef(Platform.SLACK, "T0COUNCIL")
TEAMS = c.WorkspaceRef(Platform.TEAMS, "tenant")


class Recorder:
    """A notifier that keeps what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[c.WorkspaceRef, Reply]] = []

    async def send(self, workspace: c.WorkspaceRef, reply: Reply) -> None:
        self.sent.append((workspace, reply))


class Asks:
    """A platform that answers the core's questions as the test says, and counts them."""

    def __init__(self, admin: bool = False, can_post: bool = True) -> None:
        self.admin, self.can_post = admin, can_post
        self.asked: list[str] = []

    async def is_admin(self) -> bool:
        self.asked.append("is_admin")
        return self.admin

    async def can_post_here(self) -> bool:
        self.asked.append("can_post_here")
        return self.can_post


def typed(text: str, ws: c.WorkspaceRef = WS, actor: c.Actor = ALICE, delivery: str | None = None, command: str = ""):
    return inputs.Typed(ws, actor, delivery, text=text, command=command)


async def test_a_typed_line_becomes_a_card_for_the_conversation(core, data):
    outcome = await core.handle(typed("problem " + WORKED_EXAMPLE))
    (card,) = outcome.replies
    assert card.to is Target.CONVERSATION and card.kind is ReplyKind.CARD
    assert len(data.problems) == 1


async def test_a_slash_command_is_parsed_without_its_command_word(core, data):
    (card,) = (await core.handle(typed("Printer jammed x2", ws=SLACK, command="problem"))).replies
    assert card.text == "#1 Printer jammed" and data.occurrences[0].count == 2


async def test_a_retry_of_anything_is_answered_once(core, data):
    first = await core.handle(typed("problem Printer jammed", delivery="trigger-1"))
    retry = await core.handle(typed("problem Printer jammed", delivery="trigger-1"))
    assert first.replies and not first.redelivered
    assert retry.redelivered and retry.replies == ()
    assert len(data.occurrences) == 1
    # A read is answered once too, and a bad line: a platform's retry never gets a second answer.
    for line in ("problem list", "problem x0 nonsense on tomorrow"):
        assert (await core.handle(typed(line, delivery=f"d-{line}"))).replies
        assert (await core.handle(typed(line, delivery=f"d-{line}"))).redelivered


async def test_a_retry_after_another_replica_stored_it_is_not_answered(bus, data):
    """Two processes: the second has never seen the delivery id, but the database has."""
    one, two = Core(bus, delivery_hasher("k")), Core(bus, delivery_hasher("k"))
    await one.handle(typed("problem Printer jammed", delivery="trigger-1"))
    assert (await two.handle(typed("problem Printer jammed", delivery="trigger-1"))).redelivered
    assert len(data.occurrences) == 1


async def test_delivery_ids_are_stored_keyed_never_as_the_platform_sent_them(core, data):
    await core.handle(typed("problem Printer jammed anon", delivery="13345224609.738474920.8088930838d8"))
    stored = data.occurrences[0].delivery_id
    assert stored and "13345224609" not in stored and "8088930838d8" not in repr(data.__dict__)


async def test_a_failure_on_our_side_lets_the_platforms_retry_try_again(core, data):
    data.fail_commits = True
    failed = await core.handle(typed("problem Printer jammed", delivery="trigger-9"))
    assert "something went wrong on our side" in failed.replies[0].text
    data.fail_commits = False
    again = await core.handle(typed("problem Printer jammed", delivery="trigger-9"))
    assert again.replies[0].kind is ReplyKind.CARD and len(data.problems) == 1


@pytest.mark.parametrize(
    ("ws", "expected", "unexpected"),
    [(SLACK, "/problem again", None), (TEAMS, "problem again", "/problem"), (WS, "problem again", "/problem")],
)
async def test_help_and_errors_spell_commands_as_the_platform_does(core, ws, expected, unexpected):
    for line in ("problem help", "problem again"):
        (reply,) = (await core.handle(typed(line, ws=ws))).replies
        assert expected in reply.text
        if unexpected:
            assert unexpected not in reply.text + reply.footer + " ".join(reply.lines)


async def test_help_errors_and_lists_are_private(core):
    await core.handle(typed("problem Printer jammed"))
    for line in ("problem help", "problem nonsense x0", "problem list", "problem top month", "problem again 1"):
        (reply,) = (await core.handle(typed(line))).replies
        assert reply.to is Target.PRIVATE, line


async def test_the_platform_is_asked_about_admins_only_when_a_command_needs_it(core, data):
    await core.handle(typed("problem Printer jammed"))
    await core.handle(typed("problem Toner spilled everywhere"))
    asks = Asks(admin=True)
    await core.handle(typed("problem list", actor=c.Actor("lead")), asks)
    assert asks.asked == []
    (merged,) = (await core.handle(typed("problem merge 2 into 1", actor=c.Actor("lead")), asks)).replies
    assert asks.asked == ["is_admin"] and "Merged #2 into #1" in merged.footer


async def test_a_platform_that_cannot_answer_means_no(core, data):
    class Broken:
        async def is_admin(self) -> bool:
            raise ConnectionError("Slack is down")

        async def can_post_here(self) -> bool:
            raise ConnectionError("Slack is down")

    await core.handle(typed("problem Printer jammed"))
    await core.handle(typed("problem Toner spilled everywhere"))
    (denied,) = (await core.handle(typed("problem merge 2 into 1", actor=c.Actor("lead")), Broken())).replies
    assert denied.kind is ReplyKind.ERROR and "Only a workspace admin" in denied.text


async def test_an_anonymous_report_where_tally_cannot_post_is_not_stored(core, data):
    asks = Asks(can_post=False)
    (reply,) = (await core.handle(typed("problem Bullying on the night shift anon"), asks)).replies
    assert reply.to is Target.PRIVATE and "not stored" in reply.text and "/invite" in reply.text
    assert data.problems == [] and data.occurrences == []
    # Named reports still go ahead (their card can fall back to the platform's own answer).
    assert (await core.handle(typed("problem Printer jammed"), asks)).replies[0].kind is ReplyKind.CARD
    # The form's anonymous option is an anonymous report too.
    form = inputs.Submitted(WS, ALICE, values={FormField.ISSUE: "Rota", FormField.OPTIONS: [FormOption.ANONYMOUS]})
    assert "not stored" in (await core.handle(form, asks)).replies[0].text
    assert len(data.problems) == 1


async def test_no_its_new_replaces_the_question_and_posts_the_card(core, data):
    await core.handle(typed("problem Users complaining they have not received a decision letter"))
    line = "problem users complain they haven't received their decision letter"
    (question,) = (await core.handle(typed(line, delivery="trigger-q"))).replies
    assert question.kind is ReplyKind.QUESTION and question.to is Target.PRIVATE
    no = next(b for b in question.buttons if b.action is Action.NOT_SAME)
    notice, card = (await core.handle(inputs.Pressed(WS, ALICE, "click-1", action=no.action, value=no.value))).replies
    assert notice.to is Target.REPLACE and "#2" in notice.text
    assert card.to is Target.CONVERSATION and card.text.startswith("#2 ")
    yes = next(b for b in question.buttons if b.action is Action.SAME_AS)
    # The held-back report carries its own delivery id: 'Yes' after 'No' can't log it twice.
    assert (await core.handle(inputs.Pressed(WS, ALICE, "click-2", action=yes.action, value=yes.value))).redelivered


@pytest.mark.parametrize(
    "value",
    [
        "{not json",
        json.dumps({"match": 1, "report": {"text": "x", "count": "many"}}),
        json.dumps({"match": 1, "report": {"text": "x", "count": 10**9}}),
        json.dumps({"match": 1, "report": {"text": "", "count": 1}}),
        json.dumps({"match": 1, "report": {"text": "x", "surprise": True}}),
        json.dumps({"match": 1, "report": ["x"]}),
    ],
)
async def test_a_tampered_button_is_told_so_and_stores_nothing(core, data, value, caplog):
    await core.handle(typed("problem Printer jammed"))
    (reply,) = (await core.handle(inputs.Pressed(WS, ALICE, action=Action.NOT_SAME, value=value))).replies
    assert reply.kind is ReplyKind.ERROR and "damaged" in reply.text
    assert len(data.problems) == 1 and "Traceback" not in caplog.text


async def test_happened_again_with_a_tampered_number_is_bad_input_not_a_crash(core, caplog):
    (reply,) = (await core.handle(inputs.Pressed(WS, ALICE, action=Action.HAPPENED_AGAIN, value="1; drop"))).replies
    assert reply.kind is ReplyKind.ERROR and "something went wrong" not in reply.text
    assert "unhandled error" not in caplog.text


async def test_happened_again_replaces_the_card_it_was_pressed_on(core):
    await core.handle(typed("problem Printer jammed 10m"))
    (card,) = (await core.handle(inputs.Pressed(WS, ALICE, action=Action.HAPPENED_AGAIN, value="1"))).replies
    assert card.to is Target.REPLACE and card.text == "#1 Printer jammed"


async def test_the_reporter_hears_when_their_problem_is_fixed(bus, data):
    recorder = Recorder()
    core = Core(bus, delivery_hasher("k"), Dispatcher({Platform.CONSOLE: recorder}))
    await core.handle(typed("problem Printer jammed"))
    await core.handle(typed("problem status 1 investigating", actor=ADMIN))
    await core.handle(typed("problem status 1 fixed", actor=ADMIN))
    await core.background.drain()
    ((ws, note),) = recorder.sent
    assert ws == WS and note.to is Target.DIRECT and note.recipient == ALICE.user_id
    assert "#1 Printer jammed" in note.text and "fixed" in note.text


async def test_nobody_is_told_about_an_anonymous_problem_or_their_own_change(bus, data):
    recorder = Recorder()
    core = Core(bus, delivery_hasher("k"), Dispatcher({Platform.CONSOLE: recorder}))
    await core.handle(typed("problem Bullying anon"))
    await core.handle(typed("problem Printer jammed"))
    await core.handle(typed("problem status 1 wontfix", actor=ADMIN))
    await core.handle(typed("problem status 2 fixed"))  # Alice closes her own
    await core.background.drain()
    assert recorder.sent == []


async def test_a_commit_that_fails_sends_nothing(bus, data):
    recorder = Recorder()
    core = Core(bus, delivery_hasher("k"), Dispatcher({Platform.CONSOLE: recorder}))
    await core.handle(typed("problem Printer jammed"))
    data.fail_commits = True
    (reply,) = (await core.handle(typed("problem status 1 fixed", actor=ADMIN))).replies
    await core.background.drain()
    assert reply.kind is ReplyKind.ERROR and recorder.sent == []
    assert data.problems[0].status.value == "open"


async def test_reads_run_in_read_only_units_of_work(core, bus):
    await core.handle(typed("problem Printer jammed"))
    bus.uow_factory.writes.clear()
    for line in ("problem list", "problem show 1", "problem top", "problem help", "problem"):
        await core.handle(typed(line))
    await core.handle(inputs.OpenedHome(WS, ALICE))
    assert bus.uow_factory.writes == [False] * 6
    await core.handle(typed("problem again 1"))
    assert bus.uow_factory.writes[-1] is True


async def test_a_read_in_a_new_workspace_creates_nothing(core, data):
    (reply,) = (await core.handle(typed("problem list", ws=c.WorkspaceRef(Platform.SLACK, "TNEW")))).replies
    assert "none" in reply.text and data.workspaces == []


def test_a_refused_input_stays_claimed_only_for_a_platforms_retry_window():
    from bot.core import RETRY_WINDOW, RecentDeliveries

    now = [1000.0]
    recent = RecentDeliveries(clock=lambda: now[0])
    assert recent.claim("stored") and recent.claim("refused")
    recent.shorten("refused", RETRY_WINDOW)
    now[0] += RETRY_WINDOW - 1
    assert not recent.claim("refused") and not recent.claim("stored")  # a retry, seconds later
    now[0] += 2
    assert recent.claim("refused")  # the same form sent again once the person has put things right
    assert not recent.claim("stored")


async def test_an_anonymous_form_refused_then_sent_again_after_inviting_tally_is_stored(core, data):
    form = inputs.Submitted(
        WS, ALICE, "view-1", values={FormField.ISSUE: "Rota changed", FormField.OPTIONS: [FormOption.ANONYMOUS]}
    )
    assert "not stored" in (await core.handle(form, Asks(can_post=False))).replies[0].text
    core.recent.shorten(core._key(form) or "", 0)  # as if the person took a minute to invite Tally
    (card,) = (await core.handle(form, Asks(can_post=True))).replies
    assert card.kind is ReplyKind.CARD and len(data.problems) == 1


async def test_a_platform_too_slow_to_answer_is_taken_as_no_within_slacks_deadline(core, data, monkeypatch):
    import asyncio
    import time as clock

    import bot.core

    monkeypatch.setattr(bot.core, "ASK_TIMEOUT", 0.2)

    class Slow:
        async def is_admin(self) -> bool:
            await asyncio.sleep(30)
            return True

        async def can_post_here(self) -> bool:
            await asyncio.sleep(30)
            return True

    started = clock.perf_counter()
    (reply,) = (await core.handle(typed("problem Bullying anon"), Slow())).replies
    assert clock.perf_counter() - started < 2 and "not stored" in reply.text and data.problems == []


class OnTheLoop(FakeUnitOfWorkFactory):
    """A factory like SQLite's: quick commands may be tried on the event loop; `busy` makes those give up."""

    runs_on_loop = True

    def __init__(self, data) -> None:
        super().__init__(data)
        self.busy = False
        self.threads: list[tuple[bool, str]] = []  # (waits, the thread it ran on)

        self.held_here = 0  # times a quick command finds this process's other writer mid-write
        self.long_lists = False  # a read on the loop finds more work than the loop should carry
        self.waits = 0

    def __call__(self, write: bool = True, wait: bool = True):
        self.threads.append((wait, threading.current_thread().name))
        if self.held_here and not wait:
            self.held_here -= 1
            raise Busy("held here", until_free=self._until_free)
        if self.busy and not wait:
            raise Busy("held")
        if self.long_lists and not (write or wait):
            raise NotQuick("long")
        return super().__call__(write)

    async def _until_free(self) -> None:
        self.waits += 1


async def test_quick_commands_run_on_the_loop_when_the_database_is_free(data, fixed_clock):
    units = OnTheLoop(data)
    core = Core(MessageBus(units, clock=fixed_clock), delivery_hasher("k"))
    loop_thread = threading.current_thread().name
    await core.handle(typed("problem Printer jammed"))
    await core.handle(typed("problem list"))  # quick too, while it finds its problems among the newest
    assert units.threads == [(False, loop_thread)] * 2
    units.long_lists = True
    (listed,) = (await core.handle(typed("problem list"))).replies  # storage says its walk is too long for here
    assert "Printer jammed" in "\n".join(listed.lines)
    assert units.threads[2] == (False, loop_thread) and units.threads[3][1].startswith("tally-read")

    units.busy, units.threads = True, []
    (card,) = (await core.handle(typed("problem again 1"))).replies
    assert card.kind is ReplyKind.CARD and data.occurrences[-1].problem_id == data.problems[0].id
    assert units.threads[0] == (False, loop_thread)  # tried here, gave up at once,
    assert units.threads[1][0] is True and units.threads[1][1].startswith("tally-write")  # and waited on a thread
    assert len(data.occurrences) == 2
    core.close()


async def test_a_quick_command_waits_on_the_loop_for_this_process_s_other_writer(data, fixed_clock):
    """Not on a thread: under load that fed itself, each thread holding the database while it waited for the
    interpreter, so the next captures followed it onto threads."""
    units = OnTheLoop(data)
    core = Core(MessageBus(units, clock=fixed_clock), delivery_hasher("k"))
    loop_thread = threading.current_thread().name
    units.held_here = 2
    (card,) = (await core.handle(typed("problem Printer jammed"))).replies
    assert card.kind is ReplyKind.CARD and len(data.problems) == 1
    assert units.waits == 2 and units.threads == [(False, loop_thread)] * 3

    units.held_here, units.threads = 10, []  # it keeps losing the database: a thread waits for it instead
    (card,) = (await core.handle(typed("problem again 1"))).replies
    assert card.kind is ReplyKind.CARD and len(data.occurrences) == 2
    assert [t[0] for t in units.threads] == [False, False, False, True]
    assert units.threads[-1][1].startswith("tally-write")
    core.close()


async def test_a_command_cut_off_while_it_waits_on_the_loop_lets_its_retry_through(data, fixed_clock):
    """Shutdown can cancel a request waiting for this process's other writer: nothing ran, so the platform's retry
    must be run, not dropped as already answered."""
    units = OnTheLoop(data)
    core = Core(MessageBus(units, clock=fixed_clock), delivery_hasher("k"))
    waiting = asyncio.Event()

    async def never_free() -> None:
        waiting.set()
        await asyncio.Event().wait()

    units._until_free = never_free  # type: ignore[method-assign]
    units.held_here = 1
    cut_off = asyncio.create_task(core.handle(typed("problem Printer jammed", delivery="d1")))
    await asyncio.wait_for(waiting.wait(), 1)
    cut_off.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cut_off
    assert data.problems == []
    (card,) = (await core.handle(typed("problem Printer jammed", delivery="d1"))).replies  # the retry
    assert card.kind is ReplyKind.CARD and len(data.problems) == 1
    core.close()
