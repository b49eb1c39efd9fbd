"""Pure rendering of the forms as Slack modals (the capture form, the idea form), within Block Kit's limits,
and their errors as `response_action: errors` wants them."""

from __future__ import annotations

from bot import form_text as wording
from bot.ids import FormField, IdeaField
from bot.replies import CaptureForm, Choice, Form, IdeaForm

from .blocks import (
    EMPTY,
    ERROR_TEXT,
    FOOTER_TEXT,
    INPUT_VALUE,
    LABEL,
    OPTION_TEXT,
    OPTION_VALUE,
    PLACEHOLDER,
    PRIVATE_METADATA,
    SELECT_OPTIONS,
    VIEW_TITLE,
    cut,
    escaped,
    mrkdwn,
    plain,
)
from .ids import BlockId, CallbackId


def _option(label: str, value: str) -> dict:
    return {"text": plain(label, OPTION_TEXT, fallback=cut(value, OPTION_TEXT) or EMPTY), "value": value}


def _area_options(areas: tuple[Choice, ...]) -> list[dict]:
    """Areas Slack can offer: a value over 150 characters can't be cut (it names the area), so it is left out."""
    return [_option(a.label, a.value) for a in areas if 0 < len(a.value) <= OPTION_VALUE][:SELECT_OPTIONS]


def _input(field: FormField | IdeaField, label: str, element: dict, optional: bool = True, hint: str = "") -> dict:
    block = {
        "type": "input",
        "block_id": field.value,
        "label": plain(label, LABEL),
        "optional": optional,
        "element": {**element, "action_id": field.value},
    }
    if hint:
        block["hint"] = plain(hint, LABEL)
    return block


def _text_input(
    form: Form, field: FormField | IdeaField, placeholder: str, multiline: bool = False, max_length: int | None = None
) -> dict:
    element: dict = {
        "type": "plain_text_input",
        "multiline": multiline,
        "placeholder": plain(placeholder, PLACEHOLDER),
    }
    if max_length is not None:
        element["max_length"] = min(max_length, INPUT_VALUE)
    value = form.values.get(field)
    if isinstance(value, str) and value:
        element["initial_value"] = value[: element.get("max_length", INPUT_VALUE)]  # what they typed: no ellipsis
    return element


def _checkboxes(form: Form, field: FormField | IdeaField, options: list[dict]) -> dict:
    element: dict = {"type": "checkboxes", "options": options}
    chosen = set(form.values.get(field) or ())
    initial = [o for o in options if o["value"] in chosen]
    if initial:
        element["initial_options"] = initial
    return element


def capture_modal(form: CaptureForm, private_metadata: str = "") -> dict:
    """The capture form as a modal; block and action ids are the neutral FormField ids."""
    issue = _text_input(
        form, FormField.ISSUE, wording.PLACEHOLDERS[FormField.ISSUE], True, max_length=wording.ISSUE_MAX_LENGTH
    )
    blocks = [_input(FormField.ISSUE, wording.LABELS[FormField.ISSUE], issue, optional=False)]
    areas = _area_options(form.areas)
    if areas:
        select: dict = {
            "type": "static_select",
            "placeholder": plain(wording.PLACEHOLDERS[FormField.AREA], PLACEHOLDER),
            "options": areas,
        }
        blocks.append(_input(FormField.AREA, wording.LABELS[FormField.AREA], select))
    blocks += [
        _input(
            FormField.NEW_AREA,
            wording.new_area_label(bool(areas)),
            _text_input(form, FormField.NEW_AREA, wording.PLACEHOLDERS[FormField.NEW_AREA]),
        ),
        _input(
            FormField.IMPACTS,
            wording.LABELS[FormField.IMPACTS],
            _checkboxes(form, FormField.IMPACTS, [_option(label, value) for label, value in wording.IMPACT_CHOICES]),
        ),
        _input(
            FormField.OCCURRENCES,
            wording.LABELS[FormField.OCCURRENCES],
            _text_input(form, FormField.OCCURRENCES, wording.PLACEHOLDERS[FormField.OCCURRENCES]),
            hint=wording.OCCURRENCES_HINT,
        ),
        _input(
            FormField.EFFORT,
            wording.LABELS[FormField.EFFORT],
            _text_input(form, FormField.EFFORT, wording.PLACEHOLDERS[FormField.EFFORT]),
        ),
        _input(
            FormField.USERS,
            wording.LABELS[FormField.USERS],
            _text_input(form, FormField.USERS, wording.PLACEHOLDERS[FormField.USERS]),
        ),
        _input(
            FormField.OPTIONS,
            wording.LABELS[FormField.OPTIONS],
            _checkboxes(form, FormField.OPTIONS, [_option(label, value) for label, value in wording.OPTION_CHOICES]),
        ),
    ]
    return {
        "type": "modal",
        "callback_id": CallbackId.CAPTURE_MODAL.value,
        "title": plain(wording.TITLE, VIEW_TITLE),
        "submit": plain(wording.SUBMIT, VIEW_TITLE),
        "close": plain("Cancel", VIEW_TITLE),
        "private_metadata": _metadata(private_metadata),
        "blocks": blocks,
    }


