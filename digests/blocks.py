"""The digest as Slack Block Kit: within every Slack limit whatever its titles and reasons hold.

Each section has a budget of characters, so that the message stays under the 50 blocks and about 12,000
characters of text Slack accepts; lines past it are counted on an "…and N more" line. Text is escaped for
mrkdwn, so a title holding `<!channel>` pings no one. The chart is never referenced here: it is uploaded
into the message's thread on its own.
"""

from __future__ import annotations

from typing import Any

from digests.model import Digest
from digests.phrases import ELLIPSIS, QUIET, Part, cut, escape, parts, period, signal_words, totals
from digests.text import digest_text

HEADER_TEXT = 150  # Slack's limit for a header block
FIELD_TEXT = 300  # a field may hold 2,000; totals are short
PART_TEXT = 1_300  # a section's text (Slack allows 3,000); 8 parts stay inside the message's ~12,000
LINE_TEXT = 400  # one line of a list, escaped
CONTEXT_TEXT = 600
FALLBACK_TEXT = 3_000  # the message's `text`: Slack truncates past 4,000
MORE_RESERVE = 30  # room kept in a section for its "…and N more" line
EMPTY = "…"  # Slack refuses empty text objects


def escaped(text: str, limit: int) -> str:
    """Escaped for mrkdwn and at most `limit` characters, never splitting an escape like &amp;."""
    out = escape(text)
    if len(out) <= limit:
        return out
    kept, used = [], 0
    for char in text:
        piece = escape(char)
        if used + len(piece) > limit - 1:
            break
        kept.append(piece)
        used += len(piece)
    return "".join(kept).rstrip() + ELLIPSIS


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text if text.strip() else EMPTY}


def _context(text: str, block_id: str) -> dict[str, Any]:
    return {"type": "context", "block_id": block_id, "elements": [_mrkdwn(text)]}


def _packed(heading: str, lines: tuple[str, ...], budget: int = PART_TEXT) -> str:
    """A bold heading (when given) and as many lines as fit in `budget` characters; the rest counted."""
    text = f"*{escaped(heading, 100)}*" if heading else ""
    room = budget - MORE_RESERVE
    for i, line in enumerate(lines):
        piece = ("\n" if text else "") + escaped(cut(line, LINE_TEXT), LINE_TEXT)
        if len(text) + len(piece) > room:
            return text + f"\n_…and {len(lines) - i:,} more_"
        text += piece
    return text


def _part_blocks(part: Part) -> list[dict[str, Any]]:
    bullet = "" if part.key == "top" else "• "
    blocks = [
        {
            "type": "section",
            "block_id": f"digest_{part.key}",
            "text": _mrkdwn(_packed(part.heading, tuple(bullet + line for line in part.lines))),
        }
    ]
    if part.footnote:
        blocks.append(_context(escaped(part.footnote, CONTEXT_TEXT), f"digest_{part.key}_note"))
    return blocks


def _header(d: Digest) -> list[dict[str, Any]]:
    title = cut(f"Tally digest: {cut(d.forum_name, HEADER_TEXT) or d.forum_slug}", HEADER_TEXT)
    return [
        {"type": "header", "block_id": "digest_title", "text": {"type": "plain_text", "text": title, "emoji": True}},
        _context(escaped(period(d), CONTEXT_TEXT), "digest_period"),
    ]


def digest_blocks(d: Digest) -> list[dict[str, Any]]:
    """Header, the week's totals as fields, a section per part, the notes as context; a quiet week in one line."""
    if d.quiet:
        text = escape(QUIET)
        if d.signals:
            text += "\n" + _packed("Signals in the weekly counts", tuple(signal_words(s) for s in d.signals), 900)
        return _header(d) + [{"type": "section", "block_id": "digest_quiet", "text": _mrkdwn(text)}]
    fields = [_mrkdwn(f"*{label}*\n{escaped(value, FIELD_TEXT)}") for label, value in totals(d)]
    blocks = _header(d) + [{"type": "section", "block_id": "digest_totals", "fields": fields}, {"type": "divider"}]
    for part in parts(d):
        if part.key == "notes":
            blocks.append(_context(_packed("", part.lines, CONTEXT_TEXT), "digest_notes"))
        else:
            blocks += _part_blocks(part)
    return blocks


def digest_fallback_text(d: Digest) -> str:
    """The message's `text` (notifications, screen readers): the plain digest, escaped and cut for Slack."""
    return escaped(digest_text(d), FALLBACK_TEXT)
