"""Neutral replies: what to say, never how a platform shows it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.ids import Action, FormField


class Visibility(StrEnum):
    CHANNEL = "channel"  # everyone in the conversation sees it
    PRIVATE = "private"  # only the person who asked


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
    value: str


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
class Section:
    heading: str
    lines: tuple[str, ...]
    empty: str = "Nothing yet."


@dataclass(frozen=True)
class Reply:
    text: str
    kind: ReplyKind = ReplyKind.NOTICE
    visibility: Visibility = Visibility.PRIVATE
    fields: tuple[Field, ...] = ()
    lines: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    buttons: tuple[Button, ...] = ()
    form: CaptureForm | None = None
    footer: str = ""
    problem_number: int | None = None
