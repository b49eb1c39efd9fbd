"""What the fuzz tests share: hostile text made of arbitrary Unicode and the pieces chat platforms put in it,
the checks every reply must pass, and the tally of what was tried (issue 11, item 3)."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from adapters.slack import modals
from adapters.slack.outbox import ephemeral
from adapters.teams.bot import card_for
from adapters.teams.outbox import card_activity
from bot.errors import SORRY
from bot.replies import Reply
from tests.limits import activity_violations, message_violations, view_violations

# derandomize: the same examples every run, on every machine; database=None: no .hypothesis folder in the repo.
FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)

# What Slack and Teams put into text, and the words of Tally's own grammar, so the fuzz reaches past the first check.
PLATFORM_PIECES = (
    "&lt;", "&gt;", "&amp;", "&lt;@U123&gt;", "<@U123>", "<@U0ALICE|alice>", "<#C123|general>", "<#C123>",
    "<http://x|y>", "<https://example.org/a?b=1&c=2>", "<!here>", "<!subteam^S1|@team>", "<at>Tally</at>",
    "\u200f", "\u200e", "\u202e", "\u2066", "\ufeff", "\u200b", "\u00a0", "🙂", "👩🏽‍💻", "🏳️‍🌈", "\x00", "\x1b[31m",
    "\r\n", "\t", "\n", "  ", "ﷺ", "e\u0301", "İ", "ß", "\U0001f600" * 3, "%s", "{}", "{0}", "'", '"', "`", "\\",
    "*bold*", "_it_", "~x~", "```", "<script>", "&#0;", "&#x1F600;", "null", "None", "NaN", "-0", "1e308",
)  # fmt: skip
GRAMMAR_WORDS = (
    "#", "#1", "1", "2", "0", "-1", "999999999", "1000000000", "I1", "i2", "I0", "#area", '#"Big area"', '#"open',
    "#“curly”", "x", "x17", "x0", "x-3", "×2", "20m", "1h", "1h30m", "0.5h", "20m+10m", "25h", "m", "users=3",
    "users=", "users=-1", "+cost", "+delivery", "+quality", "+people", "+money", "fd", "anon", "on", "on today",
    "on yesterday", "on 2026-11-20", "on 2030-01-01", "on 1999-12-31", "on 2026-02-30", "for", "for #1", "for 1, 2",
    "into", "open", "fixed", "wontfix", "won't-fix", "investigating", "all", "week", "month", "quarter", "review=",
    "review=2026-12-01", "reduction=50%", "reduction=150", "cost=£1,000", "cost=1e999", "cost=NaN", "approve",
    "reject", "experiment", "park", "done", "information", "insight", "improve", "add", "remove", "here",
    "schedule", "meets", "mon", "09:30", "25:00", "first-tue", "last friday", "2026-W47", "2026-W54", "from",
    "to", "2026-11-01", "xlsx", "csv", "json", "programme-cost", "hourly-cost", "currency", "timezone",
    "Europe/London", "../../etc/passwd", "GBP", "€", "£", "$",
)  # fmt: skip

# Any code point that can be encoded: surrogates (category Cs) can't be sent as UTF-8, so they are left out.
CHARACTERS = st.characters(blacklist_categories=("Cs",))
_piece = st.one_of(
    st.text(CHARACTERS, min_size=1, max_size=12),
    st.sampled_from(PLATFORM_PIECES),
    st.sampled_from(GRAMMAR_WORDS),
)
_separator = st.sampled_from([" ", " ", " ", "", "  ", "\t", "\n", "\u3000", "\u00a0"])


@st.composite
def _pieces(draw: Any) -> str:
    parts = draw(st.lists(st.tuples(_piece, _separator), max_size=10))
    return "".join(a + b for a, b in parts)


def hostile_text(long: int = 4000) -> st.SearchStrategy[str]:
    """Text as a person (or an attacker) might send it: pieces, arbitrary Unicode, very long text, padding."""
    body = st.one_of(
        _pieces(),
        _pieces(),
        st.text(CHARACTERS, max_size=60),
        st.text(CHARACTERS, min_size=900, max_size=long),
        st.builds(
            lambda a, n: a * n, st.sampled_from(["a", "é", "🙂", "#a ", "x1 ", "\x00", "1,"]), st.integers(1, 1500)
        ),
    )
    pad = st.sampled_from(["", "", " ", "  \t", "\n", "\u200f", "\ufeff", "\u00a0"])
    return st.builds(lambda a, b, c: a + b + c, pad, body, pad)


class ErrorLog(logging.Handler):
    """Every ERROR (or worse) logged by Tally: an unhandled exception is logged by bot.errors.reply_for_error."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> ErrorLog:
        logging.getLogger("tally").addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("tally").removeHandler(self)

    def take(self) -> list[str]:
        """What was logged since the last call, as lines to show in a failure."""
        lines = [
            f"{r.name}: {r.getMessage()} {r.exc_info[1]!r}" if r.exc_info else r.getMessage() for r in self.records
        ]
        self.records.clear()
        return lines


def reply_problems(reply: Reply) -> list[str]:
    """Why a reply would not reach the person: an apology for a crash, or a platform limit broken either way."""
    problems = []
    if reply.text == SORRY:
        problems.append("the core apologised: an unexpected error")
    if not (reply.text.strip() or reply.lines or reply.sections or reply.fields or reply.form or reply.file):
        problems.append("an empty reply")
    if reply.form is not None:
        problems += [f"slack modal: {p}" for p in view_violations(modals.form_modal(reply.form))]
        if reply.form.errors:
            errors = modals.form_errors(reply.form)
            problems += [f"slack form error {k}: over 2,000" for k, v in errors.items() if len(v) > 2000]
    else:
        problems += [f"slack: {p}" for p in message_violations(ephemeral(reply))]
    problems += [f"teams: {p}" for p in teams_violations(reply)]
    return problems


def teams_violations(reply: Reply) -> list[str]:
    """The Adaptive Card Teams would get; the schema is checked once per shape (it is slow), the size every time."""
    card = card_for(reply)
    shape: tuple = (reply.kind, len(reply.buttons), bool(reply.lines), bool(reply.sections), bool(reply.fields))
    if reply.form is not None:  # which fields hold what, and which have errors: what the card's elements depend on
        held = tuple(sorted((str(k), type(v).__name__, bool(v)) for k, v in reply.form.values.items()))
        shape += (type(reply.form).__name__, held, tuple(sorted(map(str, reply.form.errors))))
    if shape not in _SCHEMA_CHECKED:
        _SCHEMA_CHECKED.add(shape)
        return activity_violations(card_activity(card))
    from tests.limits import _size_violations

    return _size_violations("activity", card_activity(card))


_SCHEMA_CHECKED: set[tuple] = set()

TRIED: Counter[str] = Counter()  # examples per family, for RELIABILITY.md
ERRORS: Counter[str] = Counter()  # of which answered with an error (bad input, not found, ...)


def drawn(strategy: st.SearchStrategy[Any], n: int) -> list[Any]:
    """n examples of a strategy, the same on every run: for tests that send them over HTTP from an event loop."""
    found: list[Any] = []

    @settings(FUZZ, max_examples=n, phases=[Phase.generate])
    @given(strategy)
    def collect(value: Any) -> None:
        found.append(value)

    collect()
    return found[:n]
