"""Adaptive Card rendering is pure: neutral replies and forms in, plain card JSON out."""

from __future__ import annotations

from adapters.teams import cards
from bot.ids import Action, FormField
from bot.replies import Button, CaptureForm, Choice, Field, Reply, ReplyKind, Section


def test_problem_card_has_facts_and_an_execute_button_with_submit_fallback():
    reply = Reply(
        text="#3 Letters late",
        kind=ReplyKind.CARD,
        fields=(Field("Staff time this week", "8.5 hours"),),
        buttons=(Button("Happened again", Action.HAPPENED_AGAIN, "3", primary=True),),
        problem_number=3,
    )
    card = cards.reply_card(reply)
    assert card["version"] == "1.5" and card["$schema"].startswith("http://adaptivecards.io")
    assert card["body"][1] == {"type": "FactSet", "facts": [{"title": "Staff time this week", "value": "8.5 hours"}]}
    (action,) = card["actions"]
    assert action["type"] == "Action.Execute" and action["verb"] == "problem_happened_again"
    assert action["data"] == {"tally_action": "problem_happened_again", "tally_value": "3"}
    assert action["fallback"] == {"type": "Action.Submit", "title": "Happened again", "data": action["data"]}


def test_errors_are_shown_in_attention_colour():
    card = cards.reply_card(Reply(text="'x0' isn't a number", kind=ReplyKind.ERROR))
    assert card["body"][0]["color"] == "Attention" and "actions" not in card


def test_sections_and_empty_sections():
    card = cards.reply_card(Reply(text="Home", sections=(Section("Yours", ()), Section("Top", ("1. #1 a",)))))
    texts = [b["text"] for b in card["body"]]
    assert texts == ["Home", "Yours", "Nothing yet.", "Top", "1. #1 a"]


def test_capture_card_shows_values_and_errors():
    form = CaptureForm(
        values={FormField.ISSUE: "Printer", FormField.IMPACTS: ["cost", "quality"]},
        areas=(Choice("Front desk", "front-desk"),),
        errors={FormField.OCCURRENCES: "Write how many times as x17."},
    )
    card = cards.capture_card(form)
    inputs = {b["id"]: b for b in card["body"] if "id" in b}
    assert inputs["issue"]["value"] == "Printer" and inputs["impacts"]["value"] == "cost,quality"
    assert inputs["area"]["choices"] == [{"title": "Front desk", "value": "front-desk"}]
    position = [b.get("id") for b in card["body"]].index("occurrences")
    assert card["body"][position + 1]["color"] == "Attention"
    assert card["actions"][0]["type"] == "Action.Execute"
    assert cards.capture_card(form, for_dialog=True)["actions"][0]["type"] == "Action.Submit"
