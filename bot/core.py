"""The core's one way in: an input becomes a command, runs in its unit of work off the event loop, and
comes back as replies that say where they go. Events of a committed unit of work go to the notifiers."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from bot import commands as c
from bot import inputs as i
from bot.bus import MessageBus, Result
from bot.errors import TallyError, reply_for_error
from bot.grammar import parse_idea, parse_line, parse_problem, parse_tally
from bot.handlers.forms import idea_form_errors
from bot.help import spell
from bot.idea_grammar import parse_idea_form
from bot.ids import Action, FormField, FormId, FormOption
from bot.notify import Dispatcher
from bot.replies import Reply, ReplyKind, Section, Target
from bot.tasks import Background
from storage.model import Platform
from storage.ports import Busy

log = logging.getLogger("tally.core")
ASK_TIMEOUT = 1.5  # seconds the platform gets to answer a question, inside Slack's 3-second deadline
RETRY_WINDOW = 30.0  # seconds a refused input's delivery id stays claimed: long enough for a platform's retry
WRITER_THREADS = 4
LOOP_TRIES = 3  # times a quick command waits on the event loop for this process's other writer before a thread
READER_THREADS = 4

CANT_POST_ANONYMOUSLY = (
    "Tally can't post here, so your anonymous report was not stored. "
    "Type /invite @Tally first, or report it where Tally is.\n"
    "An anonymous report is only ever posted by Tally, never beside your name."
)
NOT_ANONYMOUS_HERE = {  # where a platform can't post an anonymous card apart from its reporter
    Platform.TEAMS: (
        "Your anonymous report was not stored: in a channel, its card would answer the message you typed "
        "under your name. Report it in your personal chat with Tally instead, where nobody else sees it."
    ),
}
CANT_CHECK_DIGESTS = "Tally couldn't check that it can post digests here, so nothing changed. Try again in a minute."
NO_CONVERSATION = (
    "Tally can't tell which conversation this is, so nothing changed: type it in the channel the digest should go to."
)
IDEA_WORDS = (("anonymous report", "anonymous idea"), ("report it", "propose it"), ("Report it", "Propose it"))


@dataclass(frozen=True)
class Outcome:
    """The replies to one input; none at all when it was a platform's retry of something already answered."""

    replies: tuple[Reply, ...] = ()
    redelivered: bool = False
    sequence: int = 0  # the order its changes were committed in, this process (0: it changed nothing)

    def first(self, *targets: Target) -> Reply | None:
        return next((r for r in self.replies if r.to in targets), None)


