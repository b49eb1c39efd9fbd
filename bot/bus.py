"""The message bus: runs one command in one unit of work, commits it, and maps every error in one place."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from bot import commands as c
from bot.errors import AlreadyDelivered, NotAllowed, TallyError, reply_for_error
from bot.handlers.business_case import show_roi
from bot.handlers.buttons import press_button
from bot.handlers.context import Context
from bot.handlers.forms import open_capture_form, submit_capture_form
from bot.handlers.forums import add_forum, change_forum, show_forums
from bot.handlers.home import show_home
from bot.handlers.ideas import (
    add_evidence,
    decide_idea,
    estimate_idea,
    list_ideas,
    merge_ideas,
    move_idea,
    propose_idea,
    record_root_cause,
    remind_reviews,
    show_agenda,
    show_idea,
    vote_for_idea,
)
from bot.handlers.owners import claim_first_ownership
from bot.handlers.problems import (
    list_problems,
    log_occurrence,
    merge_problems,
    report_problem,
    set_status,
    show_problem,
    top_problems,
)
from bot.handlers.triage import triage_ideas
from bot.handlers.workspace_admin import change_setting, manage_owners, record_demand
from bot.help import PROBLEM_HELP
from bot.idea_help import IDEA_HELP, TALLY_HELP
from bot.replies import Reply, ReplyKind
from storage.model import AuditEvent, WorkspaceDefaults
from storage.ports import Busy, UnitOfWork

log = logging.getLogger("tally.bus")

Replies = Reply | tuple[Reply, ...]
COMMITS = itertools.count(1)  # next() on it is atomic under the GIL: the worker threads share it


def show_help(cmd: c.ShowHelp, ctx: Context) -> Reply:
    text = {"idea": IDEA_HELP, "tally": f"{PROBLEM_HELP}\n\n{TALLY_HELP}"}.get(cmd.topic, PROBLEM_HELP)
    return Reply(text=text, kind=ReplyKind.HELP)


HANDLERS: dict[type[c.Command], Callable[[c.Command, Context], Replies]] = {  # type: ignore[dict-item]
    c.ReportProblem: report_problem,
    c.LogOccurrence: log_occurrence,
    c.ShowProblem: show_problem,
    c.ListProblems: list_problems,
    c.TopProblems: top_problems,
    c.SetStatus: set_status,
    c.MergeProblems: merge_problems,
    c.ShowHelp: show_help,
    c.OpenCaptureForm: open_capture_form,
    c.SubmitCaptureForm: submit_capture_form,
    c.ShowHome: show_home,
    c.PressButton: press_button,
    c.ClaimFirstOwnership: claim_first_ownership,
    c.ProposeIdea: propose_idea,
    c.ShowIdea: show_idea,
    c.ListIdeas: list_ideas,
    c.VoteForIdea: vote_for_idea,
    c.AddEvidence: add_evidence,
    c.RecordRootCause: record_root_cause,
    c.EstimateIdea: estimate_idea,
    c.MoveIdea: move_idea,
    c.DecideIdea: decide_idea,
    c.MergeIdeas: merge_ideas,
    c.ShowAgenda: show_agenda,
    c.ShowRoi: show_roi,
    c.ManageOwners: manage_owners,
    c.RemindReviews: remind_reviews,
    c.ChangeSetting: change_setting,
    c.RecordDemand: record_demand,
    c.TriageIdeas: triage_ideas,
    c.ShowForums: show_forums,
    c.AddForum: add_forum,
    c.ChangeForum: change_forum,
}
NOT_YET = "That isn't something Tally can do yet here."


@dataclass(frozen=True)
class Result:
    """What one command produced: its replies, and the events its committed unit of work recorded."""

    replies: tuple[Reply, ...]
    events: tuple[object, ...] = ()
    redelivered: bool = False
    failed: bool = False  # an unexpected error: a platform's retry should be tried again
    sequence: int = 0  # see MessageBus.run: orders the replacements of one message by commit

    @property
    def reply(self) -> Reply:
        """The main reply (the last one: after any notice, the card)."""
        return self.replies[-1] if self.replies else Reply(text="Already answered.")


class MessageBus:
    """Runs commands synchronously (the core calls it from a worker thread); never raises."""

    def __init__(
        self,
        uow_factory: Callable[..., UnitOfWork],
        defaults: WorkspaceDefaults | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        handlers: Mapping[type, Callable] | None = None,
    ) -> None:
        """`handlers` are added over HANDLERS (or replace one): commands whose handlers live outside bot/."""
        self.handlers: dict[type, Callable] = {**HANDLERS, **(handlers or {})}
        self.uow_factory = uow_factory
        self.defaults = defaults or WorkspaceDefaults()
        self.clock = clock
        # Whether a quick command may be tried on the event loop (see SqlUnitOfWorkFactory.runs_on_loop).
        self.runs_on_loop = bool(getattr(uow_factory, "runs_on_loop", False))

    def run(self, command: c.Command, wait: bool = True) -> Result:
        """One unit of work: the handler builds its replies inside it, then it commits (writes only).
        `wait=False`: raises Busy, having done nothing, when the database is taken by another writer."""
        started = time.perf_counter()
        name = type(command).__name__
        handler = self.handlers.get(type(command))
        if handler is None:
            log.warning("no handler for %s", name)
            return Result((Reply(text=NOT_YET, kind=ReplyKind.ERROR, footer="/tally help lists what Tally can do."),))
        try:
            # `wait` is passed only when False: only a factory that runs_on_loop takes it.
            kind = {"write": command.writes} if wait else {"write": command.writes, "wait": False}
            with self.uow_factory(**kind) as uow:
                replies = handler(command, Context(uow, self.clock(), self.defaults, command.writes))
                sequence = 0
                if command.writes:
                    # Taken inside the transaction, so after the locks a handler took (a vote locks its idea;
                    # SQLite writers queue whole): a later commit of the same thing always gets a larger number.
                    sequence = next(COMMITS)
                    uow.commit()
                events = tuple(uow.collect_events())
            return Result(replies if isinstance(replies, tuple) else (replies,), events, sequence=sequence)
        except AlreadyDelivered:
            return Result((), redelivered=True)
        except Busy:
            raise
        except NotAllowed as exc:
            return self._refused(command, kind, exc)
        except Exception as exc:  # noqa: BLE001 - mapped to a reply below
            # The context names the command and workspace only: never who sent it.
            reply = reply_for_error(exc, f"{name} in {command.ws.platform}:{command.ws.external_id}")
            return Result((reply,), failed=not isinstance(exc, TallyError))
        finally:
            log.debug("%s handled in %.1f ms", name, (time.perf_counter() - started) * 1000)

    def _refused(self, command: c.Command, kind: dict[str, bool], exc: NotAllowed) -> Result:
        """Every refused attempt is in the audit trail; its own unit of work was rolled back, so the refusal gets
        one of its own. An anonymous actor's id is never written, even here."""
        name = type(command).__name__
        actor = None if getattr(command, "anonymous", False) else command.actor.user_id
        try:
            with self.uow_factory(**{**kind, "write": True}) as uow:
                ws = uow.workspaces.get_or_create(command.ws.platform, command.ws.external_id, self.defaults)
                assert ws.id is not None
                uow.audit.add(AuditEvent(ws.id, "refused", name, actor, {"command": name}))
                uow.commit()
        except Busy:
            raise
        except Exception:  # noqa: BLE001 - the refusal stands; only its audit row is missing
            log.warning("could not audit a refused %s in %s:%s", name, command.ws.platform, command.ws.external_id)
        return Result((reply_for_error(exc),))

    def close(self) -> None:
        """At shutdown: whatever its unit of work factory holds open (SQLite's kept connections, storage.kept)."""
        close = getattr(self.uow_factory, "close", None)
        if close is not None:
            close()

    def handle(self, command: c.Command) -> Reply:
        """The main reply only: for tests and tools that show one answer."""
        return self.run(command).reply
