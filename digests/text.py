"""The digest as plain text: for the console, the CLI's preview, Slack's fallback `text` and notifications."""

from __future__ import annotations

from bot.impact import format_hours, format_money, plural
from digests.model import Digest
from digests.phrases import QUIET, Part, cut, parts, period, share, signal_words

LIST_ITEMS = 10  # lines per section; the rest are counted
LINE_TEXT = 600  # characters per line


def headline(d: Digest) -> str:
    """'Tally digest for Benefits forum, 2026-W47 (16–22 Nov 2026)'."""
    return f"Tally digest for {cut(d.forum_name, 150) or d.forum_slug}, {period(d)}"


def _quiet(d: Digest) -> str:
    lines = [headline(d), QUIET]
    if d.signals:
        shown = "; ".join(signal_words(s, 80) for s in d.signals[:3])
        more = f" …and {len(d.signals) - 3:,} more" if len(d.signals) > 3 else ""
        lines.append(cut(f"Signals: {shown}{more}", LINE_TEXT))
    return "\n".join(lines)


def _section(part: Part) -> str:
    bullet = "" if part.key == "top" else "- "
    lines = [part.heading] + [cut(bullet + line, LINE_TEXT) for line in part.lines[:LIST_ITEMS]]
    if len(part.lines) > LIST_ITEMS:
        lines.append(f"…and {len(part.lines) - LIST_ITEMS:,} more")
    if part.footnote:
        lines.append(part.footnote)
    return "\n".join(lines)


def figures(d: Digest) -> str:
    """'This week: 12 occurrences, 8.5 hours of staff time (£255.00), 17 service users affected.'"""
    users = plural(d.users, "service user")
    return (
        f"This week: {plural(d.occurrences, 'occurrence')}, {format_hours(d.staff_hours)} of staff time "
        f"({format_money(d.cost, d.currency)}), {users} affected.\nFailure demand: {share(d)}."
    )


def digest_text(d: Digest) -> str:
    """The whole digest in plain text that reads well on its own; a quiet week still says so, in a line or two."""
    if d.quiet:
        return _quiet(d)
    return "\n\n".join([headline(d), figures(d)] + [_section(p) for p in parts(d)])
