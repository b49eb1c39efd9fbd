"""Pure rendering: a neutral Reply or CaptureForm in, plain Adaptive Card 1.5 JSON out."""

from __future__ import annotations

from typing import Any

from bot import form_text as wording
from bot.ids import FormField
from bot.replies import Button, CaptureForm, Reply, ReplyKind

from .ids import CardVerb, DataKey

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"


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


def reply_card(reply: Reply) -> dict[str, Any]:
    attention = reply.kind is ReplyKind.ERROR
    body = [
        _text(
            reply.text,
            weight="Bolder",
            size="Medium" if reply.problem_number else "Default",
            **({"color": "Attention"} if attention else {}),
        )
    ]
    if reply.fields:
        body.append({"type": "FactSet", "facts": [{"title": f.label, "value": f.value} for f in reply.fields]})
    if reply.lines:
        body.append(_text("\n\n".join(reply.lines)))
    for section in reply.sections:
        body.append(_text(section.heading, weight="Bolder", separator=True))
        body.append(_text("\n\n".join(section.lines) if section.lines else section.empty, isSubtle=not section.lines))
    if reply.footer:
        body.append(_text(reply.footer, isSubtle=True, size="Small"))
    return _card(body, [_button(b) for b in reply.buttons])


def _input_text(form: CaptureForm, field: FormField, label: str, placeholder: str, **extra: Any) -> dict[str, Any]:
    value = form.values.get(field)
    element = {"type": "Input.Text", "id": field.value, "label": label, "placeholder": placeholder, **extra}
    if isinstance(value, str) and value:
        element["value"] = value
    return element


def _choices(
    form: CaptureForm, field: FormField, label: str, options: list[tuple[str, str]], multi: bool
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "Input.ChoiceSet",
        "id": field.value,
        "label": label,
        "isMultiSelect": multi,
        "style": "expanded" if multi else "compact",
        "choices": [{"title": title, "value": value} for title, value in options],
    }
    chosen = form.values.get(field)
    if chosen:
        element["value"] = ",".join(chosen) if isinstance(chosen, list | tuple) else str(chosen)
    return element


def _with_error(form: CaptureForm, field: FormField, element: dict[str, Any]) -> list[dict[str, Any]]:
    error = form.errors.get(field)
    return [element] + ([_text(error, color="Attention", size="Small", spacing="None")] if error else [])


def capture_card(form: CaptureForm, for_dialog: bool = False) -> dict[str, Any]:
    """The capture form; in a dialog (task module) it must submit with Action.Submit."""
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
    if form.areas:
        areas = [(a.label, a.value) for a in form.areas]
        body += _with_error(
            form, FormField.AREA, _choices(form, FormField.AREA, wording.LABELS[FormField.AREA], areas, False)
        )
    new_area = _input_text(
        form, FormField.NEW_AREA, wording.new_area_label(bool(form.areas)), wording.PLACEHOLDERS[FormField.NEW_AREA]
    )
    body += _with_error(form, FormField.NEW_AREA, new_area)
    impacts = _choices(form, FormField.IMPACTS, wording.LABELS[FormField.IMPACTS], list(wording.IMPACT_CHOICES), True)
    body += _with_error(form, FormField.IMPACTS, impacts)
    for field in (FormField.OCCURRENCES, FormField.EFFORT, FormField.USERS):
        element = _input_text(form, field, wording.LABELS[field], wording.PLACEHOLDERS[field])
        body += _with_error(form, field, element)
    options = _choices(form, FormField.OPTIONS, wording.LABELS[FormField.OPTIONS], list(wording.OPTION_CHOICES), True)
    body += _with_error(form, FormField.OPTIONS, options)
    data = {DataKey.ACTION.value: CardVerb.SUBMIT_FORM.value}
    if for_dialog:
        submit = {"type": "Action.Submit", "title": wording.SUBMIT, "style": "positive", "data": data}
    else:
        submit = execute(wording.SUBMIT, CardVerb.SUBMIT_FORM.value, data, primary=True)
    return _card(body, [submit])
