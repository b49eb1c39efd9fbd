"""Checks that what Tally sends fits Slack's Block Kit limits and Teams' Adaptive Card 1.5 schema.

Every function returns readable violations, each naming where it is (`blocks[3].elements[0].text: …`);
an empty list means the payload fits. Sources of the numbers:

- Slack: docs.slack.dev/reference/block-kit (blocks, block elements, composition objects, views) and
  the chat.postMessage reference. `text` may hold 40,000 characters but Slack truncates long messages
  and recommends 4,000, so 4,000 is the limit here. Context blocks have no text limit of their own:
  their text objects' 3,000 applies. Lengths are counted in characters (code points), as Slack's
  docs say, and as bot.replies.MAX_BUTTON_VALUE is.
- Slack rejects a message whose blocks hold too much text in all (`msg_blocks_too_long`, about
  13,000 characters; undocumented: slackapi/bolt-js#2509), so messages are held to 12,000.
- Teams: learn.microsoft.com "Format your bot messages": a bot message may be about 100 KB, counted
  as UTF-16 and with Base64 images excluded; keep it within 80 KB to be sure it is delivered (over
  the limit the connector answers 413 MessageSizeTooBig). Older versions of that page said 40 KB,
  and Teams' user-post limit is about 28 KB; Tally's cards stay far below all of them.
- The Adaptive Card 1.5 schema: tests/schemas/adaptive-card-1.5.0.json (see its README), validated
  with the JSON Schema draft it declares (draft-06).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema

SCHEMAS = Path(__file__).parent / "schemas"
ADAPTIVE_CARD_SCHEMA = SCHEMAS / "adaptive-card-1.5.0.json"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"

# --- Slack -----------------------------------------------------------------------------------
MESSAGE_TEXT = 4_000
MESSAGE_BLOCKS = 50
MESSAGE_BLOCKS_TEXT = 12_000  # undocumented msg_blocks_too_long, see above
VIEW_BLOCKS = 100
VIEW_TITLE = 24  # modal title, submit and close
PRIVATE_METADATA = 3_000
CALLBACK_ID = 255
EXTERNAL_ID = 255
BLOCK_ID = 255
ACTION_ID = 255
TEXT_OBJECT = 3_000  # any text object, unless a tighter limit applies
SECTION_TEXT = 3_000
SECTION_FIELDS = 10
FIELD_TEXT = 2_000
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
CONTEXT_TEXT = TEXT_OBJECT
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2_000
BUTTON_URL = 3_000
OPTION_TEXT = 75
OPTION_VALUE = 150
OPTION_DESCRIPTION = 75
SELECT_OPTIONS = 100
CHECKBOX_OPTIONS = 10
RADIO_OPTIONS = 10
OVERFLOW_OPTIONS = (2, 5)
INPUT_LABEL = 2_000
INPUT_HINT = 2_000
PLACEHOLDER = 150
INPUT_LENGTH = 3_000  # plain_text_input max_length, min_length and initial_value

# --- Teams -----------------------------------------------------------------------------------
TEAMS_MESSAGE_BYTES = 80_000  # UTF-16 bytes of the whole activity, Base64 images left out as Teams counts it
TEAMS_WHOLE_MESSAGE_BYTES = 80_000  # UTF-8 bytes of the whole activity, inline images included
TEAMS_CARD_VERSION = (1, 5)

SELECTS = {"static_select", "multi_static_select"}
KNOWN_BLOCKS = {
    "section",
    "header",
    "context",
    "actions",
    "input",
    "divider",
    "image",
    "rich_text",
    "markdown",
    "file",
    "video",
}


def utf16_bytes(payload: Any) -> int:
    """The size Teams counts: the JSON as UTF-16."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return len(text.encode("utf-16-le"))


