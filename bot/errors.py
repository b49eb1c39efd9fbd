"""Known errors and the one place that turns any error into a reply."""

from __future__ import annotations

import logging

from bot.replies import Reply, ReplyKind
from storage.ports import Unavailable

log = logging.getLogger("tally.errors")


class TallyError(Exception):
    """A problem with what the user asked; the message says what and how to put it right."""

    def __init__(self, message: str, how: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.how = how


class BadInput(TallyError):
    """The text could not be understood; nothing was stored."""


class NotFound(TallyError):
    pass


class NotAllowed(TallyError):
    pass


class Conflict(TallyError):
    pass


class AlreadyDelivered(Exception):  # noqa: N818 - a signal, not a failure
    """This delivery was handled before (a platform's retry): it is neither stored nor answered again."""


SORRY = (
    "Sorry, something went wrong on our side and nothing was stored. "
    "Please try again in a minute; if it keeps happening, tell whoever runs Tally."
)

UNAVAILABLE = (
    "Sorry, Tally couldn't save that: its database isn't answering just now, so nothing was stored. "
    "Please try again in a minute."
)


def reply_for_error(exc: BaseException, context: str = "") -> Reply:
    """Known errors become a friendly message; anything else is logged and answered politely."""
    if isinstance(exc, TallyError):
        text = exc.message if not exc.how else f"{exc.message}\n{exc.how}"
        return Reply(text=text, kind=ReplyKind.ERROR)
    if isinstance(exc, Unavailable):  # one line each: an outage must not fill the log with tracebacks
        log.warning("the database is unavailable while handling %s: %s", context or "a command", exc)
        return Reply(text=UNAVAILABLE, kind=ReplyKind.ERROR)
    log.exception("unhandled error while handling %s", context or "a command", exc_info=exc)
    return Reply(text=SORRY, kind=ReplyKind.ERROR)
