"""The idea form ('Propose a fix' on a problem's card): opened for that problem, every field checked by the core
with the '/idea' grammar's rules, errors per field with nothing stored, and its modal and card within the
platforms' limits whatever they hold."""

from __future__ import annotations

import json

import pytest

from adapters.console import render_text
from adapters.slack import modals
from adapters.slack import translate as slack_translate
from adapters.slack.app import error_field
from adapters.slack.ids import CallbackId
from adapters.teams import cards
from adapters.teams import translate as teams_translate
from adapters.teams.bot import as_replacement, card_for
from adapters.teams.ids import CardVerb, DataKey
from bot import commands as c
from bot import inputs
from bot.core import Core, Outcome, posts_anonymously
from bot.grammar import MAX_TEXT
from bot.ids import Action, FormField, FormId, FormOption, IdeaField
from bot.replies import IdeaForm, Reply, ReplyKind, Target
from storage.model import Platform
from tests.limits import activity_violations, card_violations, view_violations
from tests.unit.conftest import ALICE, WS
from tests.unit.test_limits import activity, nasty

SLACK = c.WorkspaceRef(Platform.SLACK, "T0COUNCIL")
TEAMS = c.WorkspaceRef(Platform.TEAMS, "tenant")


class Asks:
    def __init__(self, can_post: bool) -> None:
        self.can_post = can_post

    async def is_admin(self) -> bool:
        return False

    async def can_post_here(self) -> bool:
        return self.can_post


async def handle(core: Core, done: inputs.Input, asks: Asks | None = None) -> tuple[Reply, ...]:
    replies = (await core.handle(done, asks)).replies
    await core.background.drain()
    return replies


async def problem(core: Core, text: str = "Letters not received x17 30m", ws: c.WorkspaceRef = WS) -> Reply:
    (card,) = await handle(core, inputs.Typed(ws, ALICE, text=text, command="problem"))
    return card


def press_propose(card: Reply, ws: c.WorkspaceRef = WS, actor: c.Actor = ALICE) -> inputs.Pressed:
    button = next(b for b in card.buttons if b.action is Action.PROPOSE_FIX)
    return inputs.Pressed(ws, actor, "trigger-propose", action=button.action, value=button.value)


def submit(
    ws: c.WorkspaceRef = WS, actor: c.Actor = ALICE, delivery: str | None = None, **values: object
) -> inputs.Submitted:
    fields = {IdeaField.TEXT: values.get("text", ""), IdeaField.FIXES: values.get("fixes", "")}
    if "options" in values:
        fields[IdeaField.OPTIONS] = values["options"]
    return inputs.Submitted(ws, actor, delivery, values=fields, form=FormId.IDEA)


# --- the core ------------------------------------------------------------------------------------------------
async def test_propose_a_fix_opens_the_idea_form_with_the_problem_in_it(core, data):
    card = await problem(core)
    (form,) = await handle(core, press_propose(card))
    assert form.kind is ReplyKind.FORM and form.to is Target.FORM and isinstance(form.form, IdeaForm)
    assert form.form.values == {IdeaField.FIXES: "#1"} and form.form.problems == (1,) and form.form.errors == {}
    assert form.footer == "Or type idea <what would fix it> for #1"  # spelled for the console, where there is no form
    assert data.ideas == []


async def test_propose_a_fix_on_a_problem_that_is_gone_says_so(core, data):
    (error,) = await handle(core, inputs.Pressed(WS, ALICE, "t1", action=Action.PROPOSE_FIX.value, value="9"))
    assert error.kind is ReplyKind.ERROR and "no problem #9" in error.text


async def test_idea_typed_alone_still_shows_help(core):
    (reply,) = await handle(core, inputs.Typed(WS, ALICE, text="", command="idea"))
    assert reply.kind is ReplyKind.HELP


async def test_every_field_is_checked_at_once_and_nothing_is_stored(core, data):
    await problem(core)
    bad = submit(text="   ", fixes="#1 soon #0", options=["anon", "fd"])
    (form,) = await handle(core, bad)
    assert form.kind is ReplyKind.FORM and form.to is Target.FORM and isinstance(form.form, IdeaForm)
    assert set(form.form.errors) == {IdeaField.TEXT, IdeaField.FIXES, IdeaField.OPTIONS}
    assert "what would fix it" in form.form.errors[IdeaField.TEXT]
    assert (
        "'soon' isn't a problem number" in form.form.errors[IdeaField.FIXES]
        and "#12 #13" in form.form.errors[IdeaField.FIXES]
    )
    assert form.form.values[IdeaField.FIXES] == "#1 soon #0"  # what was typed, to show again
    assert data.ideas == [] and data.idea_links == []


