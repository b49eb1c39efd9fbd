"""Realistic sample data, so a new user sees a full digest, agenda and export at once: a benefits service's areas,
problems tallied over 20 weeks (one with a clear rise), recorded demand, and ideas at every stage with votes and
decisions. Loaded once: a workspace that already has it is left alone."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bot.names import slugify
from digests.weeks import IsoWeek
from storage.model import (
    Decision,
    Evidence,
    Idea,
    IdeaChange,
    ImpactArea,
    Occurrence,
    Problem,
    Stage,
    Status,
    Workspace,
)
from storage.ports import UnitOfWork

WEEKS = 20
DEMO_MARK = "demo:"  # the start of every demo occurrence's delivery key

AREAS = ("Communicating decision on application", "Processing applications", "Front desk", "Phone line")
# (title, area, minutes each, users each, failure demand, impact areas, weekly mean, rises in the last 8 weeks by)
PROBLEMS = (
    ("Users contacting us to complain that they have not received a decision letter", 0, 30, 1, True, "qdc", 15, 6),
    ("Evidence uploaded to the portal can't be opened", 1, 20, 1, False, "dq", 6, 0),
    ("Applications missing the tenancy agreement", 1, 15, 1, True, "dq", 9, 0),
    ("Printer at reception jams on letter paper", 2, 10, 1, False, "c", 4, 0),
    ("Visitors sent to the wrong floor for appointments", 2, 5, 1, True, "qp", 7, -4),
    ("Callers on hold for over 20 minutes", 3, 12, 1, True, "qp", 20, 0),
    ("Call transferred to a team that can't help", 3, 8, 1, True, "q", 11, 0),
    ("Staff re-keying data from the old system", 1, 25, 0, False, "cp", 5, 0),
)
# (title, problems it fixes, stage, votes, decision, reason, reduction %, cost)
IDEAS = (
    ("Email decision letters as well as posting them", (1,), Stage.IMPROVE, 7, Decision.APPROVE,
     "Cheap, fast, and the evidence is strong: letters go missing in the post.", 60, 2000),
    ("Check uploads open before the portal accepts them", (2,), Stage.IMPROVE, 4, Decision.EXPERIMENT,
     "Try it for four weeks on one form first.", 50, 3500),
    ("A checklist of documents on the application form", (3,), Stage.IMPROVE, 5, None, "", 40, 500),
    ("Better signs in the lobby", (5,), Stage.INSIGHT, 3, None, "", None, None),
    ("A call-back service instead of holding", (6, 7), Stage.INFORMATION, 9, None, "", None, None),
    ("Replace the reception printer", (4,), Stage.INFORMATION, 1, Decision.PARK,
     "The lease ends in March: we replace it then.", None, None),
    ("Automate the data transfer from the old system", (8,), Stage.INSIGHT, 2, Decision.REJECT,
     "The old system is switched off in six months.", None, None),
)  # fmt: skip


@dataclass(frozen=True)
class Loaded:
    problems: int
    occurrences: int
    ideas: int
    already: bool = False


def load_demo(uow: UnitOfWork, ws: Workspace, today: date, progress: Callable[[str], None] = lambda _: None) -> Loaded:
    assert ws.id is not None
    if any(p.title == PROBLEMS[0][0] for p in uow.problems.list(ws.id, list(Status), limit=1000)):
        return Loaded(0, 0, 0, already=True)
    rng = random.Random(2026)
    areas = [uow.areas.by_slug(ws.id, slugify(a)) or uow.areas.add(ws.id, a, slugify(a)) for a in AREAS]
    this_week = IsoWeek.of(today)
    first = this_week.previous(WEEKS - 1)
    problems, occurrences = [], 0
    progress(f"{len(PROBLEMS)} problems over {WEEKS} weeks…")
    for title, area, minutes, users, fd, impacts, mean, rise in PROBLEMS:
        number = uow.workspaces.next_problem_number(ws.id)
        impact = tuple(ImpactArea({"c": "cost", "d": "delivery", "q": "quality", "p": "people"}[x]) for x in impacts)
        problem = uow.problems.add(
            Problem(ws.id, number, title, area_id=areas[area].id, impact_areas=impact, effort_minutes=minutes,
                    users_per_occurrence=users, failure_demand=fd, reporter_id=None)
        )  # fmt: skip
        problems.append(problem)
        assert problem.id is not None
        for week in range(WEEKS):
            level = mean + (rise if week >= WEEKS - 8 else 0)
            monday = first.monday + timedelta(weeks=week)
            for day in range(5):
                when = monday + timedelta(days=day)
                if when > today:
                    break
                count = max(0, round(rng.gauss(level / 5, max(1.0, level / 10))))
                if count:
                    key = f"{DEMO_MARK}{problem.number}:{when.isoformat()}"
                    uow.occurrences.add(Occurrence(ws.id, problem.id, when, count, minutes, users, delivery_id=key))
                    occurrences += 1
    progress("demand for every area and week…")
    for week in range(WEEKS):
        for area in areas:
            assert area.id is not None
            uow.demand.record(ws.id, area.id, first.monday + timedelta(weeks=week), rng.randint(300, 420))
    progress(f"{len(IDEAS)} ideas with votes, evidence and decisions…")
    for title, fixes, stage, votes, decision, reason, reduction, cost in IDEAS:
        idea = uow.ideas.add(
            Idea(ws.id, uow.ideas.next_number(ws.id), title, stage=stage, decision=decision, decision_reason=reason,
                 decided_by="demo-owner" if decision else None,
                 decided_at=datetime.now(UTC) - timedelta(days=3) if decision else None,
                 reduction_pct=Decimal(reduction) if reduction is not None else None,
                 cost=Decimal(cost) if cost is not None else None,
                 review_on=today + timedelta(weeks=4) if decision is Decision.EXPERIMENT else None)
        )  # fmt: skip
        assert idea.id is not None
        for n in fixes:
            assert problems[n - 1].id is not None
            uow.ideas.link(ws.id, idea.id, problems[n - 1].id)
        for v in range(votes):
            uow.ideas.vote(ws.id, idea.id, f"demo-voter-{v}")
        if stage is not Stage.INFORMATION:
            uow.ideas.add_evidence(Evidence(ws.id, idea.id, "Counted for a fortnight on the tally chart."))
            uow.ideas.add_change(
                IdeaChange(ws.id, idea.id, "demo-owner", "information", stage.value, "Evidence is in.")
            )
        if decision is not None:
            uow.ideas.add_change(IdeaChange(ws.id, idea.id, "demo-owner", stage.value, decision.value, reason))
    return Loaded(len(problems), occurrences, len(IDEAS))
