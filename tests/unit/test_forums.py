"""The forums' settings in chat, on in-memory fakes: shown to anyone, added and changed by owners, audited, every
bad value answered with how to write it and nothing stored; the scheduler told through ScheduleChanged."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from bot import commands as c
from bot import inputs
from bot.bus import NOT_YET, MessageBus
from bot.core import CANT_CHECK_DIGESTS, Core
from bot.errors import BadInput
from bot.events import ScheduleChanged
from bot.grammar import parse_line
from bot.notify import Dispatcher, notifications
from bot.replies import Reply, ReplyKind
from storage.secrets import delivery_hasher
from tests.unit.conftest import ALICE, WS
from tests.unit.fakes import FakeData, FakeUnitOfWorkFactory

LEAD = c.Actor("lead", is_admin=True)
BOB = c.Actor("bob")


class Heard:
    def __init__(self) -> None:
        self.events: list[object] = []

    async def __call__(self, event: object) -> None:
        self.events.append(event)


@pytest.fixture
def heard() -> Heard:
    return Heard()


@pytest.fixture
def core(data, fixed_clock, heard) -> Core:
    dispatcher = Dispatcher()
    dispatcher.listen(ScheduleChanged, heard)
    return Core(MessageBus(FakeUnitOfWorkFactory(data), clock=fixed_clock), delivery_hasher("k"), dispatcher)


async def say(
    core: Core, line: str, actor: c.Actor = ALICE, platform: inputs.Platform | None = None, here: str = "console"
) -> tuple[Reply, ...]:
    replies = (await core.handle(inputs.Typed(WS, actor, text=line, conversation=here), platform)).replies
    await core.background.drain()
    return replies


def fields(reply: Reply) -> dict[str, str]:
    return {f.label: f.value for f in reply.fields}


async def areas(core: Core, *names: str) -> None:
    for name in names:
        await say(core, f"problem Something went wrong #{name}")


def changes(data: FakeData) -> list[str]:
    return [e.action for e in data.audit if e.action.startswith("forum.")]


# --- /tally forum ------------------------------------------------------------------------------------------


async def test_anyone_sees_the_first_forum_which_covers_every_area_before_anything_is_stored(core, data):
    (shown,) = await say(core, "tally forum")
    assert shown.kind is ReplyKind.LIST and shown.text == "Forum: Improvement forum"
    assert fields(shown) == {
        "Slug": "forum",
        "Areas": "every area",
        "Digest goes to": "not set yet",
        "Digest schedule": "Mondays 09:00 Europe/London",
        "Meets": "first Tuesday of the month",
    }
    assert "types tally forum here in the channel" in shown.footer and "tally forum new" in shown.footer
    assert "/tally" not in shown.footer  # spelled as the console spells it
    assert data.forums == [] and data.commits == 0


async def test_help_lists_the_forum_and_digest_commands_spelled_for_the_platform(core):
    (shown,) = await say(core, "tally help")
    for words in ("tally forum new", "tally forum [<slug>] here", "schedule", "meets", "tally digest"):
        assert words in shown.text
    assert "/tally" not in shown.text  # the console spells it without the slash


# --- /tally forum new ---------------------------------------------------------------------------------------


async def test_an_owner_adds_a_forum_for_existing_areas_audited_and_the_scheduler_told(core, data, heard):
    await areas(core, "benefits", "housing-repairs")
    (added,) = await say(core, 'tally forum new Benefits Board #benefits #"Housing repairs"', actor=LEAD)
    assert added.kind is ReplyKind.NOTICE and added.text == "Added the forum Benefits Board."
    assert fields(added)["Slug"] == "benefits-board" and fields(added)["Areas"] == "Benefits, Housing repairs"
    assert [f.slug for f in data.forums] == ["forum", "benefits-board"]  # the first forum stays first
    assert data.forums[1].area_ids == (1, 2)
    (event,) = [e for e in data.audit if e.action == "forum.added"]
    assert event.actor_id == "lead" and event.detail == {
        "name": "Benefits Board",
        "areas": ["benefits", "housing-repairs"],
    }
    assert heard.events == [ScheduleChanged(WS)]
    first, second = await say(core, "tally forum", actor=BOB)
    assert first.text == "Forum: Improvement forum" and second.text == "Forum: Benefits Board"
    assert "tally forum benefits-board here" in second.footer


async def test_a_new_forum_from_someone_not_an_owner_is_refused_audited_and_not_added(core, data, heard):
    await areas(core, "benefits")
    (refused,) = await say(core, "tally forum new Benefits Board #benefits", actor=BOB)
    assert refused.kind is ReplyKind.ERROR and "Only the forum's owners can add forums" in refused.text
    assert [e.action for e in data.audit if e.actor_id == "bob"] == ["refused"]
    assert data.forums == [] and heard.events == []


async def test_a_new_forum_for_areas_that_dont_exist_says_which_and_how_to_list_them(core, data):
    await areas(core, "benefits")
    (refused,) = await say(core, "tally forum new Board #benefits #parking #fines", actor=LEAD)
    assert refused.kind is ReplyKind.ERROR
    assert "no process areas #parking, #fines here" in refused.text
    assert "The areas here: #benefits" in refused.text and "/problem" not in refused.text  # spelled: 'problem'
    assert data.forums == [] and changes(data) == []


async def test_a_duplicate_slug_is_refused_saying_so(core, data):
    await areas(core, "benefits")
    await say(core, "tally forum new Benefits Board #benefits", actor=LEAD)
    (refused,) = await say(core, "tally forum new Benefits board! #benefits", actor=LEAD)
    assert refused.kind is ReplyKind.ERROR and "already a forum 'benefits-board'" in refused.text
    assert len(data.forums) == 2 and changes(data) == ["forum.added"]


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("tally forum new Benefits Board", "at least one process area"),
        ("tally forum new #benefits", "needs a name"),
        ("tally forum new Board #benefits later", "isn't a process area"),
        ("tally forum new Here #benefits", "one of the forum commands"),
        ("tally forum new !!! #benefits", "no letters or digits"),
        (f"tally forum new {'x' * 90} #benefits", "keep a forum's name under 80"),
    ],
)
async def test_a_bad_new_forum_says_how_to_write_it_and_adds_nothing(core, data, line, says):
    (refused,) = await say(core, line, actor=LEAD)
    assert refused.kind is ReplyKind.ERROR and says in refused.text and "forum new" in refused.text
    assert data.forums == []


# --- here, schedule, meets ---------------------------------------------------------------------------------


async def test_here_makes_this_conversation_the_first_forums_digest_destination(core, data, heard):
    (done,) = await say(core, "tally forum here", actor=LEAD)
    assert done.text == "Improvement forum's weekly digest will be posted here."
    assert fields(done)["Digest goes to"] == "this conversation" and done.footer == ""
    assert data.forums[0].destination == "console"
    (event,) = [e for e in data.audit if e.action == "forum.changed"]
    assert event.subject == "forum" and event.detail == {"setting": "here", "before": "", "after": "console"}
    assert heard.events == [ScheduleChanged(WS)]
    (elsewhere,) = await say(core, "tally forum", here="another-chat")
    assert fields(elsewhere)["Digest goes to"] == "console"


class Refusing(inputs.Trusting):
    def __init__(self, why: str = "", fails: bool = False) -> None:
        super().__init__(admin=True)
        self.why, self.fails, self.asked = why, fails, 0

    async def digest_problem(self) -> str:
        self.asked += 1
        if self.fails:
            raise RuntimeError("the platform is down")
        return self.why


async def test_here_where_the_platform_says_digests_cant_go_is_refused_with_its_reason_and_nothing_stored(core, data):
    platform = Refusing("Invite Tally with /invite @Tally first.")
    (refused,) = await say(core, "tally forum here", actor=LEAD, platform=platform)
    assert refused.kind is ReplyKind.ERROR and refused.text == "Invite Tally with /invite @Tally first."
    assert platform.asked == 1 and data.forums == [] and data.audit == [] and data.commits == 0
    (failed,) = await say(core, "tally forum here", actor=LEAD, platform=Refusing(fails=True))
    assert failed.text == CANT_CHECK_DIGESTS and data.forums == []


async def test_only_here_asks_the_platform_about_digests(core):
    platform = Refusing("no")
    await say(core, "tally forum schedule tue 10:00", actor=LEAD, platform=platform)
    await say(core, "tally forum", platform=platform)
    assert platform.asked == 0


async def test_here_with_no_conversation_is_refused(core, data):
    (refused,) = await say(core, "tally forum here", actor=LEAD, here="")
    assert refused.kind is ReplyKind.ERROR and "which conversation" in refused.text and data.forums == []


async def test_schedule_and_meets_change_the_named_forum_of_several(core, data, heard):
    await areas(core, "benefits")
    await say(core, "tally forum new Benefits Board #benefits", actor=LEAD)
    (scheduled,) = await say(core, "tally forum benefits-board schedule Thursday 7:30", actor=LEAD)
    assert scheduled.text == "Benefits Board's weekly digest now goes out on Thursdays 07:30 Europe/London."
    (meets,) = await say(core, "tally forum benefits-board meets last fri", actor=LEAD)
    assert meets.text == "Benefits Board now meets on the last Friday of the month."
    board = data.forums[1]
    assert (board.digest_day, board.digest_time, board.meets) == (3, "07:30", "last-fri")
    first = data.forums[0]
    assert (first.digest_day, first.digest_time, first.meets) == (0, "09:00", "first-tue")
    details = [e.detail for e in data.audit if e.action == "forum.changed"]
    assert details == [
        {"setting": "schedule", "before": "Mondays 09:00 Europe/London", "after": "Thursdays 07:30 Europe/London"},
        {"setting": "meets", "before": "first-tue", "after": "last-fri"},
    ]
    assert heard.events == [ScheduleChanged(WS)] * 3


async def test_an_unknown_slug_says_which_slugs_exist_and_changes_nothing(core, data):
    await areas(core, "benefits")
    await say(core, "tally forum new Benefits Board #benefits", actor=LEAD)
    (refused,) = await say(core, "tally forum housing meets first-mon", actor=LEAD)
    assert refused.kind is ReplyKind.ERROR and "no forum 'housing'" in refused.text
    assert "forum, benefits-board" in refused.text
    assert [f.meets for f in data.forums] == ["first-tue", "first-tue"] and changes(data) == ["forum.added"]
    (shown,) = await say(core, "tally forum housing")
    assert "no forum 'housing'" in shown.text


async def test_changing_a_forum_is_for_owners_only_and_audited(core, data, heard):
    (refused,) = await say(core, "tally forum schedule tue 10:00", actor=BOB)
    assert "Only the forum's owners can change a forum's digest or meetings" in refused.text
    assert [e.action for e in data.audit] == ["refused"] and changes(data) == [] and heard.events == []


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("tally forum schedule mon", "a day and a time"),
        ("tally forum schedule someday 09:00", "'someday' isn't a day of the week"),
        ("tally forum schedule mon 25:00", "'25:00' isn't a time of day"),
        ("tally forum schedule mon 9am", "'9am' isn't a time of day"),
        ("tally forum meets monthly", "isn't a meeting cadence"),
        ("tally forum meets", "isn't a meeting cadence"),
        ("tally forum meets fifth-tue", "'fifth' isn't which week of the month"),
        ("tally forum meets first-caturday", "'caturday' isn't a day of the week"),
        ("tally forum here please", "I didn't understand 'please'"),
        ("tally forum forum rename x", "I didn't understand"),
        ("tally forum Bad_Slug! here", "isn't a forum's slug"),
    ],
)
async def test_a_bad_change_says_what_was_wrong_and_how_to_write_it(core, data, line, says):
    (refused,) = await say(core, line, actor=LEAD)
    assert refused.kind is ReplyKind.ERROR and says in refused.text, refused.text
    assert "forum" in refused.text.split("\n", 1)[-1]  # and how to write it
    assert data.forums == [] and data.audit == []


async def test_a_new_timezone_tells_the_scheduler(core, heard):
    await say(core, "tally settings currency EUR", actor=LEAD)
    assert heard.events == []
    await say(core, "tally settings timezone Europe/Paris", actor=LEAD)
    assert heard.events == [ScheduleChanged(WS)]
    (shown,) = await say(core, "tally forum")
    assert fields(shown)["Digest schedule"] == "Mondays 09:00 Europe/Paris"


# --- the dispatcher's listeners, the bus's extra handlers, the digest's grammar ------------------------------


def test_nobody_is_messaged_about_a_schedule_change():
    assert notifications(ScheduleChanged(WS)) == []


async def test_listeners_are_awaited_for_their_events_and_one_failing_stops_nothing():
    heard: list[tuple[str, object]] = []

    async def broken(event: object) -> None:
        raise RuntimeError("listener failed")

    async def listener(event: object) -> None:
        await asyncio.sleep(0)
        heard.append(("schedule", event))

    async def everything(event: object) -> None:
        heard.append(("any", event))

    dispatcher = Dispatcher()
    dispatcher.listen(ScheduleChanged, broken)
    dispatcher.listen(ScheduleChanged, listener)
    dispatcher.listen(object, everything)
    other = object()
    await dispatcher.dispatch([ScheduleChanged(WS), other])
    assert heard == [("schedule", ScheduleChanged(WS)), ("any", ScheduleChanged(WS)), ("any", other)]


def test_the_bus_takes_handlers_from_outside_bot(data, fixed_clock):
    preview = c.PreviewDigest(ws=WS, actor=ALICE, forum="forum", week="2026-W47")
    plain = MessageBus(FakeUnitOfWorkFactory(data), clock=fixed_clock)
    assert plain.handle(preview).text == NOT_YET
    seen = []

    def digest(cmd: c.PreviewDigest, ctx) -> Reply:  # type: ignore[no-untyped-def]
        seen.append((cmd.forum, cmd.week, ctx.writes))
        return Reply(text="the digest")

    bus = MessageBus(FakeUnitOfWorkFactory(data), clock=fixed_clock, handlers={c.PreviewDigest: digest})
    assert bus.handle(preview).text == "the digest" and seen == [("forum", "2026-W47", False)]
    assert bus.handle(c.ShowForums(ws=WS, actor=ALICE)).kind is ReplyKind.LIST  # the others are still there


@pytest.mark.parametrize(
    ("line", "forum", "week"),
    [
        ("tally digest", None, None),
        ("tally digest forum benefits-board", "benefits-board", None),
        ("tally digest week 2026-W47", None, "2026-W47"),
        ("tally digest week 2026-w3 forum Benefits", "benefits", "2026-W03"),
        ("tally digest forum forum week 2026W47", "forum", "2026-W47"),
        ("tally digest 2026-W47", None, "2026-W47"),
    ],
)
def test_digest_parses_its_forum_and_week(line, forum, week):
    command = parse_line(line, WS, ALICE)
    assert command == c.PreviewDigest(ws=WS, actor=ALICE, forum=forum, week=week)
    assert command.writes is False


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("tally digest week 2026-W60", "Write the week as 2026-W47"),
        ("tally digest week 47", "Write the week as 2026-W47"),
        ("tally digest week", "I didn't understand"),
        ("tally digest forum", "I didn't understand"),
        ("tally digest forum a forum b", "I didn't understand"),
        ("tally digest monthly", "/tally digest [forum <slug>] [week YYYY-Www]"),
    ],
)
def test_a_bad_digest_line_says_how_to_write_it(line, says):
    with pytest.raises(BadInput) as err:
        parse_line(line, WS, ALICE)
    assert says in f"{err.value.message} {err.value.how}"


@pytest.mark.parametrize(
    ("line", "fmt", "start", "end"),
    [
        ("tally export", "xlsx", None, None),
        ("tally export CSV", "csv", None, None),
        ("tally export json from 2026-01-01", "json", "2026-01-01", None),
        ("tally export to 2026-06-30 from 2026-01-01 xlsx", "xlsx", "2026-01-01", "2026-06-30"),
    ],
)
def test_export_parses_its_format_and_dates(line, fmt, start, end):
    command = parse_line(line, WS, ALICE)
    as_date = date.fromisoformat
    assert command == c.ExportEvidence(
        ws=WS, actor=ALICE, format=fmt, start=start and as_date(start), end=end and as_date(end)
    )
    assert command.writes is False


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("tally export pdf", "I didn't understand"),
        ("tally export csv csv", "I didn't understand"),
        ("tally export from", "I didn't understand"),
        ("tally export from last-week", "isn't a date"),
        ("tally export from 2026-02-01 to 2026-01-01", "is after"),
    ],
)
def test_a_bad_export_line_says_how_to_write_it(line, says):
    with pytest.raises(BadInput) as err:
        parse_line(line, WS, ALICE)
    assert says in err.value.message
    assert "/tally export [xlsx|csv|json]" in err.value.how