@pytest.mark.parametrize(
    ("text", "fixes", "field", "says"),
    [
        ("x" * (MAX_TEXT + 1), "#1", IdeaField.TEXT, "1,001 characters; an idea fits in 1,000"),
        ("Email it", "#0", IdeaField.FIXES, "'#0' isn't a problem id"),
        ("Email it", "#1 " * 200, IdeaField.FIXES, "Keep it under 500 characters"),
        ("Email it", "#1 and #2", IdeaField.FIXES, "'and' isn't a problem number"),
        ("Email it", "#1234567890", IdeaField.FIXES, "isn't a problem number"),
    ],
)
async def test_the_grammars_rules_apply_to_each_field(core, data, text, fixes, field, says):
    (form,) = await handle(core, submit(text=text, fixes=fixes))
    assert isinstance(form.form, IdeaForm) and list(form.form.errors) == [field]
    assert says in form.form.errors[field]
    assert data.ideas == []


async def test_a_submission_proposes_the_idea_linked_to_its_problems(core, data):
    await problem(core)
    await problem(core, "Phones down for an hour")
    fixes = "#1, 2 #1"  # commas, no '#', repeats: as '/idea … for' takes them
    (card,) = await handle(core, submit(text="  Email the decision\nletter as well  ", fixes=fixes, options=[]))
    assert card.kind is ReplyKind.CARD and card.to is Target.CONVERSATION and not card.anonymous
    assert card.text == "I1 Email the decision letter as well"
    assert [line.split(":")[0] for line in card.lines] == ["#1 Letters not received", "#2 Phones down for an hour"]
    (idea,) = data.ideas
    assert idea.proposer_id == "alice" and idea.description == "Email the decision letter as well"
    problem_ids = {p.number: p.id for p in data.problems}
    assert data.idea_links == [
        (idea.workspace_id, idea.id, problem_ids[1]),
        (idea.workspace_id, idea.id, problem_ids[2]),
    ]


async def test_a_fix_for_no_problem_yet_is_fine(core, data):
    (card,) = await handle(core, submit(text="Email the decision letter"))
    assert card.kind is ReplyKind.CARD and data.idea_links == [] and card.lines == ("No problems linked yet.",)


async def test_a_problem_number_that_isnt_a_problem_stores_nothing(core, data):
    await problem(core)
    (error,) = await handle(core, submit(text="Email it", fixes="#1 #9"))
    assert error.kind is ReplyKind.ERROR and "no problem #9" in error.text
    assert data.ideas == [] and data.idea_links == []


async def test_anonymous_keeps_no_proposer(core, data):
    card = await problem(core)
    await handle(core, press_propose(card, actor=c.Actor("whistle")))
    done = submit(
        actor=c.Actor("whistle"), delivery="view-anon", text="Stop the rota changes", fixes="#1", options=["anon"]
    )
    (idea_card,) = await handle(core, done)
    assert idea_card.anonymous and "nobody can be told" in idea_card.footer
    assert data.ideas[0].proposer_id is None and len(data.idea_links) == 1
    assert all(e.actor_id is None for e in data.audit if e.action == "idea.proposed")
    assert "whistle" not in repr(data.__dict__)


async def test_anonymous_where_tally_cannot_post_is_refused_and_stores_nothing(core, data):
    await problem(core, ws=SLACK)
    done = submit(ws=SLACK, text="Stop the rota changes", fixes="#1", options=[FormOption.ANONYMOUS.value])
    (refused,) = await handle(core, done, Asks(can_post=False))
    assert refused.kind is ReplyKind.ERROR and refused.anonymous
    assert "anonymous idea was not stored" in refused.text and "/invite" in refused.text
    assert data.ideas == []
    # Teams: in a channel the card would answer the person; anonymous means their personal chat.
    await problem(core, ws=TEAMS)
    teams = submit(ws=TEAMS, text="Stop the rota changes", fixes="#1", options=["anon"])
    (refused,) = await handle(core, teams, Asks(can_post=False))
    assert "anonymous idea was not stored" in refused.text and "Propose it in your personal chat" in refused.text
    assert data.ideas == []
    # Named ideas still go ahead where Tally can't post (the card falls back to the platform's own answer).
    named = submit(ws=SLACK, delivery="v2", text="Stop the rota changes", fixes="#1")
    assert (await handle(core, named, Asks(can_post=False)))[0].kind is ReplyKind.CARD


