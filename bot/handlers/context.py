"""What every handler gets, and the lookups most of them share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot import commands as c
from bot.cards import ProblemView
from bot.errors import AlreadyDelivered, BadInput, NotFound
from bot.grammar import MAX_DAYS_BACK, slugify
from bot.impact import week_start
from bot.replies import Reply, ReplyKind
from storage.model import Area, AuditEvent, Occurrence, Problem, Totals, Workspace, WorkspaceDefaults
from storage.ports import UnitOfWork


@dataclass
class Context:
    uow: UnitOfWork
    now: datetime
    defaults: WorkspaceDefaults
    writes: bool = True  # False: a read-only unit of work, which must not write (not even a new workspace)

    def record(self, event: object) -> None:
        """An event for the notifiers, sent only if this unit of work commits."""
        self.uow.record(event)


def workspace(ctx: Context, ref: c.WorkspaceRef) -> Workspace:
    """The workspace, created on its first write; a read of one that doesn't exist yet sees an empty one."""
    if ctx.writes:
        return ctx.uow.workspaces.get_or_create(ref.platform, ref.external_id, ctx.defaults)
    found = ctx.uow.workspaces.find(ref.platform, ref.external_id)
    d = ctx.defaults
    return found or Workspace(
        0, ref.platform, ref.external_id, hourly_cost=d.hourly_cost, currency=d.currency, timezone=d.timezone
    )


def today(ctx: Context, ws: Workspace) -> date:
    return ctx.now.astimezone(ZoneInfo(ws.timezone)).date()


def resolve_date(ctx: Context, ws: Workspace, spec: c.DateSpec) -> date:
    """The day a thing happened; never in the future and at most 90 days back."""
    now = today(ctx, ws)
    day = spec.iso or now - timedelta(days=spec.days_ago)
    if day > now:
        raise BadInput(f"{day.isoformat()} is in the future.", "Give today, yesterday or a past date as YYYY-MM-DD.")
    if (now - day).days > MAX_DAYS_BACK:
        raise BadInput(
            f"{day.isoformat()} is more than {MAX_DAYS_BACK} days ago.",
            f"Log things within {MAX_DAYS_BACK} days of them happening, e.g. on {now - timedelta(days=7)}.",
        )
    return day


def get_problem(ctx: Context, ws: Workspace, number: int, lock: bool = False) -> Problem:
    problem = ctx.uow.problems.get(ws.id, number, lock=lock)
    if problem is None:
        raise NotFound(f"There's no problem #{number}.", "/problem list shows the open ones.")
    return problem


def not_delivered_before(ctx: Context, ws: Workspace, delivery_id: str | None) -> None:
    """A platform's retry of something already stored is neither stored nor answered again."""
    if delivery_id and ctx.uow.occurrences.by_delivery(ws.id, delivery_id):
        raise AlreadyDelivered(delivery_id)


def follow_merges(ctx: Context, ws: Workspace, problem: Problem) -> Problem:
    """A merged problem's repeats belong to the problem it was merged into."""
    seen = {problem.id}
    while problem.merged_into_id is not None:
        target = ctx.uow.problems.get_by_id(ws.id, problem.merged_into_id)
        if target is None or target.id in seen:
            break
        seen.add(target.id)
        problem = target
    return problem


def find_area(ctx: Context, ws: Workspace, name: str | None) -> Area | None:
    return ctx.uow.areas.by_slug(ws.id, slugify(name)) if name else None


def workspace_and_area(ctx: Context, ref: c.WorkspaceRef, name: str | None) -> tuple[Workspace, Area | None]:
    """`workspace` and `find_area`, in one read once the workspace exists."""
    if name and (found := ctx.uow.workspaces.find_with_area(ref.platform, ref.external_id, slugify(name))):
        return found
    ws = workspace(ctx, ref)
    return ws, find_area(ctx, ws, name)


def views(ctx: Context, ws: Workspace, problems: list[Problem]) -> list[ProblemView]:
    """Problems with this week's and all-time tallies, in one query however many there are."""
    ids = [p.id for p in problems if p.id is not None]
    if not ids:
        return []
    tallies = ctx.uow.occurrences.totals_since(ws.id, ids, week_start(today(ctx, ws), ws.week_start))
    names = area_names(ctx, ws, {p.area_id for p in problems if p.area_id is not None})
    empty = (Totals(), Totals())
    return [
        ProblemView(p, names.get(p.area_id) if p.area_id else None, *tallies.get(p.id, empty))
        for p in problems
        if p.id is not None
    ]


def area_names(ctx: Context, ws: Workspace, ids: set[int]) -> dict[int, str]:
    """A card needs one area's name: look that one up, not every area the workspace has."""
    if len(ids) <= 2:
        return {a.id: a.name for area_id in ids if (a := ctx.uow.areas.get(ws.id, area_id))}
    return {a.id: a.name for a in ctx.uow.areas.list(ws.id)}


def new_view(ctx: Context, ws: Workspace, problem: Problem, area: Area | None, first: Occurrence) -> ProblemView:
    """A problem just created has only the occurrence just stored: its card needs no query."""
    tally = Totals(first.count, first.count * first.effort_minutes, first.count * first.users_affected)
    this_week = first.occurred_on >= week_start(today(ctx, ws), ws.week_start)
    return ProblemView(problem, area.name if area else None, tally if this_week else Totals(), tally)


def view(ctx: Context, ws: Workspace, problem: Problem) -> ProblemView:
    return views(ctx, ws, [problem])[0]


def is_admin(ctx: Context, ws: Workspace, actor: c.Actor) -> bool:
    """A platform admin (Slack admins, the console's --admin) or one of the workspace's owners."""
    return actor.is_admin or actor.user_id in ctx.uow.workspaces.owners(ws.id)


def audit(ctx: Context, ws: Workspace, action: str, subject: str, actor_id: str | None, **detail: object) -> None:
    ctx.uow.audit.add(AuditEvent(ws.id, action, subject, actor_id, dict(detail)))


def owners_only(ctx: Context, ws: Workspace, cmd: c.Command, doing: str) -> Reply | None:
    """A refusal that says who can do it; audited (and committed) though nothing else changes."""
    if is_admin(ctx, ws, cmd.actor):
        return None
    owners = sorted(ctx.uow.workspaces.owners(ws.id))
    who = (
        ", ".join(owners) if owners else "nobody yet: a workspace admin can add owners with /tally owners add @someone"
    )
    audit(ctx, ws, "refused", doing, cmd.actor.user_id, command=type(cmd).__name__)
    return Reply(
        text=f"Only the forum's owners can {doing}.\nAsk one of them ({who}), or a workspace admin.",
        kind=ReplyKind.ERROR,
    )
