"""Fuzzing button presses and form submissions in process (issue 11, item 3): many more examples than over HTTP
(test_fuzz_forms.py, test_fuzz_cards.py), through the real core on real SQLite.

Buttons: every action id Tally has and unknown ones, with values of any text (ids that exist and don't, the JSON the
'same as #n?' question holds, tampered). Forms: the capture form and the idea form with each field as the adapters
hand it over (text, or a list of chosen values), hostile. Every example gets a reply within the platforms' limits,
never an unhandled error; a refusal (an error, or the form again with its errors) leaves every table as it was.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import inputs
from bot.ids import Action, FormField, FormId, IdeaField
from bot.replies import Reply, ReplyKind
from tests.reliability.fuzzing import FUZZ, ErrorLog, hostile_text, reply_problems
from tests.reliability.in_process import DATABASE, OWNER, STAFF, WS, Running, Snapshot, running_core

TRIED: Counter[str] = Counter()
REFUSED: Counter[str] = Counter()

HELD_REPORT = {  # what the 'same as #n?' question holds, as bot.handlers.problems puts it in the buttons
    "report": {"text": "Printer jammed", "area": None, "count": 1, "effort_minutes": 5, "users": None,
               "impacts": ["cost"], "failure_demand": False, "anonymous": False, "delivery_id": None,
               "when": {"iso": None, "days_ago": 0}},
    "match": 1,
}  # fmt: skip
HELD_IDEA = {"idea": {"text": "A second printer", "problems": [1], "anonymous": False}, "match": 1}


@st.composite
def tampered(draw: Any, held: dict) -> str:
    """The held JSON with one part changed to something of any shape or size."""
    data = json.loads(json.dumps(held))
    inner = data["report" if "report" in data else "idea"]
    key = draw(st.sampled_from([*inner, "match", "extra"]))
    junk = draw(
        st.one_of(
            st.none(), st.booleans(), st.integers(-(2**64), 2**64), st.floats(), hostile_text(long=3000),
            st.lists(st.integers(-5, 10**10), max_size=4), st.dictionaries(st.text(max_size=5), st.integers()),
        )
    )  # fmt: skip
    if key in ("match", "extra"):
        data[key] = junk
    else:
        inner[key] = junk
    return json.dumps(data, allow_nan=True)


BUTTON_VALUE = st.one_of(
    hostile_text(long=3000),
    st.sampled_from(["1", "2", "#1", "999", "0", "-1", "I1", "I2", "I999", "i1", "1.5", "1e3", "", " 1"]),
    st.just(json.dumps(HELD_REPORT)),
    st.just(json.dumps(HELD_IDEA)),
    tampered(HELD_REPORT),
    tampered(HELD_IDEA),
)
ACTIONS = st.sampled_from([a.value for a in Action] * 3 + ["", "tally_unknown", "PROBLEM_HAPPENED_AGAIN", "💥"])


def field_value(multi: bool) -> st.SearchStrategy[Any]:
    """As the adapters hand a field over: text, or (for checkboxes) a list of chosen values."""
    text = st.one_of(hostile_text(long=4000), st.sampled_from(["1", "17", "20m", "#1 #2", "#999", "cost", "anon"]))
    chosen = st.lists(
        st.one_of(st.sampled_from(["cost", "quality", "people", "delivery", "fd", "anon"]), text), max_size=4
    )
    return st.one_of(chosen, text) if multi else text


def form_values(fields: tuple[FormField | IdeaField, ...], multi: tuple) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({}, optional={f: field_value(f in multi) for f in fields})


INPUTS: dict[str, tuple[st.SearchStrategy[inputs.Input], int]] = {
    "buttons": (
        st.builds(
            lambda action, value, actor: inputs.Pressed(WS, actor, None, action=action, value=value, conversation="C0"),
            ACTIONS,
            BUTTON_VALUE,
            st.sampled_from([OWNER, STAFF]),
        ),
        250,
    ),
    "capture form": (
        st.builds(
            lambda values: inputs.Submitted(WS, STAFF, None, values=values, form=FormId.CAPTURE, conversation="C0"),
            form_values(tuple(FormField), (FormField.IMPACTS, FormField.OPTIONS)),
        ),
        150,
    ),
    "idea form": (
        st.builds(
            lambda values: inputs.Submitted(WS, STAFF, None, values=values, form=FormId.IDEA, conversation="C0"),
            form_values(tuple(IdeaField), (IdeaField.OPTIONS,)),
        ),
        150,
    ),
}


@pytest.fixture(scope="module")
def running(tmp_path_factory) -> Iterator[Running]:  # type: ignore[no-untyped-def]
    with running_core(tmp_path_factory.mktemp("presses")) as core:
        yield core
    print(f"\nfuzz presses and forms (core, {DATABASE}): {sum(TRIED.values())} examples, 0 failures")
    for kind, n in TRIED.items():
        print(f"  {kind}: {n} examples, {REFUSED[kind]} refused (an error, or the form again with its errors)")


def refused(reply: Reply) -> bool:
    return reply.kind is ReplyKind.ERROR or bool(reply.form is not None and reply.form.errors)


@pytest.mark.parametrize("kind", list(INPUTS))
def test_every_press_and_form_gets_a_reply_within_limits_and_a_refusal_stores_nothing(running, kind, request):
    strategy, examples = INPUTS[kind]
    snapshot = Snapshot(running.engine)
    request.addfinalizer(snapshot.close)

    @settings(FUZZ, max_examples=examples)
    @given(done=strategy)
    def one(done: inputs.Input) -> None:
        before = snapshot.before()
        with ErrorLog() as logged:
            outcome = running.handle(done)
        TRIED[kind] += 1
        assert outcome.replies, "no reply at all"
        assert not (crashes := logged.take()), crashes
        for reply in outcome.replies:
            assert not (problems := reply_problems(reply)), problems
        if all(refused(r) for r in outcome.replies):
            REFUSED[kind] += 1
            changed = snapshot.changed(before)
            assert not changed, f"refused, yet {changed} changed: {outcome.replies[0].text!r}"

    one()