def _parsed(value: Any, where: str, problems: list[str]) -> Any:
    """Slack's Web API takes blocks and views as JSON strings in form posts."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not valid JSON ({exc})")
            return None
    return value


class _Check:
    """Collects violations while walking one payload."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def length(self, where: str, value: Any, limit: int) -> None:
        if value is None:
            return
        if not isinstance(value, str):
            self.add(where, f"should be a string, not {type(value).__name__}")
        elif len(value) > limit:
            self.add(where, f"{len(value):,} characters, over Slack's {limit:,}")

    def text(self, where: str, obj: Any, limit: int = TEXT_OBJECT, plain: bool = False) -> None:
        """A text composition object: plain_text or mrkdwn, 1 to `limit` characters."""
        if not isinstance(obj, dict):
            self.add(where, f"should be a text object, not {obj!r:.60}")
            return
        kind = obj.get("type")
        if plain and kind != "plain_text":
            self.add(f"{where}.type", f"must be plain_text, not {kind!r}")
        elif kind not in ("plain_text", "mrkdwn"):
            self.add(f"{where}.type", f"must be plain_text or mrkdwn, not {kind!r}")
        text = obj.get("text")
        if not isinstance(text, str) or not text.strip():
            self.add(f"{where}.text", "is empty; Slack wants at least one visible character")
            return
        self.length(f"{where}.text", text, min(limit, TEXT_OBJECT))

    # --- blocks --------------------------------------------------------------------------------
    def blocks(self, where: str, blocks: Any, limit: int) -> None:
        if not isinstance(blocks, list):
            self.add(where, "should be a list of blocks")
            return
        if len(blocks) > limit:
            self.add(where, f"{len(blocks)} blocks, over Slack's {limit}")
        seen: dict[str, int] = {}
        for i, block in enumerate(blocks):
            at = f"{where}[{i}]"
            if not isinstance(block, dict):
                self.add(at, "should be an object")
                continue
            block_id = block.get("block_id")
            if block_id is not None:
                self.length(f"{at}.block_id", block_id, BLOCK_ID)
                if block_id in seen:
                    self.add(f"{at}.block_id", f"{block_id!r} repeats {where}[{seen[block_id]}]'s")
                seen.setdefault(block_id, i)
            self.block(at, block)

    def block(self, at: str, block: dict[str, Any]) -> None:
        kind = block.get("type")
        if kind not in KNOWN_BLOCKS:
            self.add(f"{at}.type", f"unknown block type {kind!r}")
        elif kind == "section":
            if "text" not in block and "fields" not in block:
                self.add(at, "a section needs text or fields")
            if "text" in block:
                self.text(f"{at}.text", block["text"], SECTION_TEXT)
            fields = block.get("fields")
            if fields is not None:
                if not isinstance(fields, list) or not fields:
                    self.add(f"{at}.fields", "should be a non-empty list")
                else:
                    if len(fields) > SECTION_FIELDS:
                        self.add(f"{at}.fields", f"{len(fields)} fields, over Slack's {SECTION_FIELDS}")
                    for j, item in enumerate(fields):
                        self.text(f"{at}.fields[{j}]", item, FIELD_TEXT)
            if "accessory" in block:
                self.element(f"{at}.accessory", block["accessory"])
        elif kind == "header":
            self.text(f"{at}.text", block.get("text"), HEADER_TEXT, plain=True)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.add(f"{at}.elements", "should be a non-empty list")
                return
            if len(elements) > CONTEXT_ELEMENTS:
                self.add(f"{at}.elements", f"{len(elements)} elements, over Slack's {CONTEXT_ELEMENTS}")
            for j, item in enumerate(elements):
                if isinstance(item, dict) and item.get("type") == "image":
                    continue
                self.text(f"{at}.elements[{j}]", item, CONTEXT_TEXT)
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.add(f"{at}.elements", "should be a non-empty list")
                return
            if len(elements) > ACTIONS_ELEMENTS:
                self.add(f"{at}.elements", f"{len(elements)} elements, over Slack's {ACTIONS_ELEMENTS}")
            self.elements(f"{at}.elements", elements)
        elif kind == "input":
            self.text(f"{at}.label", block.get("label"), INPUT_LABEL, plain=True)
            if "hint" in block:
                self.text(f"{at}.hint", block["hint"], INPUT_HINT, plain=True)
            if "element" not in block:
                self.add(at, "an input block needs an element")
            else:
                self.element(f"{at}.element", block["element"])

    def elements(self, where: str, elements: list[Any]) -> None:
        """Elements of one block: action_id is unique within the block."""
        seen: dict[str, int] = {}
        for j, element in enumerate(elements):
            self.element(f"{where}[{j}]", element)
            action_id = element.get("action_id") if isinstance(element, dict) else None
            if action_id is None:
                continue
            if action_id in seen:
                self.add(f"{where}[{j}].action_id", f"{action_id!r} repeats {where}[{seen[action_id]}]'s in one block")
            seen.setdefault(action_id, j)

    def element(self, at: str, element: Any) -> None:
        if not isinstance(element, dict):
            self.add(at, "should be an object")
            return
        kind = element.get("type")
        self.length(f"{at}.action_id", element.get("action_id"), ACTION_ID)
        if "placeholder" in element:
            self.text(f"{at}.placeholder", element["placeholder"], PLACEHOLDER, plain=True)
        if kind == "button":
            self.text(f"{at}.text", element.get("text"), BUTTON_TEXT, plain=True)
            self.length(f"{at}.value", element.get("value"), BUTTON_VALUE)
            self.length(f"{at}.url", element.get("url"), BUTTON_URL)
            if element.get("style") not in (None, "primary", "danger"):
                self.add(f"{at}.style", f"must be primary or danger, not {element.get('style')!r}")
        elif kind in SELECTS:
            self.options(at, element, SELECT_OPTIONS, plain=True)
        elif kind == "checkboxes":
            self.options(at, element, CHECKBOX_OPTIONS)
        elif kind == "radio_buttons":
            self.options(at, element, RADIO_OPTIONS)
        elif kind == "overflow":
            low, high = OVERFLOW_OPTIONS
            options = element.get("options") or []
            if not low <= len(options) <= high:
                self.add(f"{at}.options", f"{len(options)} options; an overflow menu takes {low} to {high}")
            self.options(at, element, high, plain=True)
        elif kind == "plain_text_input":
            self.text_input(at, element)

    def options(self, at: str, element: dict[str, Any], limit: int, plain: bool = False) -> None:
        options = element.get("options")
        groups = element.get("option_groups")
        if options is None and groups is None:
            self.add(at, "needs options")
            return
        every: list[tuple[str, Any]] = []
        if options is not None:
            if not isinstance(options, list) or not options:
                self.add(f"{at}.options", "should be a non-empty list")
                options = []
            if len(options) > limit:
                self.add(f"{at}.options", f"{len(options)} options, over Slack's {limit}")
            every += [(f"{at}.options[{k}]", o) for k, o in enumerate(options)]
        for g, group in enumerate(groups or []):
            group_options = group.get("options") or []
            if len(group_options) > limit:
                self.add(f"{at}.option_groups[{g}].options", f"{len(group_options)} options, over Slack's {limit}")
            every += [(f"{at}.option_groups[{g}].options[{k}]", o) for k, o in enumerate(group_options)]
        if groups is not None and len(groups) > limit:
            self.add(f"{at}.option_groups", f"{len(groups)} groups, over Slack's {limit}")
        values = set()
        for where, option in every:
            self.option(where, option, plain)
            if isinstance(option, dict):
                values.add(option.get("value"))
        initial = element.get("initial_options") or []
        if "initial_option" in element:
            initial = [element["initial_option"]]
        for k, option in enumerate(initial):
            value = option.get("value") if isinstance(option, dict) else None
            if value not in values:
                self.add(f"{at}.initial_options[{k}]", f"{value!r} is not one of the options")

    def option(self, where: str, option: Any, plain: bool) -> None:
        if not isinstance(option, dict):
            self.add(where, "should be an object")
            return
        self.text(f"{where}.text", option.get("text"), OPTION_TEXT, plain=plain)
        value = option.get("value")
        if value is None:
            self.add(f"{where}.value", "is missing")
        self.length(f"{where}.value", value, OPTION_VALUE)
        if "description" in option:
            self.text(f"{where}.description", option["description"], OPTION_DESCRIPTION)
        self.length(f"{where}.url", option.get("url"), BUTTON_URL)

    def text_input(self, at: str, element: dict[str, Any]) -> None:
        max_length = element.get("max_length")
        min_length = element.get("min_length")
        for name, value, low in (("max_length", max_length, 1), ("min_length", min_length, 0)):
            if value is None:
                continue
            if not isinstance(value, int) or not low <= value <= INPUT_LENGTH:
                self.add(f"{at}.{name}", f"{value!r} is not a whole number from {low} to {INPUT_LENGTH:,}")
        initial = element.get("initial_value")
        self.length(f"{at}.initial_value", initial, INPUT_LENGTH)
        if isinstance(initial, str) and isinstance(max_length, int) and len(initial) > max_length:
            self.add(f"{at}.initial_value", f"{len(initial):,} characters, over the input's max_length {max_length:,}")


