"""What a person did, in neutral terms: adapters build these from platform payloads and hand them to the core."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bot.commands import Actor, WorkspaceRef
from bot.ids import FormId


@dataclass(frozen=True)
class Input:
    ws: WorkspaceRef
    actor: Actor
    delivery_id: str | None = None  # the platform's own id for this delivery; the core hashes it before use
    # The channel or conversation it came from (Slack: the channel id; Teams: the conversation id without
    # ';messageid='; the console: "console"); "" where there is none (Slack's home tab).
    conversation: str = field(default="", kw_only=True)


@dataclass(frozen=True)
class Typed(Input):
    """A line of text. `command` is the slash command it came with ("problem", "tally"), or "" for a whole line."""

    text: str = ""
    command: str = ""


@dataclass(frozen=True)
class Pressed(Input):
    """A button on one of Tally's messages."""

    action: str = ""
    value: str = ""


@dataclass(frozen=True)
class Submitted(Input):
    """A form, filled in: field id -> text, or a list of chosen values. `form` says which form (bot.ids.FormId):
    the capture form's fields are FormField ids, the idea form's IdeaField ids."""

    values: dict = field(default_factory=dict)
    form: str = FormId.CAPTURE


@dataclass(frozen=True)
class OpenedForm(Input):
    """The capture form asked for from a message ('Log as a problem'), with that message's text."""

    prefill: str = ""


@dataclass(frozen=True)
class OpenedHome(Input):
    """The person's home view (Slack's App Home tab)."""


@dataclass(frozen=True)
class Installed(Input):
    """Tally was installed (or first added) by `actor`."""


class Platform(Protocol):
    """Questions only the platform can answer, asked by the core only when a command needs them."""

    async def is_admin(self) -> bool:
        """Is the person who acted an admin of the workspace?"""
        ...

    async def can_post_here(self) -> bool:
        """Can Tally post a message into the conversation this came from?"""
        ...

    async def digest_problem(self) -> str:
        """Empty ("") when Tally can post a forum's digests (messages and files) into the conversation this came from;
        otherwise why not, and what to do about it."""
        ...


class Trusting:
    """For surfaces with nothing to ask (the console, Teams): the actor's own flag, and yes."""

    def __init__(self, admin: bool = False) -> None:
        self.admin = admin

    async def is_admin(self) -> bool:
        return self.admin

    async def can_post_here(self) -> bool:
        return True

    async def digest_problem(self) -> str:
        return ""
