"""`/tally digest`: the forum's weekly digest as a preview, only for the person who asked; nothing is posted."""

from __future__ import annotations

from bot import commands as c
from bot.errors import BadInput
from bot.handlers.context import Context, workspace
from bot.handlers.forums import known_forums, unknown_forum
from bot.replies import Field, Reply, ReplyKind, Section, Target
from digests.builder import build_digest
from digests.phrases import QUIET, parts, period, totals
from digests.weeks import IsoWeek


def preview_digest(cmd: c.PreviewDigest, ctx: Context) -> Reply:
    ws = workspace(ctx, cmd.ws)
    forums = known_forums(ctx, ws)
    forum = forums[0] if cmd.forum is None else next((f for f in forums if f.slug == cmd.forum), None)
    if forum is None:
        raise unknown_forum(str(cmd.forum), forums)
    try:
        week = IsoWeek.parse(cmd.week) if cmd.week else IsoWeek.last_complete(ctx.now, ws.timezone)
    except ValueError as exc:
        raise BadInput(str(exc), "/tally digest week 2026-W47 previews that week's digest.") from exc
    digest = build_digest(ctx.uow, ws, forum, week, unassigned=forum.slug == forums[0].slug)
    footer = "A preview for you only. The forum's digest is posted to its channel on its schedule (/tally forum)."
    title = f"{forum.name} digest, {period(digest)}"
    if digest.quiet:
        return Reply(text=f"{title}: {QUIET}", kind=ReplyKind.LIST, to=Target.PRIVATE, footer=footer)
    return Reply(
        text=title,
        kind=ReplyKind.LIST,
        to=Target.PRIVATE,
        fields=tuple(Field(label, value) for label, value in totals(digest)),
        sections=tuple(Section(p.heading, p.lines) for p in parts(digest) if p.lines),
        footer=footer,
    )


DIGEST_HANDLERS = {c.PreviewDigest: preview_digest}
