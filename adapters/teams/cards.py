"""Pure rendering: a neutral Reply or form (CaptureForm, IdeaForm) in, plain Adaptive Card 1.5 JSON out.

Whatever a reply holds, the card is valid against the Adaptive Card 1.5 schema and small enough for
Teams (tests/limits.py checks both): Teams takes a bot message of about 100 KB counted as UTF-16 and
asks to stay within 80 KB, so a card is kept within CARD_BYTES, leaving room for the activity around
it. Long text is cut with an ellipsis, long lists end with "…and N more", and a button's data is
never cut (the press would do something else).
"""

from __future__ import annotations

import json
from typing import Any

from bot import form_text as wording
from bot.ids import FormField, IdeaField
from bot.replies import Button, CaptureForm, Form, IdeaForm, Reply, ReplyKind, Section

from .ids import CardVerb, DataKey

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"

CARD_BYTES = 70_000  # the card as UTF-16; the activity carrying it stays under Teams' 80 KB
TITLE_TEXT = 3000
FACT_TITLE = 150
FACT_VALUE = 2000
FOOTER_TEXT = 2000
ERROR_TEXT = 500  # a field's error: room enough to say what was wrong and how to write it
BUTTON_TITLE = 75
CHOICE_TITLE = 100
INPUT_VALUE = 1000  # what was typed into a field without a maxLength, shown again
LINES_BUDGETS = (20_000, 8_000, 2_000, 0)  # characters of list lines, tried in turn until the card fits
CHOICES_BUDGETS = (28_000, 12_000, 4_000, 0)  # characters of area choices, likewise
COMPACT_TEXT = 500  # the last resort: every text cut to this
ELLIPSIS = "…"


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def size(card: dict[str, Any]) -> int:
    """Bytes of the card's JSON as UTF-16, as Teams counts a message."""
    return len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode("utf-16-le"))


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    card: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body}
    if actions:
        card["actions"] = actions
    return card


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def execute(title: str, verb: str, data: dict[str, Any], primary: bool = False) -> dict[str, Any]:
    """Action.Execute (Universal Actions), falling back to Action.Submit on older clients."""
    payload = {**data, DataKey.ACTION.value: data.get(DataKey.ACTION.value, verb)}
    title = _cut(title, BUTTON_TITLE)
    action: dict[str, Any] = {
        "type": "Action.Execute",
        "title": title,
        "verb": verb,
        "data": payload,
        "fallback": {"type": "Action.Submit", "title": title, "data": payload},
    }
    if primary:
        action["style"] = "positive"
    return action


def _button(button: Button) -> dict[str, Any]:
    data = {DataKey.ACTION.value: button.action.value, DataKey.VALUE.value: button.value}
    return execute(button.label, button.action.value, data, button.primary)


def _list_blocks(reply: Reply, budget: int, text_limit: int) -> list[dict[str, Any]]:
    """The reply's lines and sections, within `budget` characters of lines; the rest is counted."""
    blocks: list[dict[str, Any]] = []
    left_out = 0

    def take(lines: tuple[str, ...]) -> list[str]:
        nonlocal budget, left_out
        kept = []
        for line in lines:
            line = _cut(line, text_limit)
            if left_out or len(line) > budget:
                left_out += 1
                continue
            kept.append(line)
            budget -= len(line)
        return kept

    lines = take(reply.lines)
    if lines:
        blocks.append(_text("\n\n".join(lines)))
    for section in reply.sections:
        kept = take(section.lines)
        if section.lines and not kept:
            continue  # nothing of it fits: counted in "…and N more"
        blocks.append(_text(_cut(section.heading, text_limit) or ELLIPSIS, weight="Bolder", separator=True))
        blocks.append(_section_text(section, kept, text_limit))
    if left_out:
        blocks.append(_text(f"…and {left_out:,} more", isSubtle=True, size="Small"))
    return blocks


def _section_text(section: Section, kept: list[str], text_limit: int) -> dict[str, Any]:
    if kept:
        return _text("\n\n".join(kept))
    return _text(_cut(section.empty, text_limit), isSubtle=True)


