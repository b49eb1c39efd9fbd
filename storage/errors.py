"""What storage raises that its callers act on: a repeat delivery, a database taken, a database gone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable


class DuplicateDelivery(Exception):
    """A platform delivered the same event twice; the first one is already stored."""


class Busy(Exception):
    """Another writer holds the database just now: a unit of work told not to wait gives up before it begins.
    `until_free`, when the writer is of this process: awaits its end, so the caller can try again without a thread."""

    def __init__(self, why: str, until_free: Callable[[], Awaitable[None]] | None = None) -> None:
        super().__init__(why)
        self.until_free = until_free


class NotQuick(Busy):
    """A unit of work that must not wait ran past the event loop's budget (storage.engine.STEP_BUDGET): it changed
    nothing; run it where it may take its time."""


class Unavailable(Exception):
    """The database couldn't be reached, or another process held it past the wait: nothing stored; try later."""
