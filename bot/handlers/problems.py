"""Handlers for capturing problems, logging repeats and looking after the list."""

from __future__ import annotations

from dataclasses import asdict, replace

from bot import commands as c
from bot.cards import duplicate_question, problem_card, problem_line
from bot.dedupe import most_similar
from bot.errors import AlreadyDelivered, Conflict, NotAllowed
from bot.events import ProblemStatusChanged
from bot.handlers.context import (
    Context,
    audit,
    follow_merges,
    get_problem,
    is_admin,
    new_view,
    not_delivered_before,
    resolve_date,
    today,
    view,
    views,
    workspace,
    workspace_and_area,
)
from bot.impact import period_start, plural
from bot.names import slugify
from bot.replies import Reply, ReplyKind, Target
from storage.model import Occurrence, Problem, Status, Totals, Workspace
from storage.ports import DuplicateDelivery

TITLE_LIMIT = 150


def _title(text: str) -> str:
    """A card-sized title; the whole text is kept as the description."""
    if len(text) <= TITLE_LIMIT:
        return text
    return text[: TITLE_LIMIT - 1].rsplit(" ", 1)[0] + "…"


def _reporter(cmd: c.Command, anonymous: bool) -> str | None:
    """Anonymous reports keep no trace of who made them."""
    return None if anonymous else cmd.actor.user_id


def _store(ctx: Context, occurrence: Occurrence) -> None:
    """A copy of the same delivery stored before (a platform's retry), or just now by a concurrent copy,
    means this one is neither stored nor answered; the unit of work is undone."""
    try:
        ctx.uow.occurrences.add(occurrence)
    except DuplicateDelivery as exc:
        ctx.uow.rollback()
        raise AlreadyDelivered(occurrence.delivery_id or "") from exc


def report_problem(cmd: c.ReportProblem, ctx: Context) -> Reply:
    """A retry is caught where its occurrence would be stored, or, when it matches its own first copy, by
    the duplicate check: no query for it up front."""
    ws, area = workspace_and_area(ctx, cmd.ws, cmd.area)
    day = resolve_date(ctx, ws, cmd.when)
    footer = ""
    if not cmd.skip_duplicate_check and (cmd.area is None or area is not None):
        match = most_similar(cmd.text, ctx.uow.problems.open_in_area(ws.id, area.id if area else None))
        if match is not None:
            # Read committed: a copy of this delivery that committed while we read now shows its occurrence too.
            not_delivered_before(ctx, ws, cmd.delivery_id)
            if question := duplicate_question(match, _question_payload(cmd)):
                return question
            footer = f"This looks like #{match.number}; if it's the same, an admin can merge them."
    if area is None and cmd.area:
        area = ctx.uow.areas.add(ws.id, cmd.area, slugify(cmd.area))
    problem = ctx.uow.problems.add(
        Problem(
            workspace_id=ws.id,
            number=ctx.uow.workspaces.next_problem_number(ws.id),
            title=_title(cmd.text),
            description=cmd.text,
            area_id=area.id if area else None,
            impact_areas=cmd.impacts,
            effort_minutes=cmd.effort_minutes or 0,
            users_per_occurrence=1 if cmd.users is None else cmd.users,
            failure_demand=cmd.failure_demand,
            reporter_id=_reporter(cmd, cmd.anonymous),
            created_at=ctx.now,
        )
    )
    assert problem.id is not None
    occurrence = Occurrence(
        workspace_id=ws.id,
        problem_id=problem.id,
        occurred_on=day,
        count=cmd.count,
        effort_minutes=problem.effort_minutes,
        users_affected=problem.users_per_occurrence,
        reporter_id=problem.reporter_id,
        delivery_id=cmd.delivery_id,
    )
    _store(ctx, occurrence)
    audit(ctx, ws, "problem.created", f"#{problem.number}", problem.reporter_id, count=cmd.count)
    card = problem_card(new_view(ctx, ws, problem, area, occurrence), ws, Target.CONVERSATION, footer=footer)
    return replace(card, anonymous=cmd.anonymous)


