"""The workspace's own administration: its owners, its settings, and the demand its areas record."""

from __future__ import annotations

from decimal import Decimal

from bot import commands as c
from bot.errors import BadInput
from bot.events import ScheduleChanged
from bot.handlers.context import Context, audit, owners_only, today, workspace
from bot.impact import format_money, week_start
from bot.names import slugify
from bot.replies import Reply, ReplyKind


def manage_owners(cmd: c.ManageOwners, ctx: Context) -> Reply:
    ws = workspace(ctx, cmd.ws)
    owners = sorted(ctx.uow.workspaces.owners(ws.id))
    if cmd.change == "list":
        shown = ", ".join(owners) if owners else "none yet (workspace admins can act as owners)"
        return Reply(text=f"Tally owners here: {shown}.", kind=ReplyKind.LIST)
    if refused := owners_only(ctx, ws, cmd, f"{cmd.change} owners"):
        return refused
    if cmd.change == "add":
        ctx.uow.workspaces.add_owner(ws.id, cmd.user_id)
        text = f"{cmd.user_id} is now a Tally owner: they can move and decide ideas and merge problems."
    else:
        if owners == [cmd.user_id]:
            audit(ctx, ws, "refused", "remove the last owner", cmd.actor.user_id, user=cmd.user_id)
            return Reply(
                text=f"{cmd.user_id} is the last Tally owner here, so they can't be removed.",
                kind=ReplyKind.ERROR,
                footer="Add another owner first: /tally owners add @someone",
            )
        if not ctx.uow.workspaces.remove_owner(ws.id, cmd.user_id):
            audit(ctx, ws, "refused", "remove an owner", cmd.actor.user_id, user=cmd.user_id)
            return Reply(
                text=f"{cmd.user_id} isn't an owner, so nothing changed.",
                kind=ReplyKind.ERROR,
                footer="/tally owners lists them.",
            )
        text = f"{cmd.user_id} is no longer a Tally owner."
    audit(ctx, ws, f"owner.{cmd.change}", cmd.user_id, cmd.actor.user_id)
    return Reply(text=text)


def change_setting(cmd: c.ChangeSetting, ctx: Context) -> Reply:
    """The workspace's hourly cost, currency and timezone: anyone may see them, owners change them."""
    ws = workspace(ctx, cmd.ws)
    shown = f"Hourly staff cost {format_money(ws.hourly_cost, ws.currency)}, currency {ws.currency}, timezone {ws.timezone}."
    if not cmd.name:
        return Reply(text=f"Settings here: {shown}", kind=ReplyKind.LIST)
    if refused := owners_only(ctx, ws, cmd, "change settings"):
        return refused
    before = {"hourly-cost": f"{ws.hourly_cost:.2f}", "currency": ws.currency, "timezone": ws.timezone}[cmd.name]
    if cmd.name == "hourly-cost":
        ws.hourly_cost = Decimal(cmd.value)
    elif cmd.name == "currency":
        ws.currency = cmd.value
    else:
        ws.timezone = cmd.value
        ctx.record(ScheduleChanged(cmd.ws))  # digests go out at local times: the scheduler rebuilds its jobs
    ctx.uow.workspaces.save_settings(ws)
    audit(ctx, ws, "settings.changed", cmd.name, cmd.actor.user_id, before=before, after=cmd.value)
    now = f"Hourly staff cost {format_money(ws.hourly_cost, ws.currency)}, currency {ws.currency}, timezone {ws.timezone}."
    return Reply(text=f"Changed {cmd.name} from {before} to {cmd.value}. {now}")


def record_demand(cmd: c.RecordDemand, ctx: Context) -> Reply:
    """Anyone records their area's demand: the week's total replaces an earlier one, and the change is audited."""
    ws = workspace(ctx, cmd.ws)
    this_week = week_start(today(ctx, ws), ws.week_start)
    week = cmd.week or this_week
    if week > this_week:
        raise BadInput(
            f"The week of {week.isoformat()} hasn't started yet.", "Record demand for this week or an earlier one."
        )
    area = ctx.uow.areas.by_slug(ws.id, slugify(cmd.area)) or ctx.uow.areas.add(ws.id, cmd.area, slugify(cmd.area))
    before = ctx.uow.demand.record(ws.id, area.id, week, cmd.total)
    audit(
        ctx, ws, "demand.recorded", area.slug, cmd.actor.user_id, week=week.isoformat(), total=cmd.total, before=before
    )
    iso = week.isocalendar()
    said = f"Recorded {cmd.total:,} contacts or cases in {area.name} for the week of {week.isoformat()} ({iso.year}-W{iso.week:02d})."
    return Reply(text=said + (f" It replaces {before:,}." if before is not None else ""))