def _text_in_blocks(blocks: Iterable[Any]) -> int:
    """All the text a message's blocks carry, for Slack's unpublished msg_blocks_too_long."""
    total = 0

    def walk(node: Any) -> None:
        nonlocal total
        if isinstance(node, dict):
            if node.get("type") in ("plain_text", "mrkdwn") and isinstance(node.get("text"), str):
                total += len(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(list(blocks))
    return total


def message_violations(payload: dict[str, Any]) -> list[str]:
    """A message as chat.postMessage, chat.postEphemeral, chat.update or a response_url take it."""
    check = _Check()
    if not isinstance(payload, dict):
        return [f"message: should be an object, not {type(payload).__name__}"]
    if payload.get("delete_original") in (True, "true"):
        return []
    text = payload.get("text")
    blocks = _parsed(payload.get("blocks"), "blocks", check.problems)
    if text is not None:
        check.length("text", text, MESSAGE_TEXT)
    if not (isinstance(text, str) and text.strip()) and not blocks and not payload.get("attachments"):
        check.add("message", "has no text, blocks or attachments")
    if blocks is not None:
        check.blocks("blocks", blocks, MESSAGE_BLOCKS)
        if isinstance(blocks, list) and (total := _text_in_blocks(blocks)) > MESSAGE_BLOCKS_TEXT:
            check.add(
                "blocks",
                f"{total:,} characters of text in all, over the {MESSAGE_BLOCKS_TEXT:,} Slack accepts "
                "(msg_blocks_too_long)",
            )
    return check.problems


def view_violations(view: dict[str, Any] | str) -> list[str]:
    """A modal or a Home tab, as views.open, views.update, views.push and views.publish take it."""
    check = _Check()
    view = _parsed(view, "view", check.problems)
    if not isinstance(view, dict):
        return check.problems or [f"view: should be an object, not {type(view).__name__}"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        check.add("view.type", f"must be modal or home, not {kind!r}")
    blocks = view.get("blocks")
    check.blocks("view.blocks", blocks, VIEW_BLOCKS)
    if kind == "modal":
        check.text("view.title", view.get("title"), VIEW_TITLE, plain=True)
        has_input = isinstance(blocks, list) and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if has_input and "submit" not in view:
            check.add("view.submit", "a modal with input blocks needs a submit button")
    elif "title" in view:
        check.text("view.title", view["title"], VIEW_TITLE, plain=True)
    for name in ("submit", "close"):
        if name in view:
            check.text(f"view.{name}", view[name], VIEW_TITLE, plain=True)
    check.length("view.private_metadata", view.get("private_metadata"), PRIVATE_METADATA)
    check.length("view.callback_id", view.get("callback_id"), CALLBACK_ID)
    check.length("view.external_id", view.get("external_id"), EXTERNAL_ID)
    return check.problems


# --- Adaptive Cards ----------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _card_validator(definition: str | None = None) -> Any:
    """The whole card's validator, or one for a single definition (an action or element) of the schema."""
    schema = json.loads(ADAPTIVE_CARD_SCHEMA.read_text())
    cls = jsonschema.validators.validator_for(schema)  # draft-06, as the schema declares
    cls.check_schema(schema)
    if definition is not None:
        schema = {**schema, "anyOf": [{"$ref": f"#/definitions/{definition}"}]}
    return cls(schema)


def _path(parts: Iterable[Any]) -> str:
    out = "card"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _version(card: dict[str, Any]) -> tuple[int, ...] | None:
    try:
        return tuple(int(p) for p in str(card.get("version", "")).split("."))
    except ValueError:
        return None


def _leaves(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """Down an anyOf of element or action types, the errors of the branch whose `type` matched."""
    if not error.context:
        return [error]
    branches: dict[Any, list[jsonschema.ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    fitting = [errs for errs in branches.values() if not any(list(e.relative_path) == ["type"] for e in errs)]
    if len(fitting) != 1:
        return [error]
    return [leaf for sub in fitting[0] for leaf in _leaves(sub)]


def _schema_errors(validator: Any, instance: Any, prefix: list[Any]) -> list[str]:
    problems = []
    for error in validator.iter_errors(instance):
        for leaf in _leaves(error):
            message = leaf.message if len(leaf.message) <= 200 else leaf.message[:199] + "…"
            problems.append(f"{_path(prefix + list(leaf.absolute_path))}: {message}")
    return problems


def _fallbacks(node: Any, path: list[Any]) -> Iterable[tuple[list[Any], str, Any]]:
    """Every `fallback` in the card, with what it stands in for (an action or an element)."""
    if isinstance(node, dict):
        if "fallback" in node and isinstance(node.get("type"), str):
            kind = "Action" if node["type"].startswith("Action.") else "Element"
            yield path + ["fallback"], kind, node["fallback"]
        for key, value in node.items():
            yield from _fallbacks(value, path + [key])
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _fallbacks(value, path + [i])


def _card_content_violations(card: Any) -> list[str]:
    problems = _schema_errors(_card_validator(), card, [])
    # The 1.5 schema lets any object through as a fallback (FallbackOption's pattern ignores objects,
    # and Action.Execute's own `fallback` is {}): check each against the action or element types.
    for path, kind, fallback in _fallbacks(card, []):
        if isinstance(fallback, dict):
            problems += _schema_errors(_card_validator(f"ImplementationsOf.{kind}"), fallback, path)
        elif fallback != "drop":
            problems.append(f"{_path(path)}: {fallback!r} is neither 'drop' nor an {kind.lower()}")
    if isinstance(card, dict):
        version = _version(card)
        if version is None or version > TEAMS_CARD_VERSION:
            problems.append(f"card.version: {card.get('version')!r}; Teams renders Adaptive Cards up to 1.5")
    return sorted(set(problems), key=problems.index)


def _without_inline_images(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_inline_images(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_inline_images(v) for v in value]
    if isinstance(value, str) and value.startswith("data:image/"):
        return ""
    return value


def _size_violations(what: str, payload: Any) -> list[str]:
    """Teams counts a message's text as UTF-16 without its Base64 images; and the whole message, inline images
    included, must stay under about 80 KB to be delivered."""
    problems = []
    size = utf16_bytes(_without_inline_images(payload))
    if size > TEAMS_MESSAGE_BYTES:
        problems.append(f"{what}: {size:,} bytes as UTF-16, over the {TEAMS_MESSAGE_BYTES:,} Teams surely delivers")
    whole = len(json.dumps(payload, ensure_ascii=False).encode())
    if whole > TEAMS_WHOLE_MESSAGE_BYTES:
        problems.append(f"{what}: {whole:,} bytes with its inline images, over {TEAMS_WHOLE_MESSAGE_BYTES:,}")
    return problems


def card_violations(card: dict[str, Any], activity: dict[str, Any] | None = None) -> list[str]:
    """An Adaptive Card: valid against the 1.5 schema, version at most 1.5, and small enough to send.

    The size is the activity's that carries the card when given, else the card's alone.
    """
    size = _size_violations("activity", activity) if activity is not None else _size_violations("card", card)
    return _card_content_violations(card) + size


def activity_violations(activity: dict[str, Any]) -> list[str]:
    """Every Adaptive Card attachment of a Bot Framework activity, and the activity's size."""
    if not isinstance(activity, dict):
        return [f"activity: should be an object, not {type(activity).__name__}"]
    problems = []
    for i, attachment in enumerate(activity.get("attachments") or []):
        if isinstance(attachment, dict) and attachment.get("contentType") == ADAPTIVE_CARD:
            problems += [f"attachments[{i}].{p}" for p in _card_content_violations(attachment.get("content"))]
    return problems + _size_violations("activity", activity)
