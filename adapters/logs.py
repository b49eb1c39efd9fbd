"""Logging set-up: no token or secret reaches a log line, whichever library wrote it."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import TextIO

REDACTED = "(redacted)"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Their debug output dumps whole payloads and API bodies, which name users: -v must not undo anonymity.
LIBRARY_LEVELS = {
    **dict.fromkeys(
        ("slack_sdk", "slack_bolt", "botbuilder", "botframework", "msrest", "urllib3", "asyncio"), logging.INFO
    ),
    "alembic": logging.WARNING,
    "apscheduler": logging.WARNING,  # it logs every run of every job at INFO
}

# Slack bot, user, app and refresh tokens; JWTs (Bot Framework and Entra bearer tokens); any Bearer credential.
TOKEN_PATTERN = re.compile(
    r"\bxox[a-z](?:\.xox[a-z])?-[\w-]+"
    r"|\bxapp-[\w-]+"
    r"|\beyJ[\w-]+\.[\w-]+\.[\w-]*"
    r"|(?<=Bearer )[\w.~+/=-]+",
    re.IGNORECASE,
)
# Credentials named by their key, in dict reprs, JSON and form bodies: OAuth codes, client secrets, the
# verification token that Slack still sends in every payload.
KEYED_PATTERN = re.compile(
    r"""(?P<key>['"]?\b(?:\w+_)?(?:token|secret|password|code)['"]?\s*[:=]\s*\[?['"]?)[^'",&\s}]+""",
    re.IGNORECASE,
)


# Every match of either pattern holds one of these words, once case-folded: casefold() maps each character that
# IGNORECASE lets stand for one of their letters (S, ſ; K, the Kelvin sign) to that letter. A line with none of them,
# like an access log line, needs neither pattern: 1 µs, not 15, on every request.
TELLTALES = ("xox", "xapp-", "eyj", "bearer ", "token", "secret", "password", "code")


def redact(line: str, secrets: Iterable[str] = ()) -> str:
    """Library debug output prints API bodies verbatim (Slack's oauth.v2.access answer holds the bot token)."""
    for secret in secrets:
        line = line.replace(secret, REDACTED)
    folded = line.casefold()
    if not any(word in folded for word in TELLTALES):
        return line
    line = TOKEN_PATTERN.sub(REDACTED, line)
    return KEYED_PATTERN.sub(lambda m: m.group("key") + REDACTED, line)


class RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted record, traceback included, so nothing slips past in exception text."""

    def __init__(self, secrets: Iterable[str] = (), fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        # Longest first, so a secret that contains another is hidden whole.
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)


def configure_logging(verbose: bool, secrets: Iterable[str] = (), stream: TextIO | None = None) -> logging.Handler:
    """One handler on the root logger; every record goes through the redactor; -v is Tally's own debug."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter(secrets))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name, level in LIBRARY_LEVELS.items():
        logging.getLogger(name).setLevel(level)
    return handler
