"""Button presses: map each action id back to the command it stands for."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

from bot import commands as c
from bot.errors import BadInput
from bot.handlers.context import Context
from bot.handlers.problems import log_occurrence, report_problem
from bot.ids import Action
from bot.replies import Reply, Visibility
from storage.model import ImpactArea


def _report_from(cmd: c.PressButton) -> tuple[int, c.ReportProblem]:
    """Rebuild the report the 'same as #n?' question held back, and the number it matched."""
    try:
        value = json.loads(cmd.value)
        data, match = dict(value["report"]), int(value["match"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BadInput("That button's details were damaged.", "Log the problem again with /problem.") from exc
    when = data.pop("when") or {}
    impacts = tuple(ImpactArea(i) for i in data.pop("impacts", ()))
    iso = date.fromisoformat(when["iso"]) if when.get("iso") else None
    report = c.ReportProblem(
        ws=cmd.ws,
        actor=cmd.actor,
        impacts=impacts,
        when=c.DateSpec(iso=iso, days_ago=int(when.get("days_ago", 0))),
        **data,
    )
    return match, report


def press_button(cmd: c.PressButton, ctx: Context) -> Reply:
    try:
        action = Action(cmd.action)
    except ValueError as exc:
        raise BadInput("That button is from an older version of Tally.", "Use /problem instead.") from exc
    if action is Action.HAPPENED_AGAIN:
        again = c.LogOccurrence(ws=cmd.ws, actor=cmd.actor, number=int(cmd.value), delivery_id=cmd.delivery_id)
        return log_occurrence(again, ctx, visibility=Visibility.CHANNEL)
    match, report = _report_from(cmd)
    if action is Action.NOT_SAME:
        return report_problem(replace(report, skip_duplicate_check=True), ctx)
    return log_occurrence(
        c.LogOccurrence(
            ws=cmd.ws,
            actor=cmd.actor,
            number=match,
            count=report.count,
            effort_minutes=report.effort_minutes,
            users=report.users,
            when=report.when,
            anonymous=report.anonymous,
            delivery_id=report.delivery_id,
        ),
        ctx,
    )
