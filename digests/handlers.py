"""`/tally digest` and `/tally export`: the forum's weekly digest as a preview, and the evidence as a file, each only
for the person who asked; nothing is posted."""

from __future__ import annotations

from bot import commands as c
from bot.errors import BadInput
from bot.handlers.context import Context, today, workspace
from bot.handlers.forums import known_forums, unknown_forum
from bot.names import slugify
from bot.replies import Field, File, Reply, ReplyKind, Section, Target
from digests.builder import build_digest
from digests.export import build_export
from digests.export_files import MEDIA_TYPES, WRITERS
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


def export_evidence(cmd: c.ExportEvidence, ctx: Context) -> tuple[Reply, ...]:
    """A note that answers at once, and the file; both private. No reporter is named in it (see digests/export.py)."""
    ws = workspace(ctx, cmd.ws)
    try:
        built = build_export(ctx.uow, ws, cmd.start, cmd.end, today(ctx, ws))
    except ValueError as exc:
        raise BadInput(
            f"{exc}.", "Give the earlier date after from: /tally export from 2026-01-01 to 2026-06-30"
        ) from exc
    span = f"{built.start.isoformat()} to {built.end.isoformat()}"
    name = f"tally-{slugify(built.workspace)[:40].strip('-') or 'export'}-{built.start}-{built.end}.{cmd.format}"
    counts = f"{len(built.problems)} problems and {len(built.ideas)} ideas, {span}"
    again = f"tally export {cmd.format} from {built.start} to {built.end}"
    return (
        Reply(text=f"Your export ({counts}) is on its way to your chat with Tally as {name}.", to=Target.PRIVATE),
        Reply(
            text=f"Tally's evidence: {counts}. No reporter is named in it.",
            to=Target.PRIVATE,
            file=File(name, WRITERS[cmd.format](built), MEDIA_TYPES[cmd.format], again),
        ),
    )


DIGEST_HANDLERS = {c.PreviewDigest: preview_digest, c.ExportEvidence: export_evidence}
