"""Workspace owners: the people who run Tally for a workspace."""

from __future__ import annotations

from bot import commands as c
from bot.handlers.context import Context, audit, workspace
from bot.replies import Reply


def claim_first_ownership(cmd: c.ClaimFirstOwnership, ctx: Context) -> Reply:
    ws = workspace(ctx, cmd.ws)
    if not ctx.uow.workspaces.owners(ws.id):
        ctx.uow.workspaces.add_owner(ws.id, cmd.actor.user_id)
        audit(ctx, ws, "workspace.owner_added", cmd.actor.user_id, cmd.actor.user_id, reason="installed Tally")
        return Reply(text="You're this workspace's first Tally owner: you can merge problems and change any status.")
    return Reply(text="Tally is ready.")
