"""Block Kit rendering is pure: neutral replies and forms in, Slack JSON out."""

from __future__ import annotations

from adapters.slack import blocks, modals
from bot.ids import Action, FormField
from bot.replies import Button, CaptureForm, Choice, Field, Reply, ReplyKind, Section


def test_card_renders_title_fields_buttons_and_escapes():
    reply = Reply(
        text="#3 Letters <lost> & late",
        kind=ReplyKind.CARD,
        fields=(Field("Staff time this week", "8.5 hours"),),
        buttons=(Button("Happened again", Action.HAPPENED_AGAIN, "3", primary=True),),
        footer="Logged.",
        problem_number=3,
    )
    rendered = blocks.reply_blocks(reply)
    assert rendered[0]["text"]["text"] == "*#3 Letters &lt;lost&gt; &amp; late*"
    assert rendered[1]["fields"][0]["text"] == "*Staff time this week*\n8.5 hours"
    button = rendered[2]["elements"][0]
    assert (button["action_id"], button["value"], button["style"]) == ("problem_happened_again", "3", "primary")
    assert rendered[3]["type"] == "context"


def test_long_lists_are_split_into_sections_that_fit():
    reply = Reply(text="Open problems", lines=tuple(f"#{i} " + "x" * 90 for i in range(100)))
    sections = [b for b in blocks.reply_blocks(reply) if b.get("block_id", "").startswith("tally_lines")]
    assert len(sections) > 1 and all(len(s["text"]["text"]) <= 3000 for s in sections)


def test_modal_without_areas_has_no_empty_select():
    view = modals.capture_modal(CaptureForm(values={FormField.ISSUE: "prefilled"}))
    ids = [b["block_id"] for b in view["blocks"]]
    assert "area" not in ids and ids[0] == "issue"
    assert view["blocks"][0]["element"]["initial_value"] == "prefilled"


def test_modal_with_areas_and_errors():
    form = CaptureForm(areas=(Choice("Front desk", "front-desk"),), errors={FormField.EFFORT: "too long " * 40})
    view = modals.capture_modal(form, private_metadata='{"channel": "C1"}')
    select = next(b for b in view["blocks"] if b["block_id"] == "area")
    assert select["element"]["options"][0]["value"] == "front-desk"
    errors = modals.form_errors(form)
    assert list(errors) == ["effort"] and len(errors["effort"]) <= 150
    assert modals.form_errors(CaptureForm(errors={FormField.AREA: "x"})) == {}


def test_home_view():
    view = blocks.home_view(Reply(text="Tally", sections=(Section("Yours", ()), Section("Top", ("1. #1 a",)))))
    assert view["type"] == "home"
    texts = [b.get("text", {}).get("text", "") for b in view["blocks"]]
    assert "_Nothing yet._" in texts and "1. #1 a" in texts
