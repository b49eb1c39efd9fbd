"""Button presses: map each action id back to the command it stands for."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

from bot import commands as c
from bot.errors import BadInput
from bot.grammar import (
    MAX_AREA_NAME,
    MAX_COUNT,
    MAX_DAYS_BACK,
    MAX_EFFORT_MINUTES,
    MAX_TEXT,
    MAX_USERS,
    parse_problem_id,
)
from bot.handlers.context import Context
from bot.handlers.forms import open_idea_form
from bot.handlers.ideas import held_idea, propose_idea, vote_for_idea
from bot.handlers.problems import log_occurrence, report_problem
from bot.idea_grammar import parse_idea_id
from bot.ids import Action
from bot.replies import Reply, Target
from storage.model import ImpactArea

DAMAGED = "That button's details were damaged, so nothing was stored."
RETRY = "Log it again with /problem."


def report_from(value: str, cmd: c.Command) -> tuple[int, c.ReportProblem]:
    """Rebuild the report the 'same as #n?' question held back, and the number it matched."""
    try:
        data = json.loads(value)
        report, match = dict(data["report"]), int(data["match"])
        when = report.pop("when", None) or {}
        impacts = tuple(ImpactArea(i) for i in report.pop("impacts", ()))
        iso = date.fromisoformat(when["iso"]) if when.get("iso") else None
        days_ago = int(when.get("days_ago", 0))
        held = c.ReportProblem(
            ws=cmd.ws,
            actor=cmd.actor,
            impacts=impacts,
            when=c.DateSpec(iso=iso, days_ago=days_ago),
            **report,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadInput(DAMAGED, RETRY) from exc
    if not _well_formed(held):
        raise BadInput(DAMAGED, RETRY)
    return match, held


def _well_formed(r: c.ReportProblem) -> bool:
    """A tampered button must not reach storage with values the grammar would never produce."""

    def whole(n: object, low: int, high: int) -> bool:
        return isinstance(n, int) and not isinstance(n, bool) and low <= n <= high

    return (
        isinstance(r.text, str)
        and 0 < len(r.text) <= MAX_TEXT
        and (r.area is None or (isinstance(r.area, str) and 0 < len(r.area) <= MAX_AREA_NAME))
        and whole(r.count, 1, MAX_COUNT)
        and (r.effort_minutes is None or whole(r.effort_minutes, 1, MAX_EFFORT_MINUTES))
        and (r.users is None or whole(r.users, 0, MAX_USERS))
        and all(isinstance(flag, bool) for flag in (r.failure_demand, r.anonymous))
        and (r.delivery_id is None or (isinstance(r.delivery_id, str) and len(r.delivery_id) <= 200))
        and whole(r.when.days_ago, 0, MAX_DAYS_BACK)
    )


IDEA_ACTIONS = (Action.VOTE, Action.UNVOTE, Action.ADD_EVIDENCE, Action.VOTE_INSTEAD, Action.NEW_IDEA)


def press_idea_button(action: Action, cmd: c.PressButton, ctx: Context) -> Reply | tuple[Reply, ...]:
    if action in (Action.VOTE, Action.UNVOTE, Action.ADD_EVIDENCE):
        number = parse_idea_id(cmd.value, "That button", "/idea vote <id>")
        if action is Action.ADD_EVIDENCE:
            return Reply(text=f"Add what you saw to I{number}: /idea evidence I{number} <what you saw>")
        vote = c.VoteForIdea(ws=cmd.ws, actor=cmd.actor, number=number, vote=action is Action.VOTE, from_card=True)
        return vote_for_idea(vote, ctx)
    match, idea = held_idea(cmd.value, cmd)
    if action is Action.NEW_IDEA:
        new = propose_idea(idea, ctx)
        return Reply(text=f"Proposed as a new idea, I{new.problem_number}.", to=Target.REPLACE), new
    vote = vote_for_idea(c.VoteForIdea(ws=cmd.ws, actor=cmd.actor, number=match, vote=True), ctx)
    return replace(vote, to=Target.REPLACE) if isinstance(vote, Reply) else vote


def press_button(cmd: c.PressButton, ctx: Context) -> Reply | tuple[Reply, ...]:
    try:
        action = Action(cmd.action)
    except ValueError as exc:
        raise BadInput("That button is from an older version of Tally.", "Use /problem instead.") from exc
    if action in IDEA_ACTIONS:
        return press_idea_button(action, cmd, ctx)
    if action is Action.PROPOSE_FIX:
        number = parse_problem_id(cmd.value, "Propose a fix", "/idea <what would fix it> for #<id>")
        return open_idea_form(cmd, number, ctx)
    if action is Action.HAPPENED_AGAIN:
        number = parse_problem_id(cmd.value, "Happened again", "/problem again <id>")
        again = c.LogOccurrence(ws=cmd.ws, actor=cmd.actor, number=number, delivery_id=cmd.delivery_id)
        return log_occurrence(again, ctx, to=Target.REPLACE)
    match, report = report_from(cmd.value, cmd)
    if action is Action.NOT_SAME:
        card = report_problem(replace(report, skip_duplicate_check=True), ctx)
        notice = Reply(text=f"Logged as a new problem, #{card.problem_number}.", to=Target.REPLACE)
        return notice, card
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
        to=Target.REPLACE,
    )