def _reply_card(reply: Reply, lines_budget: int, compact: bool = False) -> dict[str, Any]:
    limit = COMPACT_TEXT if compact else TITLE_TEXT
    attention = reply.kind is ReplyKind.ERROR
    body = [
        _text(
            _cut(reply.text, limit),
            weight="Bolder",
            size="Medium" if reply.problem_number else "Default",
            **({"color": "Attention"} if attention else {}),
        )
    ]
    if reply.fields:
        facts = [
            {"title": _cut(f.label, FACT_TITLE), "value": _cut(f.value, min(limit, FACT_VALUE))} for f in reply.fields
        ]
        body.append({"type": "FactSet", "facts": facts})
    body += _list_blocks(reply, lines_budget, min(limit, TITLE_TEXT))
    if reply.footer:
        body.append(_text(_cut(reply.footer, min(limit, FOOTER_TEXT)), isSubtle=True, size="Small"))
    card = _card(body, [_button(b) for b in reply.buttons])
    while compact and card.get("actions") and size(card) > CARD_BYTES:
        card["actions"].pop()  # data that can't be cut: leave the button out
        if not card["actions"]:
            del card["actions"]
    return card


def reply_card(reply: Reply) -> dict[str, Any]:
    for budget in LINES_BUDGETS:
        card = _reply_card(reply, budget)
        if size(card) <= CARD_BYTES:
            return card
    return _reply_card(reply, 0, compact=True)


def _input_text(form: Form, field: FormField | IdeaField, label: str, placeholder: str, **extra: Any) -> dict[str, Any]:
    value = form.values.get(field)
    element = {"type": "Input.Text", "id": field.value, "label": label, "placeholder": placeholder, **extra}
    if isinstance(value, str) and value:
        element["value"] = value[: extra.get("maxLength", INPUT_VALUE)]  # what they typed: no ellipsis
    return element


def _choices(
    form: Form, field: FormField | IdeaField, label: str, options: list[tuple[str, str]], multi: bool
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "Input.ChoiceSet",
        "id": field.value,
        "label": label,
        "isMultiSelect": multi,
        "style": "expanded" if multi else "compact",
        "choices": [{"title": _cut(title, CHOICE_TITLE) or value, "value": value} for title, value in options],
    }
    chosen = form.values.get(field)
    if chosen:
        value = ",".join(map(str, chosen)) if isinstance(chosen, list | tuple) else str(chosen)
        element["value"] = value[:INPUT_VALUE]
    return element


def _with_error(form: Form, field: FormField | IdeaField, element: dict[str, Any]) -> list[dict[str, Any]]:
    error = form.errors.get(field)  # type: ignore[arg-type]
    if not error:
        return [element]
    return [element, _text(_cut(error, ERROR_TEXT), color="Attention", size="Small", spacing="None")]


def _area_options(form: CaptureForm, budget: int) -> list[tuple[str, str]]:
    """As many areas as fit in `budget` characters, in order."""
    kept = []
    for area in form.areas:
        title = _cut(area.label, CHOICE_TITLE)
        budget -= len(title) + len(area.value)
        if budget < 0:
            break
        kept.append((title, area.value))
    return kept


