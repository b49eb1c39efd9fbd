"""`/tally roi`: the failure-demand business case, read in one read-only unit of work by anyone."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from bot import commands as c
from bot.business_case import IN_PROGRESS, BusinessCase, business_case
from bot.business_case_text import area_line, capped, heading, hint, idea_line, summary
from bot.handlers.context import Context, today, workspace
from bot.replies import Field, Reply, ReplyKind, Section
from bot.roi import BASELINE_WEEKS, baseline
from storage.model import Workspace
from storage.ports import UnitOfWork


def build_case(uow: UnitOfWork, ws: Workspace, on: date, programme_cost: Decimal | None = None) -> BusinessCase:
    """The case over the last 12 complete weeks before `on`: shared by chat and the CLI."""
    assert ws.id is not None
    start, end = baseline(on, ws.week_start)
    weeks = [start + timedelta(weeks=n) for n in range(BASELINE_WEEKS)]
    areas = uow.business_case.areas(ws.id, weeks)
    ideas = uow.business_case.ideas(ws.id, IN_PROGRESS, start, end)
    return business_case(start, end, areas, ideas, ws.hourly_cost, programme_cost)


def show_roi(cmd: c.ShowRoi, ctx: Context) -> Reply:
    ws = workspace(ctx, cmd.ws)
    case = build_case(ctx.uow, ws, today(ctx, ws), cmd.programme_cost)
    sections = (
        Section(
            "By process area",
            capped([area_line(a, ws.currency) for a in case.areas], "areas"),
            "No failure demand or demand recorded in these weeks: mark a problem's failure demand with fd.",
        ),
        Section(
            "Ideas approved or in progress",
            capped([idea_line(i, ws.currency) for i in case.ideas], "ideas"),
            "None yet: the forum approves ideas with /idea decide <id> approve <why>.",
        ),
    )
    return Reply(
        text=heading(case),
        kind=ReplyKind.LIST,
        fields=tuple(Field(label, value) for label, value in summary(case, ws.currency)),
        sections=sections,
        footer=hint(case),
    )
