"""Whatever users typed, Tally's blocks, modals, Home tab and cards fit Slack's limits and Adaptive Cards 1.5.

The replies here carry the longest values the grammar accepts (and far longer lists than any handler
makes), with the characters that break naive renderers: emoji, right-to-left text, Slack's control
characters and markdown. The last tests show the checker itself catches what it should.
"""

from __future__ import annotations

import json

import pytest

from adapters.slack import blocks, modals
from adapters.teams import cards
from bot.grammar import MAX_AREA_NAME, MAX_COUNT, MAX_TEXT, slugify
from bot.ids import Action, FormField, FormOption
from bot.replies import MAX_BUTTON_VALUE, Button, CaptureForm, Choice, Field, Reply, ReplyKind, Section
from tests import limits
from tests.limits import activity_violations, card_violations, message_violations, view_violations

PIECES = "<!channel> & *bold* _it_ ~gone~ [x](http://y) <@U123> 😀 👩‍👩‍👧 שלום עולם مرحبا `code` > quote "


def nasty(length: int, seed: str = "") -> str:
    """Exactly `length` characters of the awkward kind, different for each seed."""
    text = (seed + PIECES) * (length // len(PIECES) + 2)
    return text[:length]


def area_name(i: int) -> str:
    return f"Area {i:03d} " + nasty(MAX_AREA_NAME - 9, str(i))


AREAS = tuple(Choice(area_name(i), slugify(area_name(i))) for i in range(100))
BIG = f"{MAX_COUNT:,}"
LONG_VALUE = "v" * MAX_BUTTON_VALUE


def problem_card() -> Reply:
    return Reply(
        text=f"#{MAX_COUNT} {nasty(MAX_TEXT)}",
        kind=ReplyKind.CARD,
        fields=(
            Field("Process area", area_name(7)),
            Field("Impact", "Cost, Delivery, Quality, People"),
            Field("Tally", f"{BIG} times this week · {BIG} times in all"),
            Field("Staff time this week", "24,000,000 hours"),
            Field("Cost this week", "£600,000,000,000.00"),
            Field("Service users affected this week", f"{MAX_COUNT * MAX_COUNT:,}"),
            Field("Details", nasty(2000, "details")),
        ),
        buttons=(
            Button("Happened again", Action.HAPPENED_AGAIN, str(MAX_COUNT), primary=True),
            Button(f"Yes, log it on #{MAX_COUNT}", Action.SAME_AS, LONG_VALUE, primary=True),
            Button(nasty(200, "button"), Action.NOT_SAME, LONG_VALUE),
        ),
        footer=nasty(2000, "footer"),
        problem_number=MAX_COUNT,
    )


def list_line(i: int) -> str:
    return f"#{i} {nasty(150, str(i))} — {BIG} times, 24,000,000 hours, {BIG} users · {area_name(i)} · won't fix"


def long_list(count: int = 25) -> Reply:
    return Reply(
        text=f"Open problems in {area_name(1)}",
        kind=ReplyKind.LIST,
        lines=tuple(list_line(i) for i in range(count)),
        footer=nasty(2000, "list footer"),
    )


def home(count: int = 25) -> Reply:
    return Reply(
        text=nasty(MAX_TEXT, "home"),
        sections=(
            Section(nasty(300, "yours"), tuple(list_line(i) for i in range(count))),
            Section("This week's top problems", tuple(list_line(i) for i in range(count))),
            Section("", ()),
            Section(nasty(200, "empty"), (), empty=nasty(5000, "nothing")),
        ),
        footer=nasty(2000, "home footer"),
    )


REPLIES = {
    "problem card": problem_card(),
    "list of 25": long_list(),
    "list of 2,000": long_list(2000),
    "home": home(),
    "home of 2,000 a section": home(2000),
    "error": Reply(text=nasty(MAX_TEXT, "error"), kind=ReplyKind.ERROR),
    "help": Reply(text="Tally help", kind=ReplyKind.HELP, lines=tuple(nasty(3500, str(i)) for i in range(40))),
    "blank": Reply(text="", lines=("", " "), sections=(Section(" ", ("",)),), footer=" "),
    "many buttons": Reply(
        text="Pick one",
        buttons=tuple(Button(nasty(90, str(i)), Action.SAME_AS, str(i)) for i in range(30))
        + (Button("too long to carry", Action.NOT_SAME, "v" * (MAX_BUTTON_VALUE + 1)),),
    ),
}


def full_form(areas: tuple[Choice, ...] = AREAS, errors: bool = True) -> CaptureForm:
    return CaptureForm(
        values={
            FormField.ISSUE: nasty(MAX_TEXT, "issue"),
            FormField.AREA: AREAS[-1].value,
            FormField.NEW_AREA: area_name(999),
            FormField.OCCURRENCES: str(MAX_COUNT),
            FormField.EFFORT: "23h59m",
            FormField.USERS: str(MAX_COUNT),
            FormField.IMPACTS: ["cost", "delivery", "quality", "people"],
            FormField.OPTIONS: [FormOption.FAILURE_DEMAND.value, FormOption.ANONYMOUS.value],
        },
        areas=areas,
        errors={field: nasty(2000, field.value) for field in FormField} if errors else {},
    )


def block_text(blocks_: list[dict]) -> str:
    return json.dumps(blocks_, ensure_ascii=False)


# --- Slack messages ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", REPLIES)
def test_every_reply_fits_a_slack_message(name):
    reply = REPLIES[name]
    payload = {"text": blocks.fallback_text(reply), "blocks": blocks.reply_blocks(reply)}
    assert message_violations(payload) == []
    assert message_violations({"response_type": "ephemeral", **payload}) == []


def test_a_long_list_is_cut_with_how_many_more():
    rendered = blocks.reply_blocks(long_list(2000))
    assert len(rendered) <= limits.MESSAGE_BLOCKS
    assert limits._text_in_blocks(rendered) <= limits.MESSAGE_BLOCKS_TEXT
    (more,) = [b for b in rendered if b.get("block_id") == "tally_more"]
    shown = sum(b["text"]["text"].count("\n") + 1 for b in rendered if b.get("block_id", "").startswith("tally_lines"))
    assert more["elements"][0]["text"] == f"_…and {2000 - shown:,} more_" and shown > 25
    assert rendered[-1]["block_id"] == "tally_footer"  # the footer and buttons survive the cut


def test_twenty_five_lines_are_all_shown():
    rendered = blocks.reply_blocks(long_list(25))
    assert "tally_more" not in [b.get("block_id") for b in rendered]
    assert all(f"#{i} " in block_text(rendered) for i in range(25))


def test_text_is_escaped_and_cut_without_breaking_an_escape():
    reply = Reply(text="&" * 2000, footer="<" * 3000, fields=(Field("a", ">" * 3000),))
    rendered = blocks.reply_blocks(reply)
    assert message_violations({"text": blocks.fallback_text(reply), "blocks": rendered}) == []
    title = rendered[0]["text"]["text"]
    assert title.endswith("&amp;…") and "<" not in block_text(rendered)
    assert blocks.fallback_text(reply).endswith("&amp;…")
    mrkdwn = texts(blocks.reply_blocks(problem_card()), "mrkdwn")
    assert mrkdwn and not any("<!channel>" in t or "<@U123>" in t for t in mrkdwn)  # they would ping


def texts(node: object, kind: str) -> list[str]:
    """Every text object's text of one kind (plain_text is never parsed for mentions; mrkdwn is)."""
    if isinstance(node, list):
        return [t for item in node for t in texts(item, kind)]
    if not isinstance(node, dict):
        return []
    found = [node["text"]] if node.get("type") == kind else []
    return found + [t for value in node.values() for t in texts(value, kind)]


def test_buttons_keep_their_values_and_action_ids():
    rendered = blocks.reply_blocks(problem_card())
    buttons = [e for b in rendered if b["type"] == "actions" for e in b["elements"]]
    assert [b["value"] for b in buttons] == [str(MAX_COUNT), LONG_VALUE, LONG_VALUE]
    assert buttons[2]["text"]["text"].endswith("…") and len(buttons[2]["text"]["text"]) == 75


def test_repeated_actions_go_in_separate_blocks_and_values_slack_cant_carry_are_left_out():
    rendered = blocks.reply_blocks(REPLIES["many buttons"])
    rows = [b for b in rendered if b["type"] == "actions"]
    assert all(len({e["action_id"] for e in r["elements"]}) == len(r["elements"]) for r in rows)
    values = [e["value"] for r in rows for e in r["elements"]]
    assert len(values) == 25 and all(len(v) <= 2000 for v in values)


# --- Slack views -----------------------------------------------------------------------------------
@pytest.mark.parametrize("areas", [AREAS, AREAS + AREAS[:50], (), AREAS[:1]], ids=["100", "150", "none", "one"])
def test_the_capture_modal_fits_whatever_the_form_holds(areas):
    view = modals.capture_modal(full_form(areas), private_metadata=json.dumps({"channel": "C1", "url": "x" * 500}))
    assert view_violations(view) == []
    select = [b for b in view["blocks"] if b["block_id"] == "area"]
    assert len(select) == (1 if areas else 0)
    for b in select:
        options = b["element"]["options"]
        assert len(options) == min(len(areas), 100)
        assert [o["value"] for o in options] == [a.value for a in areas[:100]]  # never cut: they name the area
        assert max(len(o["text"]["text"]) for o in options) == (75 if len(areas[0].label) > 75 else len(areas[0].label))
    assert len(modals.form_errors(full_form(areas))) == len(FormField) - (0 if areas else 1)
    assert all(0 < len(e) <= 150 for e in modals.form_errors(full_form(areas)).values())


def test_initial_values_fit_their_inputs_and_unusable_metadata_is_left_out():
    form = CaptureForm(values={FormField.ISSUE: "x" * 5000, FormField.EFFORT: "y" * 5000})
    view = modals.capture_modal(form, private_metadata="m" * 3001)
    assert view_violations(view) == []
    issue = next(b for b in view["blocks"] if b["block_id"] == "issue")["element"]
    assert issue["initial_value"] == "x" * issue["max_length"]
    assert view["private_metadata"] == ""


def test_an_area_whose_value_is_too_long_to_offer_is_left_out():
    form = CaptureForm(areas=(Choice("Long", "s" * 151), Choice("Short", "short")))
    view = modals.capture_modal(form)
    assert view_violations(view) == []
    select = next(b for b in view["blocks"] if b["block_id"] == "area")
    assert [o["value"] for o in select["element"]["options"]] == ["short"]


@pytest.mark.parametrize("name", ["home", "home of 2,000 a section", "blank"])
def test_the_home_view_fits(name):
    view = blocks.home_view(REPLIES[name])
    assert view_violations(view) == []
    assert len(view["blocks"]) <= limits.VIEW_BLOCKS


def test_a_long_home_view_ends_with_how_many_more():
    view = blocks.home_view(home(2000))
    texts = block_text(view["blocks"])
    assert "more_" in texts and len(view["blocks"]) == limits.VIEW_BLOCKS


# --- Teams cards -----------------------------------------------------------------------------------
def activity(card: dict) -> dict:
    return {
        "type": "message",
        "from": {"id": "28:tally-bot-app-id", "name": "Tally"},
        "recipient": {"id": "29:" + "u" * 60, "name": nasty(100, "name")},
        "conversation": {"id": "a:" + "c" * 200, "conversationType": "personal", "tenantId": "t" * 36},
        "serviceUrl": "https://smba.trafficmanager.net/uk/",
        "attachments": [{"contentType": limits.ADAPTIVE_CARD, "content": card}],
    }


@pytest.mark.parametrize("name", REPLIES)
def test_every_reply_card_is_valid_and_small_enough(name):
    card = cards.reply_card(REPLIES[name])
    assert card_violations(card) == []
    assert activity_violations(activity(card)) == []


@pytest.mark.parametrize("for_dialog", [False, True], ids=["card", "dialog"])
@pytest.mark.parametrize("areas", [AREAS, AREAS * 5, ()], ids=["100", "500", "none"])
def test_the_capture_card_is_valid_and_small_enough(areas, for_dialog):
    card = cards.capture_card(full_form(areas), for_dialog=for_dialog)
    assert card_violations(card, activity(card)) == []
    assert card["actions"][0]["type"] == ("Action.Submit" if for_dialog else "Action.Execute")
    choices = [b for b in card["body"] if b.get("id") == "area"]
    assert len(choices) == (1 if areas else 0)
    if areas == AREAS:  # all 100 fit
        assert [c["value"] for c in choices[0]["choices"]] == [a.value for a in AREAS]


def test_a_huge_list_card_is_cut_to_fit_and_says_how_many_more():
    reply = Reply(text="All", lines=tuple(nasty(1000, str(i)) for i in range(1000)), footer="f")
    card = cards.reply_card(reply)
    assert card_violations(card) == [] and cards.size(card) <= cards.CARD_BYTES
    more = [b["text"] for b in card["body"] if b.get("text", "").startswith("…and ")]
    assert len(more) == 1 and more[0].endswith(" more")


def test_card_buttons_keep_their_data():
    card = cards.reply_card(problem_card())
    assert [a["data"]["tally_value"] for a in card["actions"]] == [str(MAX_COUNT), LONG_VALUE, LONG_VALUE]
    assert all(a["fallback"]["type"] == "Action.Submit" for a in card["actions"])


# --- the checker catches what it should ------------------------------------------------------------
def test_checker_catches_a_modal_title_over_24_characters():
    view = modals.capture_modal(CaptureForm())
    view["title"]["text"] = "x" * 25
    assert view_violations(view) == ["view.title.text: 25 characters, over Slack's 24"]


def test_checker_catches_an_option_over_75_characters():
    view = modals.capture_modal(CaptureForm(areas=(Choice("Front desk", "front-desk"),)))
    area = next(b for b in view["blocks"] if b["block_id"] == "area")
    area["element"]["options"][0]["text"]["text"] = "o" * 76
    assert view_violations(view) == ["view.blocks[1].element.options[0].text.text: 76 characters, over Slack's 75"]


def test_checker_catches_an_invalid_card():
    card = cards.reply_card(Reply(text="x"))
    card["body"][0]["color"] = "Purple"
    card["body"].append({"type": "TextBlock"})
    card["version"] = "1.6"
    problems = card_violations(card)
    assert problems == [
        "card.body[0].color: 'Purple' is not valid under any of the given schemas",
        "card.body[1]: 'text' is a required property",
        "card.version: '1.6'; Teams renders Adaptive Cards up to 1.5",
    ]
    assert activity_violations(activity(card)) == [f"attachments[0].{p}" for p in problems]


@pytest.mark.parametrize(
    ("fallback", "expected"),
    [
        ({"type": "Action.Bogus", "title": "t"}, "card.actions[0].fallback: {'type': 'Action.Bogus'"),
        ({"type": "Action.Submit", "title": 3}, "card.actions[0].fallback.title: 3 is not of type 'string'"),
        ("nope", "card.actions[0].fallback: 'nope' is neither 'drop' nor an action"),
    ],
)
def test_checker_catches_a_bad_execute_fallback(fallback, expected):
    """The 1.5 schema itself lets any object through as a fallback."""
    card = cards.reply_card(problem_card())
    card["actions"][0]["fallback"] = fallback
    problems = card_violations(card)
    assert any(p.startswith(expected) for p in problems), problems
    card["actions"][0]["fallback"] = "drop"
    assert card_violations(card) == []


def test_checker_catches_a_card_too_big_for_teams():
    card = cards._card([cards._text("x" * 40_000)])
    (problem,) = card_violations(card)
    assert problem.startswith("card: 80,") and "over the 80,000" in problem
    assert activity_violations(activity(card))[-1].startswith("activity: 8")
    assert "over the 80,000" in activity_violations(activity(card))[-1]
    assert card_violations(cards._card([cards._text("x")])) == []


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"text": "x" * 4001}, "text: 4,001 characters, over Slack's 4,000"),
        ({"blocks": [{"type": "divider"}] * 51}, "blocks: 51 blocks, over Slack's 50"),
        ({"blocks": [{"type": "divider", "block_id": "a"}] * 2}, "blocks[1].block_id: 'a' repeats blocks[0]'s"),
        ({"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]}, "blocks[0].text.text"),
        ({"blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}]}, "must be plain_text"),
        ({"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": " "}}]}, "blocks[0].text.text: is empty"),
        ({"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3001}}]}, "3,001 characters"),
        ({"blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}]}, "11 fields"),
        ({"blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}]}, "over Slack's 2,000"),
        ({"blocks": [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}]}, "11 elements"),
        ({"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "s" * 2900}}] * 5}, "msg_blocks_too_long"),
        ({"blocks": json.dumps([{"type": "divider"}] * 51)}, "51 blocks"),  # a form post's JSON string
        ({}, "message: has no text, blocks or attachments"),
    ],
)
def test_checker_catches_message_violations(payload, expected):
    assert any(expected in p for p in message_violations(payload)), message_violations(payload)


def button(**changes) -> dict:
    return {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "b"}, "value": "v", **changes}


@pytest.mark.parametrize(
    ("elements", "expected"),
    [
        ([button(), button()], "elements[1].action_id: 'a' repeats"),
        ([button(action_id=str(i)) for i in range(26)], "26 elements, over Slack's 25"),
        ([button(text={"type": "plain_text", "text": "t" * 76})], "text.text: 76 characters, over Slack's 75"),
        ([button(value="v" * 2001)], "value: 2,001 characters, over Slack's 2,000"),
        ([button(url="http://" + "u" * 3000)], "url: 3,007 characters"),
        ([button(action_id="a" * 256)], "action_id: 256 characters"),
        ([button(style="fancy")], "must be primary or danger"),
    ],
)
def test_checker_catches_button_violations(elements, expected):
    problems = message_violations({"blocks": [{"type": "actions", "elements": elements}]})
    assert any(expected in p for p in problems), problems


def modal_with(element: dict, **block) -> dict:
    label = {"type": "plain_text", "text": "Label"}
    inner = {"type": "input", "block_id": "b", "label": label, "element": element, **block}
    title = {"type": "plain_text", "text": "T"}
    return {"type": "modal", "title": title, "submit": title, "blocks": [inner]}


def options(count: int, text: str = "o", value: str = "v") -> list[dict]:
    return [{"text": {"type": "plain_text", "text": text}, "value": f"{value}{i}"} for i in range(count)]


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        (modal_with({"type": "static_select", "options": options(101)}), "101 options, over Slack's 100"),
        (modal_with({"type": "checkboxes", "options": options(11)}), "11 options, over Slack's 10"),
        (modal_with({"type": "static_select", "options": options(1, value="v" * 151)}), "value: 152 characters"),
        (
            modal_with({"type": "checkboxes", "options": options(2), "initial_options": options(1, value="x")}),
            "'x0' is not one of the options",
        ),
        (modal_with({"type": "plain_text_input", "max_length": 3001}), "max_length: 3001 is not a whole number"),
        (modal_with({"type": "plain_text_input", "max_length": 5, "initial_value": "123456"}), "over the input's"),
        (modal_with({"type": "plain_text_input", "initial_value": "i" * 3001}), "initial_value: 3,001 characters"),
        (
            modal_with({"type": "plain_text_input", "placeholder": {"type": "plain_text", "text": "p" * 151}}),
            "placeholder.text: 151 characters",
        ),
        (modal_with({"type": "plain_text_input"}, hint={"type": "plain_text", "text": "h" * 2001}), "hint.text"),
        (modal_with({"type": "plain_text_input"}, label={"type": "plain_text", "text": ""}), "label.text: is empty"),
        ({**modal_with({"type": "plain_text_input"}), "private_metadata": "m" * 3001}, "private_metadata: 3,001"),
        ({**modal_with({"type": "plain_text_input"}), "callback_id": "c" * 256}, "callback_id: 256 characters"),
        ({**modal_with({"type": "plain_text_input"}), "close": {"type": "plain_text", "text": "c" * 25}}, "close"),
        ({k: v for k, v in modal_with({"type": "plain_text_input"}).items() if k != "submit"}, "needs a submit"),
        ({"type": "home", "blocks": [{"type": "divider"}] * 101}, "101 blocks, over Slack's 100"),
        ({"type": "sheet", "blocks": []}, "must be modal or home"),
    ],
)
def test_checker_catches_view_violations(view, expected):
    problems = view_violations(view)
    assert any(expected in p for p in problems), problems


def test_what_the_renderers_used_to_send_is_caught():
    """The modal's area options were cut at 150 characters; Slack allows 75."""
    old_option = {"text": {"type": "plain_text", "text": area_name(1)[:150], "emoji": True}, "value": "a"}
    view = modal_with({"type": "static_select", "options": [old_option]})
    assert view_violations(view) == ["view.blocks[0].element.options[0].text.text: 100 characters, over Slack's 75"]