def _metadata(private_metadata: str) -> str:
    """JSON that can't be cut: past Slack's limit, leave it out (the reply then comes as a direct message)."""
    return private_metadata if len(private_metadata) <= PRIVATE_METADATA else ""


def idea_modal(form: IdeaForm, private_metadata: str = "") -> dict:
    """The idea form ('Propose a fix') as a modal; block and action ids are the neutral IdeaField ids."""
    text = _text_input(
        form, IdeaField.TEXT, wording.IDEA_PLACEHOLDERS[IdeaField.TEXT], True, max_length=wording.IDEA_MAX_LENGTH
    )
    fixes = _text_input(
        form, IdeaField.FIXES, wording.IDEA_PLACEHOLDERS[IdeaField.FIXES], max_length=wording.FIXES_MAX_LENGTH
    )
    options = [_option(label, value) for label, value in wording.IDEA_OPTION_CHOICES]
    blocks = [
        {
            "type": "context",
            "block_id": BlockId.TITLE.value,
            "elements": [mrkdwn(escaped(wording.idea_intro(form.problems), FOOTER_TEXT))],
        },
        _input(IdeaField.TEXT, wording.IDEA_LABELS[IdeaField.TEXT], text, optional=False),
        _input(IdeaField.FIXES, wording.IDEA_LABELS[IdeaField.FIXES], fixes, hint=wording.FIXES_HINT),
        _input(
            IdeaField.OPTIONS, wording.IDEA_LABELS[IdeaField.OPTIONS], _checkboxes(form, IdeaField.OPTIONS, options)
        ),
    ]
    return {
        "type": "modal",
        "callback_id": CallbackId.IDEA_MODAL.value,
        "title": plain(wording.IDEA_TITLE, VIEW_TITLE),
        "submit": plain(wording.IDEA_SUBMIT, VIEW_TITLE),
        "close": plain("Cancel", VIEW_TITLE),
        "private_metadata": _metadata(private_metadata),
        "blocks": blocks,
    }


def form_modal(form: Form, private_metadata: str = "") -> dict:
    """Whichever form it is, as its modal."""
    if isinstance(form, IdeaForm):
        return idea_modal(form, private_metadata)
    return capture_modal(form, private_metadata)


def form_errors(form: Form) -> dict[str, str]:
    """response_action=errors wants block id -> message, for blocks the modal really has."""
    present: set[FormField | IdeaField]
    if isinstance(form, IdeaForm):
        present = set(IdeaField)
    else:
        present = {FormField.AREA} if _area_options(form.areas) else set()
        present |= set(FormField) - {FormField.AREA}
    errors: dict = form.errors
    return {field.value: cut(message, ERROR_TEXT) or EMPTY for field, message in errors.items() if field in present}
