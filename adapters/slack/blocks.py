"""Pure rendering: a neutral Reply or form (CaptureForm, IdeaForm) in, Block Kit JSON out.

Whatever a reply holds, what comes out fits Slack's published Block Kit limits (tests/limits.py
checks them): long text is cut with an ellipsis, long lists end with "…and N more", and nothing
that would break a round trip (a button's value, an option's value) is ever cut: it is left out.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable

from bot.replies import Button, Field, Reply, Section
from digests.blocks import escaped  # noqa: F401 - the Block Kit helpers the Slack renderers share
from digests.phrases import escape  # noqa: F401

from .ids import BlockId

# Slack's limits, in characters (docs.slack.dev/reference/block-kit).
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
FIELDS_PER_SECTION = 10
FIELD_TEXT = 2000
HEADER_TEXT = 150
BUTTONS_PER_BLOCK = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
OPTION_TEXT = 75
OPTION_VALUE = 150
SELECT_OPTIONS = 100
PLACEHOLDER = 150
LABEL = 2000
VIEW_TITLE = 24
PRIVATE_METADATA = 3000
INPUT_VALUE = 3000
ERROR_TEXT = 150

# Tally's own budgets, inside those limits.
TEXT_LIMIT = 2900  # a section's text may hold 3,000 characters: lines are packed up to this
FALLBACK_TEXT = 3000  # a message's `text`: Slack truncates past 4,000
FOOTER_TEXT = 2000
FIELD_LABEL = 150
FIELDS_TEXT = 4000  # all of a card's fields together
MAX_FIELDS = 2 * FIELDS_PER_SECTION
MAX_BUTTONS = 25
MESSAGE_TEXT_BUDGET = 12_000  # Slack refuses blocks carrying much more (msg_blocks_too_long, undocumented)
MORE_RESERVE = 40  # room kept for the "…and N more" line
ELLIPSIS = "…"
EMPTY = "…"  # Slack refuses empty text objects


def cut(text: str, limit: int) -> str:
    """At most `limit` characters, ending in an ellipsis when something was cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word where it can be, ending in an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: max(limit - 1, 0)]
    word_end = head.rfind(" ")
    return (head[:word_end] if word_end > limit // 2 else head).rstrip() + ELLIPSIS


def plain(text: str, limit: int = HEADER_TEXT, fallback: str = EMPTY) -> dict:
    return {"type": "plain_text", "text": cut(text, limit) if text.strip() else fallback, "emoji": True}


def mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": text if text.strip() else EMPTY}


def _section(text: str, block_id: str | None = None) -> dict:
    block = {"type": "section", "text": mrkdwn(cut(text, SECTION_TEXT))}
    if block_id:
        block["block_id"] = block_id
    return block


def _text_size(blocks: Iterable[dict]) -> int:
    """Characters of text the blocks carry (what msg_blocks_too_long counts)."""
    total = 0
    for node in blocks:
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                total += len(value)
            elif isinstance(value, dict):
                total += _text_size([value])
            elif isinstance(value, list):
                total += _text_size(v for v in value if isinstance(v, dict))
    return total


class _Body:
    """Packs list lines and sections into sections, within a number of blocks and of characters.

    Lines fill each section up to TEXT_LIMIT; what doesn't fit is left out and counted on a closing
    "…and N more" line.
    """

    def __init__(self, max_blocks: int, max_chars: int | None) -> None:
        self.blocks: list[dict] = []
        self.room = max_blocks - 1  # keep one for the "…and N more" line
        self.max_chars = None if max_chars is None else max_chars - MORE_RESERVE
        self.chars = 0
        self.full = False
        self.left_out = 0
        self.lines: list[str] = []
        self.lines_id: str | None = None
        self.lines_length = 0

    def _fits(self, blocks: int, chars: int) -> bool:
        count = len(self.blocks) + (1 if self.lines else 0) + blocks
        return count <= self.room and (self.max_chars is None or self.chars + chars <= self.max_chars)

    def _close(self) -> None:
        if self.lines:
            self.blocks.append(_section("\n".join(self.lines), self.lines_id))
        self.lines, self.lines_id, self.lines_length = [], None, 0

    def _stop(self, left_out: int = 0) -> None:
        self.full = True
        self.left_out += left_out

    def add_lines(self, lines: Iterable[str], block_id: Callable[[], str | None]) -> None:
        """Raw lines, escaped here so that cutting one never splits an escape."""
        for raw in lines:
            if self.full:
                self.left_out += 1
                continue
            line = escaped(raw, TEXT_LIMIT)
            if self.lines and self.lines_length + 1 + len(line) <= TEXT_LIMIT:
                if not self._fits(0, 1 + len(line)):
                    self._stop(1)
                    continue
                self.lines.append(line)
                self.lines_length += 1 + len(line)
                self.chars += 1 + len(line)
                continue
            self._close()
            if not self._fits(1, len(line)):
                self._stop(1)
                continue
            self.lines, self.lines_id, self.lines_length = [line], block_id(), len(line)
            self.chars += len(line)
        self._close()

    def add_block(self, block: dict, next_chars: int | None = None) -> bool:
        """A block; one that mustn't end the list (a heading) also needs room for what follows it."""
        size = _text_size([block])
        needs = (1, size) if next_chars is None else (2, size + next_chars)
        if self.full or not self._fits(*needs):
            self._stop()
            return False
        self.blocks.append(block)
        self.chars += size
        return True

    def finish(self) -> list[dict]:
        self._close()
        if self.full:
            more = f"…and {self.left_out:,} more" if self.left_out else "…and more"
            self.blocks.append({"type": "context", "block_id": "tally_more", "elements": [mrkdwn(f"_{more}_")]})
        return self.blocks


def _body(lines: tuple[str, ...], sections: tuple[Section, ...], max_blocks: int, max_chars: int | None) -> list[dict]:
    body = _Body(max_blocks, max_chars)
    line_ids = itertools.count()
    body.add_lines(lines, lambda: f"{BlockId.LINES}_{next(line_ids)}")
    for i, section in enumerate(sections):
        header = {"type": "header", "block_id": f"tally_section_{i}", "text": plain(section.heading, HEADER_TEXT)}
        empty = _section(f"_{escaped(section.empty, TEXT_LIMIT - 2)}_")
        first = len(escaped(section.lines[0], TEXT_LIMIT)) if section.lines else _text_size([empty])
        if not body.add_block(header, next_chars=first):
            body.left_out += len(section.lines)
            continue
        if section.lines:
            body.add_lines(section.lines, lambda: None)
        else:
            body.add_block(empty)
    return body.finish()


def _field_blocks(fields: tuple[Field, ...]) -> list[dict]:
    texts, budget = [], FIELDS_TEXT
    for f in fields[:MAX_FIELDS]:
        label = escaped(f.label, FIELD_LABEL) if f.label.strip() else ""
        head = f"*{label}*\n" if label else ""
        room = min(FIELD_TEXT, budget) - len(head)
        if room < 1:
            break
        if f.user_id and re.fullmatch(r"[UW][A-Z0-9]{2,20}", f.user_id):
            text = head + f"<@{f.user_id}>"  # a Slack user id: shown as their name
        elif f.channel_id and re.fullmatch(r"[CG][A-Z0-9]{2,20}", f.channel_id):
            text = head + f"<#{f.channel_id}>"  # a Slack channel id: shown as a link to the channel
        else:
            text = head + escaped(f.value, room) if f.value.strip() else head.rstrip("\n") or EMPTY
        texts.append(mrkdwn(text))
        budget -= len(text)
    groups = [texts[i : i + FIELDS_PER_SECTION] for i in range(0, len(texts), FIELDS_PER_SECTION)]
    return [
        {"type": "section", "block_id": BlockId.FIELDS if i == 0 else f"{BlockId.FIELDS}_{i}", "fields": group}
        for i, group in enumerate(groups)
    ]


def _button(b: Button) -> dict:
    return {
        "type": "button",
        "action_id": b.action.value,
        "text": plain(b.label, BUTTON_TEXT),
        "value": b.value,
        **({"style": "primary"} if b.primary else {}),
    }


def _action_blocks(buttons: tuple[Button, ...]) -> list[dict]:
    """Buttons in actions blocks of at most 25, an action id once per block (Slack wants them unique).

    A value Slack can't carry is never cut (the press would do something else): the button is left out.
    """
    rows: list[list[dict]] = []
    for b in [b for b in buttons if len(b.value) <= BUTTON_VALUE][:MAX_BUTTONS]:
        row = next(
            (r for r in rows if len(r) < BUTTONS_PER_BLOCK and all(e["action_id"] != b.action.value for e in r)),
            None,
        )
        if row is None:
            row = []
            rows.append(row)
        row.append(_button(b))
    return [
        {"type": "actions", "block_id": BlockId.ACTIONS if i == 0 else f"{BlockId.ACTIONS}_{i}", "elements": row}
        for i, row in enumerate(rows)
    ]


def _footer(footer: str, block_id: str | None = BlockId.FOOTER) -> list[dict]:
    if not footer.strip():
        return []
    block: dict = {"type": "context", "elements": [mrkdwn(escaped(footer, FOOTER_TEXT))]}
    if block_id:
        block["block_id"] = block_id
    return [block]


def reply_blocks(reply: Reply) -> list[dict]:
    title = escaped(reply.text, SECTION_TEXT - 2)
    head = [_section(f"*{title}*" if reply.problem_number is not None and title else title, BlockId.TITLE)]
    head += _field_blocks(reply.fields)
    tail = _action_blocks(reply.buttons) + _footer(reply.footer)
    room = MESSAGE_BLOCKS - len(head) - len(tail)
    chars = MESSAGE_TEXT_BUDGET - _text_size(head + tail)
    return head + _body(reply.lines, reply.sections, room, chars) + tail


def fallback_text(reply: Reply) -> str:
    """What notifications and screen readers show instead of the blocks; escaped, or '<!channel>' would ping."""
    return escaped(reply.text, FALLBACK_TEXT)


def home_view(reply: Reply) -> dict:
    head = [_section(f"*{escaped(reply.text, SECTION_TEXT - 2)}*" if reply.text.strip() else EMPTY, BlockId.HOME_INTRO)]
    tail = _footer(reply.footer, block_id=None)
    body = _body(reply.lines, reply.sections, VIEW_BLOCKS - len(head) - len(tail), None)
    return {"type": "home", "blocks": head + body + tail}
