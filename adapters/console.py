"""`tally chat`: the same grammar on stdin, replies as plain text; buttons become numbered choices."""

from __future__ import annotations

import sys
from typing import TextIO
from uuid import uuid4

from bot import commands as c
from bot.bus import MessageBus
from bot.errors import TallyError, reply_for_error
from bot.grammar import parse_line
from bot.replies import Button, Reply
from storage.model import Platform

DEFAULT_WORKSPACE = "console"
FORM_HINT = "The form is for Slack and Teams; here, write the problem in one line (try 'help')."


def render_text(reply: Reply) -> str:
    """A reply as plain text, the way a terminal or a log shows it."""
    out = [reply.text]
    out += [f"  {f.label}: {f.value}" for f in reply.fields]
    out += [f"  {line}" for line in reply.lines]
    for section in reply.sections:
        out.append(f"{section.heading}:")
        out += [f"  {line}" for line in section.lines] or [f"  {section.empty}"]
    if reply.form is not None:
        out += [f"  {field}: {msg}" for field, msg in reply.form.errors.items()] or [f"  {FORM_HINT}"]
    out += [f"  [{i}] {b.label}" for i, b in enumerate(reply.buttons, start=1)]
    if reply.footer:
        out.append(reply.footer)
    return "\n".join(out)


class ConsoleSession:
    """One person at a terminal: remembers the last reply's buttons so '1' presses the first."""

    def __init__(self, bus: MessageBus, user: str, workspace: str = DEFAULT_WORKSPACE, admin: bool = False) -> None:
        self.bus = bus
        self.ws = c.WorkspaceRef(Platform.CONSOLE, workspace)
        self.actor = c.Actor(user, is_admin=admin)
        self.buttons: tuple[Button, ...] = ()

    def command_for(self, line: str) -> c.Command:
        stripped = line.strip()
        if stripped.isdigit() and self.buttons and 1 <= int(stripped) <= len(self.buttons):
            button = self.buttons[int(stripped) - 1]
            return c.PressButton(
                ws=self.ws, actor=self.actor, action=button.action, value=button.value, delivery_id=None
            )
        return parse_line(line, self.ws, self.actor, delivery_id=f"console:{uuid4()}")

    def say(self, line: str) -> Reply:
        try:
            command = self.command_for(line)
        except TallyError as exc:
            return reply_for_error(exc)
        reply = self.bus.handle(command)
        self.buttons = reply.buttons
        return reply


def run_console(session: ConsoleSession, lines: TextIO, out: TextIO, prompt: bool) -> int:
    """Read a command a line until end of input; a prompt only when a person is typing."""
    if prompt:
        out.write("Tally console. Type 'help', or a command such as: problem Printer jammed again x3 10m\n")
    while True:
        if prompt:
            out.write("tally> ")
            out.flush()
        line = lines.readline()
        if not line or line.strip().lower() in ("quit", "exit"):
            return 0
        if line.strip() and not line.lstrip().startswith("//"):
            out.write(render_text(session.say(line)) + "\n")
            out.flush()


def main_console(bus: MessageBus, user: str, workspace: str, admin: bool) -> int:
    session = ConsoleSession(bus, user, workspace, admin)
    interactive = sys.stdin.isatty()
    if interactive:
        import readline  # noqa: F401 - arrow keys and history for a person typing

    return run_console(session, sys.stdin, sys.stdout, prompt=interactive)
