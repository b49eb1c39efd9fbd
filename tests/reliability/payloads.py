"""Payload parts for the form and card fuzz tests: JSON of any shape (null, numbers, lists, nested objects, 100 KB
strings), each form field as it is when filled in properly, and the checks that nothing was half-stored."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

from bot.ids import FormField, IdeaField
from tests.reliability.fuzzing import hostile_text

BIG = 100_000
_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_text(long=1500),
    st.sampled_from(["1", "#1", "I1", "999", "#999", "I999", "0", "-1", "cost", "anon", "fd", "", " "]),
    st.sampled_from(["a" * BIG, "🙂" * (BIG // 4), "1" * BIG, "#1 " * (BIG // 3)]),
)
JSON = st.recursive(
    _scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6,
)
WELL_FORMED = {  # what each field holds when the form is filled in properly
    FormField.ISSUE: "Letters not received",
    FormField.AREA: "front-desk",
    FormField.NEW_AREA: "Benefits appeals",
    FormField.IMPACTS: ["cost", "quality"],
    FormField.OCCURRENCES: "3",
    FormField.EFFORT: "20m",
    FormField.USERS: "2",
    FormField.OPTIONS: ["fd"],
    IdeaField.TEXT: "A second printer in reception",
    IdeaField.FIXES: "#1",
    IdeaField.OPTIONS: [],
}
UNKNOWN = ("", "tally_unknown", "problem_happened_again ", "PROBLEM_HAPPENED_AGAIN", "x" * 300, "💥")
BUTTON_VALUES = st.one_of(
    JSON,
    st.sampled_from(["1", "2", "999", "I1", "I999", '{"report": {}, "match": 1}', '{"idea": {"anonymous": true}}']),
)


MAX_BODY = 1024**2  # aiohttp's client_max_size: a bigger body is refused 413 before Tally reads it (not this test's)


def too_big(body: Any) -> bool:
    """Near the request limit once sent: a Slack payload goes form-encoded, which can triple its size."""
    return len(quote(json.dumps(body)).encode()) > MAX_BODY * 0.95


def stored(running) -> str:  # type: ignore[no-untyped-def]
    """Every table's rows but the forum table, whose default row the scheduler makes on its own time (no form or
    command here makes a forum)."""
    return "\n".join(line for line in running.dump().splitlines() if not line.startswith("forum: "))


async def stored_whole(running) -> None:  # type: ignore[no-untyped-def]
    """Nothing half-stored: every problem has its first occurrence, every idea's problems exist."""
    assert running.count("select count(*) from problem p where not exists "
                         "(select 1 from occurrence o where o.problem_id = p.id)") == 0  # fmt: skip
    assert running.count("select count(*) from idea_problem ip where not exists "
                         "(select 1 from problem p where p.id = ip.problem_id)") == 0  # fmt: skip
