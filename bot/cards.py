"""Builds the neutral replies that show problems: cards, list lines and the duplicate question."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.ids import Action
from bot.impact import format_hours, format_minutes, format_money, impact_of, plural
from bot.replies import MAX_BUTTON_VALUE, Button, Field, Reply, ReplyKind, Target
from storage.model import Problem, Totals, Workspace


@dataclass(frozen=True)
class ProblemView:
    """A problem with what the card shows beside it."""

    problem: Problem
    area_name: str | None
    week: Totals
    all_time: Totals


def problem_title(problem: Problem) -> str:
    return f"#{problem.number} {problem.title}"


def problem_fields(view: ProblemView, ws: Workspace) -> tuple[Field, ...]:
    p = view.problem
    week = impact_of(view.week, ws.hourly_cost)
    fields = [
        Field("Process area", view.area_name or "not set"),
        Field("Impact", ", ".join(a.value.capitalize() for a in p.impact_areas) or "not set"),
        Field("Tally", f"{plural(view.week.count, 'time')} this week · {plural(view.all_time.count, 'time')} in all"),
    ]
    if p.effort_minutes or view.week.staff_minutes:
        fields.append(Field("Staff time this week", format_hours(week.staff_hours)))
        fields.append(Field("Cost this week", format_money(week.cost, ws.currency)))
    else:
        fields.append(Field("Staff time this week", "no effort recorded yet (add it, e.g. 20m)"))
    fields.append(Field("Service users affected this week", f"{week.users_affected:,}"))
    details = [f"status: {p.status.label}"]
    if p.effort_minutes:
        details.append(f"about {format_minutes(p.effort_minutes)} each time")
    if p.failure_demand:
        details.append("failure demand")
    if p.reporter_id is None:
        details.append("reported anonymously")
    fields.append(Field("Details", " · ".join(details)))
    return tuple(fields)


def problem_card(view: ProblemView, ws: Workspace, to: Target, footer: str = "") -> Reply:
    p = view.problem
    buttons: tuple[Button, ...] = ()
    if p.status.is_open:
        buttons = (
            Button("Happened again", Action.HAPPENED_AGAIN, str(p.number), primary=True),
            Button("Propose a fix", Action.PROPOSE_FIX, str(p.number)),
        )
    return Reply(
        text=problem_title(p),
        kind=ReplyKind.CARD,
        to=to,
        fields=problem_fields(view, ws),
        buttons=buttons,
        footer=footer,
        problem_number=p.number,
    )


def problem_line(view: ProblemView, ws: Workspace, totals: Totals) -> str:
    impact = impact_of(totals, ws.hourly_cost)
    parts = [plural(totals.count, "time"), format_hours(impact.staff_hours), f"{impact.users_affected:,} users"]
    where = f" · {view.area_name}" if view.area_name else ""
    status = "" if view.problem.status.value == "open" else f" · {view.problem.status.label}"
    return f"#{view.problem.number} {view.problem.title} — {', '.join(parts)}{where}{status}"


def held_question(
    text: str, match: int, key: str, held: dict, yes: tuple[str, Action], no: tuple[str, Action]
) -> Reply | None:
    """A question whose two buttons carry what was held back, so nothing is stored until one is pressed.

    None when what was held is too long for a button to carry it.
    """
    value = json.dumps({"match": match, key: held}, separators=(",", ":"), default=str, ensure_ascii=False)
    if len(value) > MAX_BUTTON_VALUE:
        return None
    return Reply(
        text=text,
        kind=ReplyKind.QUESTION,
        buttons=(Button(yes[0], yes[1], value, primary=True), Button(no[0], no[1], value)),
        footer="Nothing is stored until you choose.",
        problem_number=match,
    )


def duplicate_question(match: Problem, payload: dict) -> Reply | None:
    """'Same as #n?' before creating a near-copy of an open problem."""
    return held_question(
        f"This looks like {problem_title(match)}. Is it the same problem?",
        match.number,
        "report",
        payload,
        (f"Yes, log it on #{match.number}", Action.SAME_AS),
        ("No, it's a new problem", Action.NOT_SAME),
    )