def test_posts_anonymously_covers_the_idea_forms_option():
    from bot.core import to_command

    idea = to_command(submit(text="Stop the rota changes", options=["anon"]), None)
    assert isinstance(idea, c.ProposeIdea) and idea.anonymous and posts_anonymously(idea)
    named = to_command(submit(text="Stop the rota changes", options=[]), None)
    assert isinstance(named, c.ProposeIdea) and not posts_anonymously(named)


async def test_a_retried_submission_is_stored_once(core, data):
    await problem(core)
    done = submit(delivery="view-1:trigger-1", text="Email the decision letter", fixes="#1")
    await handle(core, done)
    assert (await core.handle(done)).redelivered
    assert len(data.ideas) == 1


async def test_a_form_sent_again_after_putting_it_right_is_answered(core, data):
    await problem(core)
    (form,) = await handle(core, submit(delivery="view-1", text="", fixes="#1"))
    assert form.kind is ReplyKind.FORM
    core.recent.shorten(core._key(submit(delivery="view-1")) or "", 0)  # a person takes longer than a retry
    (card,) = await handle(core, submit(delivery="view-1", text="Email the letter", fixes="#1"))
    assert card.kind is ReplyKind.CARD and len(data.ideas) == 1


async def test_the_capture_form_is_still_the_default(core, data):
    done = inputs.Submitted(WS, ALICE, values={FormField.ISSUE: "Printer jammed"})
    (card,) = await handle(core, done)
    assert card.kind is ReplyKind.CARD and len(data.problems) == 1 and data.ideas == []


def test_the_console_shows_how_to_type_it_instead():
    reply = Reply(
        text="Propose a fix for #1",
        kind=ReplyKind.FORM,
        to=Target.FORM,
        form=IdeaForm(values={IdeaField.FIXES: "#1"}, problems=(1,)),
        footer="Or type idea <what would fix it> for #1",
    )
    assert "idea <what would fix it> for #1" in render_text(reply)


# --- Slack ---------------------------------------------------------------------------------------------------
def longest_form(errors: bool = True) -> IdeaForm:
    return IdeaForm(
        values={
            IdeaField.TEXT: nasty(5000, "idea"),
            IdeaField.FIXES: " ".join(f"#{999_999_999 - i}" for i in range(500)),
            IdeaField.OPTIONS: [FormOption.ANONYMOUS.value, "not-an-option"],
        },
        problems=tuple(range(999_999_999, 999_999_000, -1)),
        errors={field: nasty(2000, field.value) for field in IdeaField} if errors else {},
    )


@pytest.mark.parametrize("errors", [True, False], ids=["errors", "no errors"])
def test_the_idea_modal_fits_whatever_the_form_holds(errors):
    metadata = slack_translate.modal_metadata("C" * 20, "https://hooks.slack.com/" + "x" * 500)
    view = modals.form_modal(longest_form(errors), private_metadata=metadata)
    assert view_violations(view) == []
    assert view["callback_id"] == CallbackId.IDEA_MODAL == "tally_propose_idea"
    assert json.loads(view["private_metadata"])["channel"] == "C" * 20
    inputs_ = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert list(inputs_) == ["idea_text", "idea_fixes", "idea_options"]
    assert inputs_["idea_text"]["optional"] is False and inputs_["idea_fixes"]["optional"] is True
    assert len(inputs_["idea_text"]["element"]["initial_value"]) == 1000
    assert len(inputs_["idea_fixes"]["element"]["initial_value"]) == 500
    assert [o["value"] for o in inputs_["idea_options"]["element"]["initial_options"]] == ["anon"]
    errors_ = modals.form_errors(longest_form(errors))
    assert set(errors_) == ({"idea_text", "idea_fixes", "idea_options"} if errors else set())
    assert all(0 < len(e) <= 150 for e in errors_.values())


def test_the_idea_modal_opened_from_a_card_shows_the_problem():
    view = modals.form_modal(IdeaForm(values={IdeaField.FIXES: "#12"}, problems=(12,)), private_metadata="m" * 3001)
    assert view_violations(view) == [] and view["private_metadata"] == ""
    assert "A fix for #12." in json.dumps(view["blocks"])
    fixes = next(b for b in view["blocks"] if b.get("block_id") == "idea_fixes")
    assert fixes["element"]["initial_value"] == "#12"


