"""The weekly triage that carries ideas through the 3 I stages so none waits unseen: ideas ready to move on from
information, ideas nobody has touched for 30 days, and, after each forum meeting, the agenda ideas it left
undecided. Each is claimed before anyone is told, so it is told once whichever replica runs it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot import commands as c
from bot.events import AgendaCarriedOver, IdeasNeedOwners
from bot.handlers.context import Context, audit, today
from bot.handlers.forums import in_forum
from bot.meetings import meeting_on, next_meeting
from bot.replies import Reply
from storage.model import Forum, Idea, Stage, Workspace

VOTE_THRESHOLD = 3  # votes that put an idea in information in front of the owners
QUIET_DAYS = 30
CARRY_WINDOW = timedelta(days=7)  # a meeting this recent has its undecided agenda carried over
TRIAGE, CARRY = "triage", "carry"
MAX_LISTED = 15


def triage_ideas(cmd: c.TriageIdeas, ctx: Context) -> Reply:
    ws = ctx.uow.workspaces.find(cmd.ws.platform, cmd.ws.external_id)
    if ws is None or ws.id is None:
        return Reply(text="No such workspace: nothing to triage.")
    forum = ctx.uow.forums.default(ws.id)
    told = _weekly(ctx, ws, forum, cmd.period) + sum(_carry(ctx, ws, f) for f in ctx.uow.forums.list(ws.id))
    return Reply(text=f"Triage done: {told} messages to send.")


def _claimed(ctx: Context, ws: Workspace, forum: Forum, kind: str, period: str) -> bool:
    assert ws.id is not None and forum.id is not None
    claim = ctx.uow.deliveries.claim(ws.id, forum.id, kind, period, "", "triage", ctx.now, ctx.now - timedelta(days=1))
    if claim is None or claim.uncertain:  # told already, or a crash mid-way: never told twice
        return False
    ctx.uow.deliveries.posted(claim.delivery.id, "")
    return True


def _weekly(ctx: Context, ws: Workspace, forum: Forum, period: str) -> int:
    assert ws.id is not None
    owners = tuple(sorted(ctx.uow.workspaces.owners(ws.id)))
    if not owners or not _claimed(ctx, ws, forum, TRIAGE, period):
        return 0  # with nobody to tell, it waits for next week
    ideas = sorted(ctx.uow.ideas.list(ws.id, None, decided=False, limit=500), key=lambda i: i.number)
    votes = ctx.uow.ideas.vote_counts(ws.id, [i.id for i in ideas if i.id is not None])
    ready, quiet = [], []
    for idea in ideas:
        assert idea.id is not None
        evidence = ctx.uow.ideas.evidence(ws.id, idea.id)
        n = votes.get(idea.id, 0)
        if idea.stage is Stage.INFORMATION and (n >= VOTE_THRESHOLD or evidence):
            why = ", ".join(x for x in (f"{n} votes" if n else "", "evidence" if evidence else "") if x)
            ready.append(f"I{idea.number} {idea.title} ({why}): /idea move I{idea.number} insight")
            continue
        last = _last_activity(ctx, ws, idea, [e.at for e in evidence])
        if last is not None and (ctx.now - last).days >= QUIET_DAYS:
            quiet.append(f"I{idea.number} {idea.title} (no activity for {(ctx.now - last).days} days, at {idea.stage})")
    if not ready and not quiet:
        return 0
    ctx.record(IdeasNeedOwners(c.WorkspaceRef(ws.platform, ws.external_id), owners, _few(ready), _few(quiet)))
    audit(ctx, ws, "ideas.triage", period, None, ready=len(ready), quiet=len(quiet))
    return len(owners)


def _last_activity(ctx: Context, ws: Workspace, idea: Idea, evidence_at: list[datetime | None]) -> datetime | None:
    assert ws.id is not None and idea.id is not None
    moments = [idea.created_at, *evidence_at, *(ch.at for ch in ctx.uow.ideas.changes(ws.id, idea.id))]
    known = [_utc(m) for m in moments if m is not None]
    return max(known) if known else None


def _carry(ctx: Context, ws: Workspace, forum: Forum) -> int:
    """After a meeting: the ideas at improve it left undecided stay on the agenda, and their people hear so."""
    assert ws.id is not None
    now = today(ctx, ws)
    met = _last_meeting(now, forum.meets)
    if met is None or now - met > CARRY_WINDOW or not _claimed(ctx, ws, forum, CARRY, f"{met:%Y-%m}"):
        return 0
    improve = in_forum(ctx, ws, forum.slug, ctx.uow.ideas.list(ws.id, (Stage.IMPROVE,), decided=False, limit=100))
    waiting = sorted((i for i in improve if _utc_date(i) <= met), key=lambda i: i.number)
    if not waiting:
        return 0
    ideas = []
    for idea in waiting[:MAX_LISTED]:
        assert idea.id is not None
        people = {idea.proposer_id, *ctx.uow.ideas.voters(ws.id, idea.id)} - {None}
        ideas.append((f"I{idea.number} {idea.title}", tuple(sorted(p for p in people if p))))
    ref = c.WorkspaceRef(ws.platform, ws.external_id)
    ctx.record(
        AgendaCarriedOver(ref, forum.name, met, next_meeting(now + timedelta(days=1), forum.meets), tuple(ideas))
    )
    audit(ctx, ws, "agenda.carried_over", forum.slug, None, ideas=len(ideas), met_on=met.isoformat())
    return sum(len(p) for _, p in ideas)


def _last_meeting(day: date, meets: str) -> date | None:
    """The latest meeting before `day` (this month's, or last month's)."""
    this = meeting_on(day.year, day.month, meets)
    if this is not None and this < day:
        return this
    year, month = (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)
    return meeting_on(year, month, meets)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _utc_date(idea: Idea) -> date:
    return _utc(idea.created_at).date() if idea.created_at else date.min


def _few(lines: list[str]) -> tuple[str, ...]:
    if len(lines) <= MAX_LISTED:
        return tuple(lines)
    return (*lines[:MAX_LISTED], f"…and {len(lines) - MAX_LISTED} more: /idea list shows them all.")
