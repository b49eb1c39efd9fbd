"""The workspace's '3 I' forums: the areas each covers, where and when its weekly digest goes, when it meets.
Anyone sees them; owners add forums and change them, every change audited and told to the scheduler."""

from __future__ import annotations

from bot import commands as c
from bot.errors import BadInput, Conflict, NotFound
from bot.events import ScheduleChanged
from bot.forum_grammar import DAY_NAMES, MAX_SLUG, cadence_words
from bot.handlers.context import Context, audit, owners_only, workspace
from bot.names import slugify
from bot.replies import Field, Reply, ReplyKind
from storage.model import Area, Forum, Idea, Platform, Workspace
from storage.ports import DEFAULT_FORUM_NAME, DEFAULT_FORUM_SLUG

MAX_SHOWN = 10  # forums shown at once; /tally forum <slug> shows any one
MAX_LISTED = 25  # area names or slugs listed in one line
MAX_DESTINATION = 400  # as stored
COMMANDS = (
    "Owners: /tally forum new <name> #area …, and /tally forum [<slug>] here | schedule mon 09:00 | meets first-tue"
)
NO_DESTINATION = (
    "Its digest has nowhere to go yet: an owner types /tally forum{slug} here in the channel it should go to."
)


def listed(names: list[str], limit: int = MAX_LISTED) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def schedule_words(forum: Forum, ws: Workspace) -> str:
    """'Mondays 09:00 Europe/London'."""
    day = DAY_NAMES[forum.digest_day] if 0 <= forum.digest_day < len(DAY_NAMES) else "?"
    return f"{day}s {forum.digest_time} {ws.timezone}"


def _slug_hint(forum: Forum, forums: list[Forum]) -> str:
    """Where there are several forums, the commands for one that isn't the first name it."""
    return f" {forum.slug}" if forums and forums[0].slug != forum.slug else ""


def forum_reply(
    ctx: Context, ws: Workspace, forum: Forum, text: str, conversation: str, forums: list[Forum], kind: ReplyKind
) -> Reply:
    if forum.area_ids:
        known = {a.id: a.name for a in ctx.uow.areas.list(ws.id)} if ws.id else {}
        areas = listed([known.get(a, f"area {a}") for a in forum.area_ids])
    else:
        areas = "every area"
    destination, channel = "not set yet", None
    if forum.destination:
        if ws.platform == Platform.SLACK:
            destination, channel = f"channel {forum.destination}", forum.destination
        else:
            destination = "this conversation" if forum.destination == conversation else forum.destination
    fields = (
        Field("Slug", forum.slug),
        Field("Areas", areas),
        Field("Digest goes to", destination, channel_id=channel),
        Field("Digest schedule", schedule_words(forum, ws)),
        Field("Meets", cadence_words(forum.meets)),
    )
    footer = "" if forum.destination else NO_DESTINATION.format(slug=_slug_hint(forum, forums))
    return Reply(text=text, kind=kind, fields=fields, footer=footer)


def known_forums(ctx: Context, ws: Workspace) -> list[Forum]:
    """Oldest first; the first forum, made on first use, is shown as it will be before it is stored."""
    forums = ctx.uow.forums.list(ws.id) if ws.id else []
    return forums or [Forum(ws.id, DEFAULT_FORUM_SLUG, DEFAULT_FORUM_NAME)]


def unknown_forum(slug: str, forums: list[Forum]) -> NotFound:
    return NotFound(
        f"There's no forum '{slug}' here.",
        f"The forums here: {listed([f.slug for f in forums])}. /tally forum shows them.",
    )


def show_forums(cmd: c.ShowForums, ctx: Context) -> tuple[Reply, ...]:
    ws = workspace(ctx, cmd.ws)
    forums = known_forums(ctx, ws)
    if cmd.forum is not None:
        one = next((f for f in forums if f.slug == cmd.forum), None)
        if one is None:
            raise unknown_forum(cmd.forum, forums)
        return (forum_reply(ctx, ws, one, f"Forum: {one.name}", cmd.conversation, forums, ReplyKind.LIST),)
    replies = [
        forum_reply(ctx, ws, f, f"Forum: {f.name}", cmd.conversation, forums, ReplyKind.LIST)
        for f in forums[:MAX_SHOWN]
    ]
    more = f"{len(forums) - MAX_SHOWN} more forums: /tally forum <slug> shows one. " if len(forums) > MAX_SHOWN else ""
    last = replies[-1]
    footer = "\n".join(x for x in (last.footer, more + COMMANDS) if x)
    replies[-1] = Reply(text=last.text, kind=last.kind, fields=last.fields, footer=footer)
    return tuple(replies)


