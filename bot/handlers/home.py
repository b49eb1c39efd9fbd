"""The personal home view: my recent problems, and this week's top problems here."""

from __future__ import annotations

from bot import commands as c
from bot.cards import problem_line
from bot.handlers.context import Context, views, workspace
from bot.handlers.problems import top_lines
from bot.help import EXAMPLE
from bot.replies import Reply, Section
from storage.model import Status


def show_home(cmd: c.ShowHome, ctx: Context) -> Reply:
    ws = workspace(ctx, cmd.ws)
    mine = ctx.uow.problems.list(ws.id, tuple(Status), reporter_id=cmd.actor.user_id, limit=10)
    recent = tuple(problem_line(v, ws, v.all_time) for v in views(ctx, ws, mine))
    return Reply(
        text="Tally: spot it, log it, fix it",
        sections=(
            Section("Your recent problems", recent, "You haven't logged a problem yet. Type /problem to start."),
            Section("Top problems this week", top_lines(ctx, ws, "week", limit=5), "Nothing logged this week yet."),
        ),
        footer=f"Log a problem with /problem, or in one line: {EXAMPLE}. Anonymous reports (anon) aren't listed here.",
    )