def _capture_card(form: CaptureForm, for_dialog: bool, choices_budget: int) -> dict[str, Any]:
    body: list[dict[str, Any]] = [_text(wording.TITLE, weight="Bolder", size="Medium")]
    if form.errors:
        body.append(_text("Some answers need another look.", color="Attention"))
    issue = _input_text(
        form,
        FormField.ISSUE,
        wording.LABELS[FormField.ISSUE],
        wording.PLACEHOLDERS[FormField.ISSUE],
        isMultiline=True,
        maxLength=wording.ISSUE_MAX_LENGTH,
        isRequired=True,
        errorMessage=wording.ISSUE_REQUIRED,
    )
    body += _with_error(form, FormField.ISSUE, issue)
    areas = _area_options(form, choices_budget)
    if areas:
        body += _with_error(
            form, FormField.AREA, _choices(form, FormField.AREA, wording.LABELS[FormField.AREA], areas, False)
        )
    new_area = _input_text(
        form, FormField.NEW_AREA, wording.new_area_label(bool(areas)), wording.PLACEHOLDERS[FormField.NEW_AREA]
    )
    body += _with_error(form, FormField.NEW_AREA, new_area)
    impacts = _choices(form, FormField.IMPACTS, wording.LABELS[FormField.IMPACTS], list(wording.IMPACT_CHOICES), True)
    body += _with_error(form, FormField.IMPACTS, impacts)
    for field in (FormField.OCCURRENCES, FormField.EFFORT, FormField.USERS):
        element = _input_text(form, field, wording.LABELS[field], wording.PLACEHOLDERS[field])
        body += _with_error(form, field, element)
    options = _choices(form, FormField.OPTIONS, wording.LABELS[FormField.OPTIONS], list(wording.OPTION_CHOICES), True)
    body += _with_error(form, FormField.OPTIONS, options)
    return _card(body, [_submit(wording.SUBMIT, CardVerb.SUBMIT_FORM, for_dialog)])


def _submit(title: str, verb: CardVerb, for_dialog: bool) -> dict[str, Any]:
    """A form's submit button: Action.Execute with an Action.Submit fallback; a dialog takes Action.Submit only."""
    data = {DataKey.ACTION.value: verb.value}
    if for_dialog:
        return {"type": "Action.Submit", "title": title, "style": "positive", "data": data}
    return execute(title, verb.value, data, primary=True)


def capture_card(form: CaptureForm, for_dialog: bool = False) -> dict[str, Any]:
    """The capture form; in a dialog (task module) it must submit with Action.Submit."""
    for budget in CHOICES_BUDGETS:
        card = _capture_card(form, for_dialog, budget)
        if size(card) <= CARD_BYTES:
            return card
    return card


def idea_form_card(form: IdeaForm, for_dialog: bool = False) -> dict[str, Any]:
    """The idea form ('Propose a fix'); its inputs' ids are the neutral IdeaField ids. Every text in it is bounded
    (the intro names at most ten problems, typed values are cut to their inputs' maxLength, errors to
    ERROR_TEXT), so it is far inside CARD_BYTES whatever it holds."""
    body: list[dict[str, Any]] = [
        _text(wording.IDEA_TITLE, weight="Bolder", size="Medium"),
        _text(wording.idea_intro(form.problems), isSubtle=True, spacing="None"),
    ]
    if form.errors:
        body.append(_text("Some answers need another look.", color="Attention"))
    text = _input_text(
        form,
        IdeaField.TEXT,
        wording.IDEA_LABELS[IdeaField.TEXT],
        wording.IDEA_PLACEHOLDERS[IdeaField.TEXT],
        isMultiline=True,
        maxLength=wording.IDEA_MAX_LENGTH,
        isRequired=True,
        errorMessage=wording.IDEA_REQUIRED,
    )
    body += _with_error(form, IdeaField.TEXT, text)
    fixes = _input_text(
        form,
        IdeaField.FIXES,
        wording.IDEA_LABELS[IdeaField.FIXES],
        wording.IDEA_PLACEHOLDERS[IdeaField.FIXES],
        maxLength=wording.FIXES_MAX_LENGTH,
    )
    body += _with_error(form, IdeaField.FIXES, fixes)
    body.append(_text(wording.FIXES_HINT, isSubtle=True, size="Small", spacing="None"))
    options = _choices(
        form, IdeaField.OPTIONS, wording.IDEA_LABELS[IdeaField.OPTIONS], list(wording.IDEA_OPTION_CHOICES), True
    )
    body += _with_error(form, IdeaField.OPTIONS, options)
    return _card(body, [_submit(wording.IDEA_SUBMIT, CardVerb.SUBMIT_IDEA_FORM, for_dialog)])


def form_card(form: Form, for_dialog: bool = False) -> dict[str, Any]:
    """Whichever form it is, as its card."""
    if isinstance(form, IdeaForm):
        return idea_form_card(form, for_dialog)
    return capture_card(form, for_dialog)
