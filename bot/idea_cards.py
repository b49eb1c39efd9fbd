"""Builds the neutral replies that show ideas: the idea's card, list lines and the agenda."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.ids import Action
from bot.impact import SIXTY, format_hours, format_money, plural
from bot.replies import Button, Field, Reply, ReplyKind, Target
from bot.roi import BASELINE_WEEKS, Annual, Return, format_roi, idea_return
from storage.model import Decision, Idea, Problem, Stage, Totals, Workspace

STAGE_STEPS = {Stage.INFORMATION: "1 of 3", Stage.INSIGHT: "2 of 3", Stage.IMPROVE: "3 of 3"}
DECIDED = {
    Decision.APPROVE: "approved",
    Decision.EXPERIMENT: "approved as an experiment",
    Decision.REJECT: "rejected",
    Decision.PARK: "parked",
    Decision.DONE: "done",
}
ANONYMOUS_NOTE = "Proposed anonymously: Tally keeps no record of who, so nobody can be told what happens to it."


@dataclass(frozen=True)
class LinkedProblem:
    problem: Problem
    baseline: Totals  # the last 12 complete weeks


@dataclass(frozen=True)
class IdeaView:
    idea: Idea
    votes: int
    linked: tuple[LinkedProblem, ...]
    merged_into: int | None = None

    def annual(self, ws: Workspace) -> Annual:
        total = Annual(Decimal(0), 0)
        for link in self.linked:
            total = total + Annual.of(link.baseline, ws.hourly_cost)
        return total

    def estimate(self, ws: Workspace) -> Return | None:
        idea = self.idea
        if idea.reduction_pct is None or idea.cost is None:
            return None
        return idea_return(self.annual(ws), idea.reduction_pct, idea.cost)

    @property
    def open_for_votes(self) -> bool:
        return self.idea.decision is None and self.idea.merged_into_id is None


def idea_title(idea: Idea) -> str:
    return f"I{idea.number} {idea.title}"


def decision_text(idea: Idea) -> str:
    if idea.decision is None:
        return "not decided yet"
    when = f" on {idea.decided_at.date().isoformat()}" if idea.decided_at else ""
    review = (
        f"; review on {idea.review_on.isoformat()}" if idea.review_on and idea.decision is Decision.EXPERIMENT else ""
    )
    return f"{DECIDED[idea.decision]}{when}{review}: {idea.decision_reason}"


def problem_impact(link: LinkedProblem, ws: Workspace) -> str:
    weekly_hours = format_hours(link.baseline.staff_minutes / SIXTY / BASELINE_WEEKS)
    weekly_users = link.baseline.users_affected / BASELINE_WEEKS
    annual = Annual.of(link.baseline, ws.hourly_cost)
    return (
        f"#{link.problem.number} {link.problem.title}: {weekly_hours} a week, {weekly_users:,.0f} users a week, "
        f"{format_money(annual.cost, ws.currency)} a year"
    )


def estimate_text(view: IdeaView, ws: Workspace) -> str:
    idea, result = view.idea, view.estimate(ws)
    if result is None:
        return f"none yet (/idea estimate I{idea.number} reduction=40% cost=2000)"
    payback = (
        f"pays back in {plural(result.payback_weeks, 'week')}" if result.payback_weeks is not None else "no saving"
    )
    return (
        f"{idea.reduction_pct.normalize():f}% fewer, {format_money(idea.cost if idea.cost is not None else Decimal(0), ws.currency)} to do: "  # type: ignore[union-attr]
        f"saves {format_money(result.annual_saving, ws.currency)} a year, ROI {format_roi(result.roi)}, {payback}; "
        f"{result.users_spared_a_year:,} fewer service users affected a year (of {result.users_a_year:,})"
    )


def idea_fields(view: IdeaView, ws: Workspace) -> tuple[Field, ...]:
    idea = view.idea
    proposer = (
        Field("Proposed by", "anonymous")
        if idea.proposer_id is None
        else Field("Proposed by", "a colleague", user_id=idea.proposer_id)
    )
    fields = [
        proposer,
        Field("Stage", f"{idea.stage.value.capitalize()} ({STAGE_STEPS[idea.stage]})"),
        Field("Votes", f"{view.votes:,}"),
        Field("Decision", decision_text(idea)),
        Field("Estimate", estimate_text(view, ws)),
    ]
    if idea.root_cause:
        fields.append(Field("Root cause", idea.root_cause))
    if idea.outcome:
        fields.append(Field("What it achieved", idea.outcome))
    return tuple(fields)


def idea_buttons(view: IdeaView) -> tuple[Button, ...]:
    if not view.open_for_votes:
        return ()
    number = str(view.idea.number)
    return (
        Button("Vote", Action.VOTE, number, primary=True),
        Button("Unvote", Action.UNVOTE, number),
        Button("Add evidence", Action.ADD_EVIDENCE, number),
    )


def idea_card(view: IdeaView, ws: Workspace, to: Target, footer: str = "") -> Reply:
    idea = view.idea
    notes = [footer] if footer else []
    if view.merged_into is not None:
        notes.append(f"Merged into I{view.merged_into}: its votes count there.")
    elif idea.proposer_id is None:
        notes.append(ANONYMOUS_NOTE)
    lines = tuple(problem_impact(link, ws) for link in view.linked) or ("No problems linked yet.",)
    return Reply(
        text=idea_title(idea),
        kind=ReplyKind.CARD,
        to=to,
        fields=idea_fields(view, ws),
        lines=lines,
        buttons=idea_buttons(view),
        footer=" ".join(notes),
        problem_number=idea.number,
    )


def idea_line(view: IdeaView, ws: Workspace) -> str:
    idea = view.idea
    state = DECIDED[idea.decision] if idea.decision else idea.stage.value
    result = view.estimate(ws)
    roi = f", ROI {format_roi(result.roi)}" if result else ""
    return f"I{idea.number} {idea.title} — {state}, {plural(view.votes, 'vote')}{roi}"