def _question_payload(cmd: c.ReportProblem) -> dict:
    """What the 'same as #n?' buttons must carry to finish the report either way."""
    data = asdict(cmd)
    for key in ("ws", "actor", "skip_duplicate_check"):
        data.pop(key)
    data["impacts"] = [i.value for i in cmd.impacts]
    data["when"] = {"iso": cmd.when.iso.isoformat() if cmd.when.iso else None, "days_ago": cmd.when.days_ago}
    return data


def log_occurrence(cmd: c.LogOccurrence, ctx: Context, to: Target = Target.PRIVATE) -> Reply:
    ws = workspace(ctx, cmd.ws)
    # Concurrent repeats go one at a time, so the card shows every earlier one's: the problem is read locked.
    asked = get_problem(ctx, ws, cmd.number, lock=True)
    problem = follow_merges(ctx, ws, asked)
    day = resolve_date(ctx, ws, cmd.when)
    assert problem.id is not None
    if problem is not asked:  # a merged problem's repeats count on (and wait for) the one it was merged into
        ctx.uow.problems.lock(ws.id, problem.id)
    occurrence = Occurrence(
        workspace_id=ws.id,
        problem_id=problem.id,
        occurred_on=day,
        count=cmd.count,
        effort_minutes=problem.effort_minutes if cmd.effort_minutes is None else cmd.effort_minutes,
        users_affected=problem.users_per_occurrence if cmd.users is None else cmd.users,
        reporter_id=_reporter(cmd, cmd.anonymous),
        note=cmd.note,
        delivery_id=cmd.delivery_id,
    )
    _store(ctx, occurrence)
    audit(ctx, ws, "occurrence.logged", f"#{problem.number}", occurrence.reporter_id, count=cmd.count)
    notes = [f"Logged {plural(cmd.count, 'more time')} on {day.isoformat()}."]
    if asked.number != problem.number:
        notes.append(f"#{asked.number} was merged into #{problem.number}, so it counts there.")
    if not problem.status.is_open:
        notes.append(f"#{problem.number} is marked {problem.status.label}; a lead may want to reopen it.")
    return problem_card(view(ctx, ws, problem), ws, to, footer=" ".join(notes))


def show_problem(cmd: c.ShowProblem, ctx: Context) -> Reply:
    ws = workspace(ctx, cmd.ws)
    problem = get_problem(ctx, ws, cmd.number)
    footer = ""
    if problem.status is Status.MERGED:
        target = follow_merges(ctx, ws, problem)
        footer = f"Merged into #{target.number}; its repeats are counted there."
    return problem_card(view(ctx, ws, problem), ws, Target.PRIVATE, footer=footer)


def list_problems(cmd: c.ListProblems, ctx: Context) -> Reply:
    ws, area = workspace_and_area(ctx, cmd.ws, cmd.area)
    if cmd.area and area is None:
        return Reply(text=f"There's no process area called '{cmd.area}' yet.", kind=ReplyKind.LIST)
    problems = ctx.uow.problems.list(ws.id, cmd.statuses, area_id=area.id if area else None, limit=25)
    which = "/".join(s.label for s in cmd.statuses) if len(cmd.statuses) < 4 else "all"
    heading = f"{which.capitalize()} problems" + (f" in {area.name}" if area else "")
    if not problems:
        return Reply(text=f"{heading}: none.", kind=ReplyKind.LIST)
    lines = tuple(problem_line(v, ws, v.all_time) for v in views(ctx, ws, problems))
    return Reply(text=f"{heading} (tally in all):", kind=ReplyKind.LIST, lines=lines)


