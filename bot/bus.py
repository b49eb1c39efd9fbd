"""The message bus: runs one command in its own unit of work and maps every error in one place."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from bot import commands as c
from bot.errors import reply_for_error
from bot.handlers.buttons import press_button
from bot.handlers.context import Context
from bot.handlers.forms import open_capture_form, submit_capture_form
from bot.handlers.home import show_home
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
from bot.help import PROBLEM_HELP
from bot.replies import Reply, ReplyKind
from storage.model import WorkspaceDefaults
from storage.ports import UnitOfWork

log = logging.getLogger("tally.bus")


def show_help(cmd: c.ShowHelp, ctx: Context) -> Reply:
    return Reply(text=PROBLEM_HELP, kind=ReplyKind.HELP)


HANDLERS: dict[type[c.Command], Callable[[c.Command, Context], Reply]] = {  # type: ignore[dict-item]
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
}


class MessageBus:
    """Every adapter hands its commands here; nothing reaches a handler any other way."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        defaults: WorkspaceDefaults | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.defaults = defaults or WorkspaceDefaults()
        self.clock = clock

    def handle(self, command: c.Command) -> Reply:
        """Run one command; never raises, so no adapter can show a stack trace in chat."""
        started = time.perf_counter()
        name = type(command).__name__
        try:
            with self.uow_factory() as uow:
                return HANDLERS[type(command)](command, Context(uow, self.clock(), self.defaults))
        except Exception as exc:  # noqa: BLE001 - mapped to a reply below
            # The context names the command and workspace only: never who sent it.
            return reply_for_error(exc, f"{name} in {command.ws.platform}:{command.ws.external_id}")
        finally:
            log.debug("%s handled in %.1f ms", name, (time.perf_counter() - started) * 1000)
