"""Pure rendering: a neutral Reply or CaptureForm in, Block Kit JSON out."""

from __future__ import annotations

from bot import form_text as wording
from bot.ids import FormField
from bot.replies import CaptureForm, Reply, Section

from .ids import BlockId, CallbackId

TEXT_LIMIT = 2900  # a section's text may hold 3,000 characters


def escape(text: str) -> str:
    """Slack mrkdwn treats &, < and > as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str) -> dict:
    return {"type": "plain_text", "text": text[:150] or " ", "emoji": True}


def _section(text: str, block_id: str | None = None) -> dict:
    block = {"type": "section", "text": {"type": "mrkdwn", "text": text[:TEXT_LIMIT]}}
    if block_id:
        block["block_id"] = block_id
    return block


def _chunks(lines: tuple[str, ...]) -> list[str]:
    """Join lines into texts that each fit one section."""
    chunks, current = [], ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > TEXT_LIMIT and current:
            chunks.append(current)
            candidate = line
        current = candidate
    return chunks + ([current] if current else [])


def _section_blocks(section: Section, index: int) -> list[dict]:
    body = [escape(line) for line in section.lines] or [f"_{escape(section.empty)}_"]
    blocks = [{"type": "header", "block_id": f"tally_section_{index}", "text": _plain(section.heading)}]
    return blocks + [_section(text) for text in _chunks(tuple(body))]


def reply_blocks(reply: Reply) -> list[dict]:
    title = escape(reply.text)
    blocks = [_section(f"*{title}*" if reply.problem_number is not None else title, BlockId.TITLE)]
    if reply.fields:
        blocks.append(
            {
                "type": "section",
                "block_id": BlockId.FIELDS,
                "fields": [
                    {"type": "mrkdwn", "text": f"*{escape(f.label)}*\n{escape(f.value)}"} for f in reply.fields[:10]
                ],
            }
        )
    for i, text in enumerate(_chunks(tuple(escape(line) for line in reply.lines))):
        blocks.append(_section(text, f"{BlockId.LINES}_{i}"))
    for i, section in enumerate(reply.sections):
        blocks += _section_blocks(section, i)
    if reply.buttons:
        blocks.append(
            {
                "type": "actions",
                "block_id": BlockId.ACTIONS,
                "elements": [
                    {
                        "type": "button",
                        "action_id": b.action.value,
                        "text": _plain(b.label),
                        "value": b.value,
                        **({"style": "primary"} if b.primary else {}),
                    }
                    for b in reply.buttons
                ],
            }
        )
    if reply.footer:
        blocks.append(
            {
                "type": "context",
                "block_id": BlockId.FOOTER,
                "elements": [{"type": "mrkdwn", "text": escape(reply.footer)}],
            }
        )
    return blocks


def fallback_text(reply: Reply) -> str:
    """What notifications and screen readers show instead of the blocks; escaped, or '<!channel>' would ping."""
    return escape(reply.text[:3000])


def _option(label: str, value: str) -> dict:
    return {"text": _plain(label), "value": value}


def _input(field: FormField, label: str, element: dict, optional: bool = True, hint: str = "") -> dict:
    block = {
        "type": "input",
        "block_id": field.value,
        "label": _plain(label),
        "optional": optional,
        "element": {**element, "action_id": field.value},
    }
    if hint:
        block["hint"] = _plain(hint)
    return block


def _text_input(form: CaptureForm, field: FormField, placeholder: str, multiline: bool = False) -> dict:
    element: dict = {"type": "plain_text_input", "multiline": multiline, "placeholder": _plain(placeholder)}
    value = form.values.get(field)
    if isinstance(value, str) and value:
        element["initial_value"] = value
    return element


def _checkboxes(form: CaptureForm, field: FormField, options: list[dict]) -> dict:
    element: dict = {"type": "checkboxes", "options": options}
    chosen = set(form.values.get(field) or ())
    initial = [o for o in options if o["value"] in chosen]
    if initial:
        element["initial_options"] = initial
    return element


def capture_modal(form: CaptureForm, private_metadata: str = "") -> dict:
    """The capture form as a modal; block and action ids are the neutral FormField ids."""
    issue = _text_input(form, FormField.ISSUE, wording.PLACEHOLDERS[FormField.ISSUE], True)
    blocks = [
        _input(
            FormField.ISSUE,
            wording.LABELS[FormField.ISSUE],
            {**issue, "max_length": wording.ISSUE_MAX_LENGTH},
            optional=False,
        )
    ]
    if form.areas:
        select: dict = {
            "type": "static_select",
            "placeholder": _plain(wording.PLACEHOLDERS[FormField.AREA]),
            "options": [_option(a.label, a.value) for a in form.areas[:100]],
        }
        blocks.append(_input(FormField.AREA, wording.LABELS[FormField.AREA], select))
    blocks += [
        _input(
            FormField.NEW_AREA,
            wording.new_area_label(bool(form.areas)),
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
        "title": _plain(wording.TITLE),
        "submit": _plain(wording.SUBMIT),
        "close": _plain("Cancel"),
        "private_metadata": private_metadata,
        "blocks": blocks,
    }


def form_errors(form: CaptureForm) -> dict[str, str]:
    """response_action=errors wants block id -> message, for blocks the modal really has."""
    present = {FormField.AREA} if form.areas else set()
    present |= set(FormField) - {FormField.AREA}
    return {field.value: message[:150] for field, message in form.errors.items() if field in present}


def home_view(reply: Reply) -> dict:
    blocks = [_section(f"*{escape(reply.text)}*", BlockId.HOME_INTRO)]
    for i, section in enumerate(reply.sections):
        blocks += _section_blocks(section, i)
    if reply.footer:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(reply.footer)}]})
    return {"type": "home", "blocks": blocks}