def test_the_idea_modals_state_reads_back_as_idea_fields():
    view = {
        "state": {
            "values": {
                "idea_text": {"idea_text": {"type": "plain_text_input", "value": "Email it"}},
                "idea_fixes": {"idea_fixes": {"type": "plain_text_input", "value": "#12"}},
                "idea_options": {"idea_options": {"type": "checkboxes", "selected_options": [{"value": "anon"}]}},
                "issue": {"issue": {"type": "plain_text_input", "value": "not this form's"}},
            }
        }
    }
    values = slack_translate.form_values(view, IdeaField)
    assert values == {IdeaField.TEXT: "Email it", IdeaField.FIXES: "#12", IdeaField.OPTIONS: ["anon"]}


def test_an_error_that_isnt_one_fields_goes_where_it_belongs():
    refused = Reply(text="not stored", kind=ReplyKind.ERROR, anonymous=True)
    missing = Reply(text="There's no problem #9.", kind=ReplyKind.ERROR)
    assert error_field(FormId.IDEA, refused, {IdeaField.FIXES: "#9"}) == "idea_options"
    assert error_field(FormId.IDEA, missing, {IdeaField.FIXES: "#9"}) == "idea_fixes"
    assert error_field(FormId.IDEA, missing, {IdeaField.FIXES: " "}) == "idea_text"
    assert error_field(FormId.CAPTURE, refused, {}) == "issue"


# --- Teams ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("for_dialog", [False, True], ids=["card", "dialog"])
@pytest.mark.parametrize("errors", [True, False], ids=["errors", "no errors"])
def test_the_idea_card_is_valid_and_small_enough(errors, for_dialog):
    card = cards.form_card(longest_form(errors), for_dialog=for_dialog)
    assert card_violations(card, activity(card)) == [] and activity_violations(activity(card)) == []
    ids = [b["id"] for b in card["body"] if "id" in b]
    assert ids == ["idea_text", "idea_fixes", "idea_options"]
    (submit_,) = card["actions"]
    if for_dialog:
        assert submit_["type"] == "Action.Submit"
    else:
        assert submit_["type"] == "Action.Execute" and submit_["verb"] == CardVerb.SUBMIT_IDEA_FORM
        assert submit_["fallback"]["type"] == "Action.Submit"
        assert submit_["fallback"]["data"][DataKey.ACTION.value] == "tally_submit_idea_form"
    errors_shown = [b for b in card["body"] if b.get("color") == "Attention"]
    assert len(errors_shown) == (4 if errors else 0)  # the banner and one under each field


def test_the_idea_card_opened_from_a_card_is_prefilled():
    reply = Reply(
        text="Propose a fix for #12",
        kind=ReplyKind.FORM,
        to=Target.FORM,
        form=IdeaForm({IdeaField.FIXES: "#12"}, (12,)),
    )
    card = card_for(reply)
    assert card_violations(card) == []
    fixes = next(b for b in card["body"] if b.get("id") == "idea_fixes")
    assert fixes["value"] == "#12" and fixes["maxLength"] == 500
    assert "A fix for #12." in json.dumps(card)


def test_a_submitted_idea_card_reads_back_and_its_idea_replaces_it():
    data = {"idea_text": "Email it", "idea_fixes": "#12", "idea_options": "anon", "issue": "not this form's"}
    assert teams_translate.form_values(data, IdeaField) == {
        IdeaField.TEXT: "Email it",
        IdeaField.FIXES: "#12",
        IdeaField.OPTIONS: ["anon"],
    }
    data[DataKey.ACTION.value] = CardVerb.SUBMIT_IDEA_FORM.value
    card = Reply(text="I1 Email it", kind=ReplyKind.CARD, to=Target.CONVERSATION)
    (swapped,) = as_replacement(Outcome((card,)), data).replies
    assert swapped.to is Target.REPLACE
    # A form a button asked for is not a submission: nothing is swapped.
    form = Reply(text="Propose a fix", kind=ReplyKind.FORM, to=Target.FORM, form=IdeaForm())
    pressed = {DataKey.ACTION.value: Action.PROPOSE_FIX.value, DataKey.VALUE.value: "12"}
    assert as_replacement(Outcome((form,)), pressed).replies[0].to is Target.FORM