class RecentDeliveries:
    """Delivery ids seen lately, so a retry of anything (a list, an error) is answered once, not only writes."""

    def __init__(self, size: int = 20_000, ttl: float = 3600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.size, self.ttl, self.clock = size, ttl, clock
        self._until: OrderedDict[str, float] = OrderedDict()

    def claim(self, key: str) -> bool:
        """True the first time a key is seen (until it expires)."""
        now = self.clock()
        until = self._until.get(key)
        if until is not None and now < until:
            return False
        self._until[key] = now + self.ttl
        self._until.move_to_end(key)
        while len(self._until) > self.size:
            self._until.popitem(last=False)
        return True

    def release(self, key: str) -> None:
        """The first copy failed on our side: let the platform's retry try again."""
        self._until.pop(key, None)

    def shorten(self, key: str, seconds: float) -> None:
        """Nothing was stored (bad input): a platform's retry comes within seconds, a person's second try later,
        and the same form sent again once they have put things right must be answered."""
        if key in self._until:
            self._until[key] = min(self._until[key], self.clock() + seconds)


class Core:
    def __init__(
        self,
        bus: MessageBus,
        hash_delivery: Callable[[str], str],
        dispatcher: Dispatcher | None = None,
        background: Background | None = None,
    ) -> None:
        self.bus = bus
        self.hash_delivery = hash_delivery
        self.dispatcher = dispatcher or Dispatcher()
        self.background = background or Background()
        self.recent = RecentDeliveries()
        # Writers wait for each other (SQLite has one writer at a time; PostgreSQL locks a workspace's counter),
        # so they get threads of their own: a list or a help never queues behind them.
        self.writers = ThreadPoolExecutor(max_workers=WRITER_THREADS, thread_name_prefix="tally-write")
        self.readers = ThreadPoolExecutor(max_workers=READER_THREADS, thread_name_prefix="tally-read")

    async def handle(self, done: i.Input, platform: i.Platform | None = None) -> Outcome:
        """Never raises: whatever happens, the person gets an answer that says what to do."""
        key = self._key(done)
        if key is not None and not self.recent.claim(key):
            return Outcome(redelivered=True)
        platform = platform or i.Trusting(done.actor.is_admin)
        try:
            command = await self._command(done, key, platform)
        except TallyError as exc:
            command = reply_for_error(exc)
        if isinstance(command, Reply):
            if key is not None:
                self.recent.shorten(key, RETRY_WINDOW)
            return self._outcome(done, Result((command,)))
        # Cut off (shutdown) while it waits on the loop, nothing of it ran: the platform's retry must be run again.
        result = await self.run_job(command, cut_off=None if key is None else lambda: self.recent.release(key))
        if result.failed and key is not None:
            self.recent.release(key)
        elif key is not None and result.replies and all(r.kind is ReplyKind.ERROR for r in result.replies):
            self.recent.shorten(key, RETRY_WINDOW)
        return self._outcome(done, result)

    async def run_job(self, command: c.Command, cut_off: Callable[[], None] | None = None) -> Result:
        """Run a command off the event loop (on the writers' or the readers' threads), or, when it is quick and
        the database is free, on it; its committed events go to the notifiers after. Jobs Tally starts itself
        (reminders) come straight here. `cut_off` is called if it is cancelled while it waits on the loop, before
        any of it ran."""
        result = await self._run_on_loop(command, cut_off)
        if result is None:
            pool = self.writers if command.writes else self.readers
            result = await asyncio.get_running_loop().run_in_executor(pool, self.bus.run, command)
        if result.events:
            self.background.spawn(self.dispatcher.dispatch(result.events), "notifications")
        return result

    async def _run_on_loop(self, command: c.Command, cut_off: Callable[[], None] | None = None) -> Result | None:
        """A thread hand-off costs more than capture's few statements on SQLite. While another writer of this
        process holds the database, wait here for it, not on a thread (see storage.writers); None when it must
        wait for another process, or keeps losing the database to threads."""
        if not (command.quick and self.bus.runs_on_loop):
            return None
        for tries_left in reversed(range(LOOP_TRIES)):
            try:
                return self.bus.run(command, wait=False)
            except Busy as busy:
                if busy.until_free is None or not tries_left:
                    return None
                try:
                    await busy.until_free()
                except asyncio.CancelledError:
                    if cut_off is not None:  # nothing ran; on a thread it might have, and is left to finish
                        cut_off()
                    raise
        return None

    def close(self) -> None:
        """Let the worker threads go, then what the units of work hold open (the app factory calls it at shutdown)."""
        self.writers.shutdown(wait=True)
        self.readers.shutdown(wait=True)
        self.bus.close()

    def _key(self, done: i.Input) -> str | None:
        """A keyed hash: the platform's own id (which can lead back to a person) is never stored."""
        if not done.delivery_id:
            return None
        return self.hash_delivery(f"{done.ws.platform}:{done.ws.external_id}:{done.delivery_id}")

    async def _command(self, done: i.Input, key: str | None, platform: i.Platform) -> c.Command | Reply:
        """The command, or the reply that refuses it before anything runs."""
        command = to_command(done, key)
        if isinstance(command, Reply):  # a form whose answers need another look: nothing runs
            return command
        if command.requires_admin and not command.actor.is_admin and await _ask(platform.is_admin()):
            command = replace(command, actor=c.Actor(command.actor.user_id, is_admin=True))
        if posts_anonymously(command) and not await _ask(platform.can_post_here()):
            text = NOT_ANONYMOUS_HERE.get(Platform(done.ws.platform), CANT_POST_ANONYMOUSLY)
            if proposes_idea(command):
                for report, idea in IDEA_WORDS:
                    text = text.replace(report, idea)
            return Reply(text=text, kind=ReplyKind.ERROR, anonymous=True)  # answers the anonymous option
        if isinstance(command, c.ShowForums | c.ChangeForum):
            command = replace(command, conversation=done.conversation)
        if isinstance(command, c.ChangeForum) and command.setting == "here":
            if not done.conversation:
                return Reply(text=NO_CONVERSATION, kind=ReplyKind.ERROR)
            if problem := await _ask_why(lambda: platform.digest_problem(), CANT_CHECK_DIGESTS):
                return Reply(text=problem, kind=ReplyKind.ERROR)
        return command

    def _outcome(self, done: i.Input, result: Result) -> Outcome:
        if result.redelivered:
            return Outcome(redelivered=True)
        return Outcome(tuple(spelled(r, done.ws.platform) for r in result.replies), sequence=result.sequence)


async def _ask(question: Coroutine[Any, Any, bool]) -> bool:
    """A platform that can't answer, or not in time for Slack's 3 seconds, is taken as 'no': never an admin,
    never a channel to post in."""
    try:
        return bool(await asyncio.wait_for(question, ASK_TIMEOUT))
    except Exception:  # noqa: BLE001 - the platform's failure must not stop the person getting an answer
        log.warning("the platform could not answer the core's question; taking it as no", exc_info=True)
        return False


async def _ask_why(question: Callable[[], Coroutine[Any, Any, str]], failed: str) -> str:
    """Empty ("") when the platform says yes; its reason when it says no; `failed` when it can't answer in time."""
    try:
        return str(await asyncio.wait_for(question(), ASK_TIMEOUT) or "")
    except Exception:  # noqa: BLE001 - the platform's failure must not stop the person getting an answer
        log.warning("the platform could not answer the core's question; taking it as no", exc_info=True)
        return failed


def to_command(done: i.Input, delivery: str | None) -> c.Command | Reply:
    """Parse what the person did; raises BadInput with what was wrong and how to write it. A form comes back
    as itself, with an error on each field that needs one, when its answers can't be used."""
    ws, actor = done.ws, done.actor
    match done:
        case i.Typed(command="problem"):
            return parse_problem(done.text, ws, actor, delivery)
        case i.Typed(command="tally"):
            return parse_tally(done.text, ws, actor)
        case i.Typed(command="idea"):
            return parse_idea(done.text, ws, actor, delivery)
        case i.Typed():
            return parse_line(done.text, ws, actor, delivery)
        case i.Pressed():
            return c.PressButton(ws=ws, actor=actor, action=done.action, value=done.value, delivery_id=delivery)
        case i.Submitted(form=FormId.IDEA):
            idea, errors, problems = parse_idea_form(done.values, ws, actor, delivery)
            return idea if idea is not None else idea_form_errors(done.values, problems, errors)
        case i.Submitted():
            return c.SubmitCaptureForm(ws=ws, actor=actor, values=dict(done.values), delivery_id=delivery)
        case i.OpenedForm():
            return c.OpenCaptureForm(ws=ws, actor=actor, prefill=done.prefill)
        case i.OpenedHome():
            return c.ShowHome(ws=ws, actor=actor)
        case i.Installed():
            return c.ClaimFirstOwnership(ws=ws, actor=actor)
    raise TypeError(f"not an input: {type(done).__name__}")


def proposes_idea(command: c.Command) -> bool:
    return isinstance(command, c.ProposeIdea) or (
        isinstance(command, c.PressButton) and command.action == Action.NEW_IDEA
    )


def posts_anonymously(command: c.Command) -> bool:
    """Would this command post an anonymous report's card (or idea's) into the conversation? The idea form's
    anonymous option comes here as the ProposeIdea the core made of the form."""
    if isinstance(command, c.ReportProblem | c.ProposeIdea):
        return command.anonymous
    if isinstance(command, c.SubmitCaptureForm):
        return FormOption.ANONYMOUS.value in (command.values.get(FormField.OPTIONS) or ())
    if isinstance(command, c.PressButton) and command.action in (Action.NOT_SAME, Action.NEW_IDEA):
        try:
            held = json.loads(command.value)
            return bool((held.get("report") or held.get("idea"))["anonymous"])
        except (ValueError, KeyError, TypeError, AttributeError):
            return False
    return False


def spelled(reply: Reply, platform: str) -> Reply:
    """Help and errors name commands as the person's platform spells them."""
    where = Platform(platform)
    if where is Platform.SLACK:  # Slack spells them as they are written: nothing to copy
        return reply
    return replace(
        reply,
        text=spell(reply.text, where),
        footer=spell(reply.footer, where),
        lines=tuple(spell(line, where) for line in reply.lines),
        sections=tuple(
            Section(spell(s.heading, where), tuple(spell(x, where) for x in s.lines), spell(s.empty, where))
            for s in reply.sections
        ),
    )