def _missing_areas(ctx: Context, ws: Workspace, missing: list[str]) -> NotFound:
    known = [f"#{a.slug}" for a in ctx.uow.areas.list(ws.id)]
    names = listed([f"#{slugify(m)}" for m in missing])
    said = (
        f"There's no process area {names} here." if len(missing) == 1 else f"There are no process areas {names} here."
    )
    start = "An area starts with the first problem logged in it: /problem <what went wrong> #area"
    how = f"The areas here: {listed(known)}. {start}" if known else f"There are no process areas yet. {start}"
    return NotFound(said, how)


def add_forum(cmd: c.AddForum, ctx: Context) -> Reply:
    ws = workspace(ctx, cmd.ws)
    if refused := owners_only(ctx, ws, cmd, "add forums"):
        return refused
    slug = slugify(cmd.name)[:MAX_SLUG].strip("-")
    ctx.uow.forums.default(ws.id)  # the first forum comes first, whatever is added before it is ever used
    if ctx.uow.forums.get(ws.id, slug) is not None:
        raise Conflict(
            f"There's already a forum '{slug}' here, so nothing was added.",
            "Give the new forum another name: /tally forum lists them.",
        )
    found: list[Area] = []
    missing: list[str] = []
    for name in cmd.areas:
        area = ctx.uow.areas.by_slug(ws.id, slugify(name))
        if area is None:
            missing.append(name)
        elif area not in found:
            found.append(area)
    if missing:
        raise _missing_areas(ctx, ws, missing)
    try:
        forum = ctx.uow.forums.add(Forum(ws.id, slug, cmd.name, area_ids=tuple(a.id for a in found)))
    except ValueError as exc:  # made at the same moment by someone else
        raise Conflict(
            f"There's already a forum '{slug}' here, so nothing was added.", "/tally forum lists them."
        ) from exc
    audit(ctx, ws, "forum.added", slug, cmd.actor.user_id, name=cmd.name, areas=[a.slug for a in found])
    ctx.record(ScheduleChanged(cmd.ws))
    forums = ctx.uow.forums.list(ws.id)
    return forum_reply(ctx, ws, forum, f"Added the forum {forum.name}.", "", forums, ReplyKind.NOTICE)


def change_forum(cmd: c.ChangeForum, ctx: Context) -> Reply:
    ws = workspace(ctx, cmd.ws)
    if refused := owners_only(ctx, ws, cmd, "change a forum's digest or meetings"):
        return refused
    forum = ctx.uow.forums.default(ws.id)
    forums = ctx.uow.forums.list(ws.id)
    if cmd.forum is not None:
        found = next((f for f in forums if f.slug == cmd.forum), None)
        if found is None:
            raise unknown_forum(cmd.forum, forums)
        forum = found
    if cmd.setting == "here":
        if not cmd.conversation or len(cmd.conversation) > MAX_DESTINATION:
            raise BadInput(
                "I can't tell which conversation this is, so nothing changed.", "Type it in a channel Tally is in."
            )
        before, forum.destination = forum.destination or "", cmd.conversation
        after, text = cmd.conversation, f"{forum.name}'s weekly digest will be posted here."
    elif cmd.setting == "schedule":
        before = schedule_words(forum, ws)
        forum.digest_day, forum.digest_time = cmd.digest_day, cmd.digest_time
        after = schedule_words(forum, ws)
        text = f"{forum.name}'s weekly digest now goes out on {after}."
    elif cmd.setting == "meets":
        before, forum.meets = forum.meets, cmd.meets
        after, text = cmd.meets, f"{forum.name} now meets on the {cadence_words(cmd.meets)}."
    else:
        raise BadInput(f"'{cmd.setting}' isn't something a forum has.", "/tally help lists the forum commands.")
    ctx.uow.forums.save(forum)
    audit(ctx, ws, "forum.changed", forum.slug, cmd.actor.user_id, setting=cmd.setting, before=before, after=after)
    ctx.record(ScheduleChanged(cmd.ws))
    return forum_reply(ctx, ws, forum, text, cmd.conversation, forums, ReplyKind.NOTICE)


def in_forum(ctx: Context, ws: Workspace, slug: str | None, ideas: list[Idea]) -> list[Idea]:
    """A forum's ideas: those filed to it, and for the workspace's first forum those filed to none."""
    if slug is None or not ws.id:
        return ideas
    forums = ctx.uow.forums.list(ws.id)
    forum = next((f for f in forums if f.slug == slug), None)
    if forum is None:
        return []
    first = forums[0].id == forum.id
    return [i for i in ideas if i.forum_id == forum.id or (first and i.forum_id is None)]
