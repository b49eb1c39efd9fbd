"""The personal home view: my recent problems, and this week's top problems here."""

from __future__ import annotations

from bot import commands as c
from bot.cards import problem_line
from bot.handlers.context import Context, views, workspace
from bot.handlers.ideas import idea_view
from bot.handlers.problems import top_lines
from bot.help import EXAMPLE
from bot.idea_cards import idea_line
from bot.replies import Reply, Section
from storage.model import Stage, Status


def show_home(cmd: c.ShowHome, ctx: Context) -> Reply:
    ws = workspace(ctx, cmd.ws)
    mine = ctx.uow.problems.list(ws.id, tuple(Status), reporter_id=cmd.actor.user_id, limit=10)
    recent = tuple(problem_line(v, ws, v.all_time) for v in views(ctx, ws, mine))
    yours = tuple(idea_line(idea_view(ctx, ws, i), ws) for i in ctx.uow.ideas.for_user(ws.id, cmd.actor.user_id, 5))
    waiting = tuple(
        idea_line(idea_view(ctx, ws, i), ws) for i in ctx.uow.ideas.list(ws.id, (Stage.IMPROVE,), False, limit=5)
    )
    return Reply(
        text="Tally: spot it, log it, fix it",
        sections=(
            Section("Your recent problems", recent, "You haven't logged a problem yet. Type /problem to start."),
            Section("Top problems this week", top_lines(ctx, ws, "week", limit=5), "Nothing logged this week yet."),
            Section("Ideas you proposed or voted for", yours, "None yet. Propose a fix with /idea."),
            Section("Waiting for the forum", waiting, "No idea is waiting for a decision."),
        ),
        footer=f"Log a problem with /problem, or in one line: {EXAMPLE}. Anonymous reports (anon) aren't listed here.",
    )
