"""Names as people type them: text cleaned for storage, and process areas' names and slugs."""

from __future__ import annotations

import re

from bot.errors import BadInput

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str) -> str:
    """Control characters (NUL above all, which PostgreSQL refuses) never reach storage."""
    return _CONTROL.sub("", text)


def slugify(name: str) -> str:
    """'Communicating decision on application' -> 'communicating-decision-on-application'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def area_name(token: str) -> str:
    """The display name for an area typed as #words-like-this or #"Words like this"."""
    inner = token[1:].strip('"“”').strip()
    if not token.startswith(('#"', "#“")):
        inner = inner.replace("-", " ").replace("_", " ")
    inner = " ".join(inner.split())
    return inner[:1].upper() + inner[1:]


MAX_AREA_NAME = 100


def checked_area_name(name: str) -> str:
    if not name:
        raise BadInput("That area has no name.", 'Write #area-name or #"Area name".')
    if len(name) > MAX_AREA_NAME:
        raise BadInput(
            f"That area's name is {len(name)} characters long.",
            f'Keep a process area\'s name under {MAX_AREA_NAME} characters, e.g. #"Communicating decisions".',
        )
    return name
