"""`tally chat`: the same grammar on stdin, replies as plain text; buttons become numbered choices."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot import commands as c
from bot import inputs
from bot.core import Core, Outcome
from bot.replies import Button, Reply, Target
from storage.model import Platform

DEFAULT_WORKSPACE = "console"
CONVERSATION = "console"  # the console is one conversation: a forum's digest can be sent 'here'
FORM_HINT = "Forms are for Slack and Teams; here, write it in one line (try 'help' or 'idea help')."


def render_text(reply: Reply) -> str:
    """A reply as plain text, the way a terminal or a log shows it."""
    lead = f"(direct message to {reply.recipient}) " if reply.to is Target.DIRECT else ""
    out = [lead + reply.text]
    out += [f"  {f.label}: {f.value}" for f in reply.fields]
    out += [f"  {line}" for line in reply.lines]
    for section in reply.sections:
        out.append(f"{section.heading}:")
        out += [f"  {line}" for line in section.lines] or [f"  {section.empty}"]
    if reply.form is not None:
        out += [f"  {field}: {msg}" for field, msg in reply.form.errors.items()] or [f"  {FORM_HINT}"]
    out += [f"  [{i}] {b.label}" for i, b in enumerate(reply.buttons, start=1)]
    if reply.file is not None:
        out.append(f"  (a file, {reply.file.name}, {len(reply.file.content):,} bytes: tally export --out saves one)")
    if reply.footer:
        out.append(reply.footer)
    return "\n".join(out)


class ConsoleNotifier:
    """Notifications in the console: printed where the person at the terminal sees them."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    async def send(self, workspace: c.WorkspaceRef, reply: Reply) -> None:
        self.out.write(render_text(reply) + "\n")
        self.out.flush()


class ConsoleSession:
    """One person at a terminal: remembers the last reply's buttons so '1' presses the first."""

    def __init__(self, core: Core, user: str, workspace: str = DEFAULT_WORKSPACE, admin: bool = False) -> None:
        self.core = core
        self.ws = c.WorkspaceRef(Platform.CONSOLE, workspace)
        self.actor = c.Actor(user, is_admin=admin)
        self.buttons: tuple[Button, ...] = ()

    def input_for(self, line: str) -> inputs.Input:
        stripped = line.strip()
        if stripped.isdigit() and self.buttons and 1 <= int(stripped) <= len(self.buttons):
            button = self.buttons[int(stripped) - 1]
            return inputs.Pressed(
                self.ws, self.actor, action=button.action, value=button.value, conversation=CONVERSATION
            )
        return inputs.Typed(self.ws, self.actor, text=line, conversation=CONVERSATION)

    async def say(self, line: str) -> Outcome:
        outcome = await self.core.handle(self.input_for(line))
        buttons = tuple(b for r in outcome.replies for b in r.buttons)
        self.buttons = buttons
        return outcome


def render_outcome(outcome: Outcome) -> str:
    return "\n".join(render_text(r) for r in outcome.replies)


async def run_console_async(session: ConsoleSession, lines: TextIO, out: TextIO, prompt: bool) -> int:
    if prompt:
        out.write("Tally console. Type 'help', or a command such as: problem Printer jammed again x3 10m\n")
    while True:
        if prompt:
            out.write("tally> ")
            out.flush()
        line = await asyncio.to_thread(lines.readline)
        if not line or line.strip().lower() in ("quit", "exit"):
            break
        if line.strip() and not line.lstrip().startswith("//"):
            out.write(render_outcome(await session.say(line)) + "\n")
            out.flush()
        await session.core.background.drain()
    await session.core.background.drain()
    return 0


def run_console(session: ConsoleSession, lines: TextIO, out: TextIO, prompt: bool) -> int:
    """Read a command a line until end of input; a prompt only when a person is typing."""
    return asyncio.run(run_console_async(session, lines, out, prompt))


def main_console(core: Core, user: str, workspace: str, admin: bool) -> int:
    core.dispatcher.register(Platform.CONSOLE, ConsoleNotifier(sys.stdout))
    session = ConsoleSession(core, user, workspace, admin)
    interactive = sys.stdin.isatty()
    if interactive:
        import readline  # noqa: F401 - arrow keys and history for a person typing

    return run_console(session, sys.stdin, sys.stdout, prompt=interactive)