def top_lines(ctx: Context, ws: Workspace, period: str, limit: int = 10) -> tuple[str, ...]:
    """The problems that cost most staff time in the current week, month or quarter."""
    start = period_start(today(ctx, ws), period, ws.week_start)
    totals = ctx.uow.occurrences.totals(ws.id, start=start)
    ranked = sorted(totals.items(), key=lambda kv: (kv[1].staff_minutes, kv[1].count), reverse=True)[:limit]
    problems = [p for pid, _ in ranked if (p := ctx.uow.problems.get_by_id(ws.id, pid))]
    by_id = {v.problem.id: v for v in views(ctx, ws, problems)}
    return tuple(
        f"{rank}. {problem_line(by_id[pid], ws, totals.get(pid, Totals()))}"
        for rank, (pid, _) in enumerate(ranked, start=1)
        if pid in by_id
    )


def top_problems(cmd: c.TopProblems, ctx: Context) -> Reply:
    ws = workspace(ctx, cmd.ws)
    lines = top_lines(ctx, ws, cmd.period)
    if not lines:
        return Reply(text=f"Nothing has been logged this {cmd.period} yet.", kind=ReplyKind.LIST)
    return Reply(text=f"Top problems this {cmd.period}, by staff time:", kind=ReplyKind.LIST, lines=lines)


def set_status(cmd: c.SetStatus, ctx: Context) -> Reply:
    ws = workspace(ctx, cmd.ws)
    problem = get_problem(ctx, ws, cmd.number)
    if not (is_admin(ctx, ws, cmd.actor) or (problem.reporter_id and problem.reporter_id == cmd.actor.user_id)):
        raise NotAllowed(
            f"Only the person who reported #{problem.number}, or a workspace admin, can change its status.",
            "Ask a team lead or improvement champion to do it.",
        )
    if problem.status is Status.MERGED:
        target = follow_merges(ctx, ws, problem)
        raise Conflict(
            f"#{problem.number} was merged into #{target.number}, where its repeats are counted.",
            f"Change #{target.number} instead: /problem status {target.number} {cmd.status.value}",
        )
    before = problem.status
    problem.status = cmd.status
    ctx.uow.problems.save(problem)
    audit(
        ctx, ws, "problem.status", f"#{problem.number}", cmd.actor.user_id, before=before.value, after=cmd.status.value
    )
    if before is not cmd.status:
        ctx.record(
            ProblemStatusChanged(
                cmd.ws, problem.number, problem.title, before, cmd.status, problem.reporter_id, cmd.actor.user_id
            )
        )
    footer = f"Status changed from {before.label} to {cmd.status.label}."
    return problem_card(view(ctx, ws, problem), ws, Target.CONVERSATION, footer=footer)


def merge_problems(cmd: c.MergeProblems, ctx: Context) -> Reply:
    ws = workspace(ctx, cmd.ws)
    if not is_admin(ctx, ws, cmd.actor):
        raise NotAllowed(
            "Only a workspace admin or Tally owner can merge problems.", "Ask a team lead or improvement champion."
        )
    if cmd.source == cmd.target:
        raise Conflict(f"#{cmd.source} can't be merged into itself.", "Name two different problems.")
    source, target = get_problem(ctx, ws, cmd.source), get_problem(ctx, ws, cmd.target)
    for p in (source, target):
        if p.status is Status.MERGED:
            raise Conflict(f"#{p.number} has already been merged.", "Merge into the problem it was merged into.")
    assert source.id is not None and target.id is not None
    moved = ctx.uow.occurrences.move(ws.id, source.id, target.id)
    source.status, source.merged_into_id = Status.MERGED, target.id
    ctx.uow.problems.save(source)
    audit(ctx, ws, "problem.merged", f"#{source.number}", cmd.actor.user_id, into=target.number, moved=moved)
    footer = f"Merged #{source.number} into #{target.number}: {plural(moved, 'record')} of repeats moved."
    return problem_card(view(ctx, ws, target), ws, Target.CONVERSATION, footer=footer)
