"""Neutral replies: what to say, never how a platform shows it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.ids import Action, FormField, IdeaField


class Target(StrEnum):
    """Where a reply goes; each adapter knows how its platform does it."""

    CONVERSATION = "conversation"  # a new message that everyone in the conversation sees
    REPLACE = "replace"  # takes the place of the message whose button was pressed
    PRIVATE = "private"  # only the person who acted (Slack: ephemeral; Teams: their 1:1 chat with Tally)
    FORM = "form"  # a form to fill in (Slack: a modal; Teams: a card)
    DIRECT = "direct"  # a direct message to `recipient`, a user id (notifications nobody asked for)


class ReplyKind(StrEnum):
    CARD = "card"  # a problem card, updated in place when its tally changes
    NOTICE = "notice"
    QUESTION = "question"
    LIST = "list"
    HELP = "help"
    ERROR = "error"
    FORM = "form"


@dataclass(frozen=True)
class Field:
    label: str
    value: str  # as plain text; where `user_id` is set, what to show on platforms that can't mention
    user_id: str | None = None  # a person: Slack shows a mention instead of the value
    channel_id: str | None = None  # a Slack channel: Slack shows a link to it instead of the value


MAX_BUTTON_VALUE = 2000  # the smallest platform limit (Slack's button value)


@dataclass(frozen=True)
class Button:
    label: str
    action: Action
    value: str
    primary: bool = False


@dataclass(frozen=True)
class Choice:
    label: str
    value: str


@dataclass(frozen=True)
class CaptureForm:
    """The capture form: current values, process areas to pick from and errors per field."""

    values: dict[FormField, object] = field(default_factory=dict)
    areas: tuple[Choice, ...] = ()
    errors: dict[FormField, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IdeaForm:
    """The idea form ('Propose a fix'): current values, errors per field, and the problems it is for."""

    values: dict[IdeaField, object] = field(default_factory=dict)
    problems: tuple[int, ...] = ()  # the problem numbers it was opened for, or that the submission names
    errors: dict[IdeaField, str] = field(default_factory=dict)


Form = CaptureForm | IdeaForm


@dataclass(frozen=True)
class File:
    """A file for the person who asked (an export): Slack uploads it to their direct messages; Teams asks their
    consent in their 1:1 chat, and `again` (the command that makes it) makes it afresh once they accept."""

    name: str
    content: bytes
    media_type: str
    again: str


@dataclass(frozen=True)
class Section:
    heading: str
    lines: tuple[str, ...]
    empty: str = "Nothing yet."


@dataclass(frozen=True)
class Reply:
    text: str
    kind: ReplyKind = ReplyKind.NOTICE
    to: Target = Target.PRIVATE
    fields: tuple[Field, ...] = ()
    lines: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    buttons: tuple[Button, ...] = ()
    form: Form | None = None  # a FORM reply's form: which one it is, by its type
    footer: str = ""
    problem_number: int | None = None
    recipient: str | None = None  # the user a DIRECT reply goes to
    anonymous: bool = False  # answers an anonymous action: never shown beside the name of who acted
    file: File | None = None  # a PRIVATE reply that is a file: `text` goes with it
