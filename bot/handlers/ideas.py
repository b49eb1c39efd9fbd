"""Ideas through the '3 I' forum: propose, vote, add evidence, move on, decide, merge; every change audited,
and every stage change and decision told to the proposer and the voters, with its reason."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from datetime import timedelta

from bot import commands as c
from bot.cards import held_question
from bot.dedupe import most_similar
from bot.errors import BadInput, Conflict, NotFound
from bot.events import ExperimentReviewDue, IdeaChanged
from bot.handlers.context import Context, audit, get_problem, owners_only, today, workspace
from bot.handlers.forums import in_forum
from bot.idea_cards import DECIDED, IdeaView, LinkedProblem, idea_card, idea_line, idea_title
from bot.ids import Action
from bot.replies import Reply, ReplyKind, Section, Target
from bot.roi import baseline
from storage.model import Decision, Evidence, Idea, IdeaChange, Stage, Totals, Workspace

TITLE_LIMIT = 150
EXPERIMENT_REVIEW_DAYS = 28


def _title(text: str) -> str:
    return text if len(text) <= TITLE_LIMIT else text[: TITLE_LIMIT - 1].rsplit(" ", 1)[0] + "…"


def get_idea(ctx: Context, ws: Workspace, number: int) -> Idea:
    idea = ctx.uow.ideas.get(ws.id, number)
    if idea is None:
        raise NotFound(f"There's no idea I{number}.", "/idea list shows the open ones.")
    return idea


def _open(ctx: Context, ws: Workspace, number: int, doing: str) -> Idea:
    """An idea that can still change: not merged into another."""
    idea = get_idea(ctx, ws, number)
    if idea.merged_into_id is not None:
        target = ctx.uow.ideas.get_by_id(ws.id, idea.merged_into_id)
        where = f"I{target.number}" if target else "another idea"
        raise Conflict(f"I{idea.number} was merged into {where}, so it can't {doing}.", f"Use {where} instead.")
    return idea


def _locked(ctx: Context, ws: Workspace, idea: Idea) -> Idea:
    """Changes to one idea go one after another: lock it, then read it again as it now is."""
    assert idea.id is not None
    ctx.uow.ideas.lock(ws.id, idea.id)
    return ctx.uow.ideas.get_by_id(ws.id, idea.id) or idea


def idea_view(ctx: Context, ws: Workspace, idea: Idea) -> IdeaView:
    assert idea.id is not None
    start, end = baseline(today(ctx, ws), ws.week_start)
    linked_ids = ctx.uow.ideas.linked_problem_ids(ws.id, idea.id)
    totals = ctx.uow.occurrences.totals(ws.id, linked_ids, start=start, end=end) if linked_ids else {}
    problems = [p for pid in linked_ids if (p := ctx.uow.problems.get_by_id(ws.id, pid))]
    linked = tuple(LinkedProblem(p, totals.get(p.id or 0, Totals())) for p in problems)
    merged = ctx.uow.ideas.get_by_id(ws.id, idea.merged_into_id) if idea.merged_into_id else None
    votes = ctx.uow.ideas.vote_counts(ws.id, [idea.id]).get(idea.id, 0)
    return IdeaView(idea, votes, linked, merged.number if merged else None)


def card(ctx: Context, ws: Workspace, idea: Idea, to: Target, footer: str = "") -> Reply:
    return idea_card(idea_view(ctx, ws, idea), ws, to, footer)


def _changed(ctx: Context, ws: Workspace, cmd: c.Command, idea: Idea, what: str, reason: str) -> None:
    """History, audit and the event that tells the proposer and voters."""
    assert idea.id is not None
    voters = tuple(ctx.uow.ideas.voters(ws.id, idea.id))
    ctx.record(IdeaChanged(cmd.ws, idea.number, idea.title, what, reason, idea.proposer_id, voters, cmd.actor.user_id))


# --- proposing ----------------------------------------------------------------------------------------------
def propose_idea(cmd: c.ProposeIdea, ctx: Context) -> Reply:
    ws = workspace(ctx, cmd.ws)
    problems = [get_problem(ctx, ws, n) for n in cmd.problems]
    match = None if cmd.skip_duplicate_check else most_similar(cmd.text, ctx.uow.ideas.open_ideas(ws.id))
    if match is not None and (question := _vote_instead(match, cmd)):
        return question
    proposer = None if cmd.anonymous else cmd.actor.user_id
    forum = ctx.uow.forums.default(ws.id)
    idea = ctx.uow.ideas.add(
        Idea(
            workspace_id=ws.id,
            number=ctx.uow.ideas.next_number(ws.id),
            title=_title(cmd.text),
            description=cmd.text,
            proposer_id=proposer,
            forum_id=forum.id,
            created_at=ctx.now,
        )
    )
    assert idea.id is not None
    for problem in problems:
        assert problem.id is not None
        ctx.uow.ideas.link(ws.id, idea.id, problem.id)
    audit(ctx, ws, "idea.proposed", f"I{idea.number}", proposer, problems=list(cmd.problems))
    return replace(card(ctx, ws, idea, Target.CONVERSATION), anonymous=cmd.anonymous)


def _vote_instead(match: Idea, cmd: c.ProposeIdea) -> Reply | None:
    """'Vote for I<n> instead?' before proposing a near-copy of an open idea."""
    held = {k: v for k, v in asdict(cmd).items() if k in ("text", "problems", "anonymous", "delivery_id")}
    return held_question(
        f"This looks like {idea_title(match)}. Vote for it instead?",
        match.number,
        "idea",
        held,
        (f"Vote for I{match.number}", Action.VOTE_INSTEAD),
        ("No, it's a new idea", Action.NEW_IDEA),
    )


def held_idea(value: str, cmd: c.Command) -> tuple[int, c.ProposeIdea]:
    """The idea the 'vote for I<n> instead?' buttons held back, checked as the grammar would."""
    try:
        data = json.loads(value)
        match, held = int(data["match"]), dict(data["idea"])
        idea = c.ProposeIdea(
            ws=cmd.ws,
            actor=cmd.actor,
            text=str(held["text"]),
            problems=tuple(int(n) for n in held.get("problems") or ()),
            anonymous=bool(held.get("anonymous")),
            delivery_id=held.get("delivery_id"),
            skip_duplicate_check=True,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadInput(
            "That button's details were damaged, so nothing was stored.", "Propose it again with /idea."
        ) from exc
    if not 0 < len(idea.text) <= 1000 or not all(0 < n < 10**9 for n in idea.problems):
        raise BadInput("That button's details were damaged, so nothing was stored.", "Propose it again with /idea.")
    return match, idea


# --- looking ------------------------------------------------------------------------------------------------
def show_idea(cmd: c.ShowIdea, ctx: Context) -> Reply:
    ws = workspace(ctx, cmd.ws)
    idea = get_idea(ctx, ws, cmd.number)
    assert idea.id is not None
    evidence = ctx.uow.ideas.evidence(ws.id, idea.id)
    history = ctx.uow.ideas.changes(ws.id, idea.id)
    reply = card(ctx, ws, idea, Target.PRIVATE)
    sections = (
        Section("Evidence", tuple(e.text for e in evidence), f"None yet: /idea evidence I{idea.number} <what you saw>"),
        Section(
            "History",
            tuple(
                f"{h.at.date().isoformat() if h.at else ''} {h.before} → {h.after}: {h.reason}".strip() for h in history
            ),
            "Proposed; nothing decided yet.",
        ),
    )
    return replace(reply, sections=sections)


LIST_FILTERS = {
    "open": (None, False),
    "information": ((Stage.INFORMATION,), False),
    "insight": ((Stage.INSIGHT,), False),
    "improve": ((Stage.IMPROVE,), False),
    "decided": (None, True),
    "all": (None, None),
}


def list_ideas(cmd: c.ListIdeas, ctx: Context) -> Reply:
    ws = workspace(ctx, cmd.ws)
    stages, decided = LIST_FILTERS[cmd.which]
    ideas = ctx.uow.ideas.list(ws.id, stages, decided, limit=25)
    heading = "Open ideas" if cmd.which == "open" else f"Ideas: {cmd.which}"
    if not ideas:
        return Reply(text=f"{heading}: none. Propose one with /idea <what would fix it>.", kind=ReplyKind.LIST)
    counts = ctx.uow.ideas.vote_counts(ws.id, [i.id for i in ideas if i.id is not None])
    lines = tuple(idea_line(IdeaView(i, counts.get(i.id or 0, 0), ()), ws) for i in ideas)
    return Reply(text=f"{heading}:", kind=ReplyKind.LIST, lines=lines)


# --- voting and evidence ------------------------------------------------------------------------------------
def vote_for_idea(cmd: c.VoteForIdea, ctx: Context) -> Reply | tuple[Reply, ...]:
    ws = workspace(ctx, cmd.ws)
    idea = _locked(ctx, ws, _open(ctx, ws, cmd.number, "take votes"))
    assert idea.id is not None
    if idea.merged_into_id is not None:
        idea = _open(ctx, ws, cmd.number, "take votes")  # merged while we waited: says where its votes went
    if idea.decision is not None:
        raise Conflict(
            f"Voting on I{idea.number} has closed: it was {DECIDED[idea.decision]}.",
            "Votes open again if the forum brings a parked idea back.",
        )
    if cmd.vote:
        changed = ctx.uow.ideas.vote(ws.id, idea.id, cmd.actor.user_id)
        note = f"Your vote for I{idea.number} counted." if changed else f"You had already voted for I{idea.number}."
    else:
        changed = ctx.uow.ideas.unvote(ws.id, idea.id, cmd.actor.user_id)
        note = f"Your vote for I{idea.number} was taken back." if changed else f"You hadn't voted for I{idea.number}."
    if changed:
        audit(ctx, ws, "idea.vote" if cmd.vote else "idea.unvote", f"I{idea.number}", cmd.actor.user_id)
    if cmd.from_card:  # everyone's card changes; the person who pressed is told what happened to their vote
        return card(ctx, ws, idea, Target.REPLACE), Reply(text=note)
    return card(ctx, ws, idea, Target.PRIVATE, footer=note)


def add_evidence(cmd: c.AddEvidence, ctx: Context) -> Reply:
    ws = workspace(ctx, cmd.ws)
    idea = _open(ctx, ws, cmd.number, "take evidence")
    assert idea.id is not None
    ctx.uow.ideas.add_evidence(Evidence(ws.id, idea.id, cmd.text, cmd.actor.user_id))
    audit(ctx, ws, "idea.evidence", f"I{idea.number}", cmd.actor.user_id)
    return card(ctx, ws, idea, Target.PRIVATE, footer="Evidence added. /idea show shows it all.")


def record_root_cause(cmd: c.RecordRootCause, ctx: Context) -> Reply:
    ws = workspace(ctx, cmd.ws)
    idea = _open(ctx, ws, cmd.number, "change")
    if idea.stage is Stage.INFORMATION:
        raise Conflict(
            f"I{idea.number} is still gathering information: the root cause is recorded at insight.",
            f"Add what you know as evidence (/idea evidence I{idea.number} …); an owner moves it to insight.",
        )
    before = idea.root_cause
    idea.root_cause = cmd.text
    ctx.uow.ideas.save(idea)
    audit(ctx, ws, "idea.root_cause", f"I{idea.number}", cmd.actor.user_id, before=before)
    return card(ctx, ws, idea, Target.PRIVATE, footer="Root cause recorded.")


def estimate_idea(cmd: c.EstimateIdea, ctx: Context) -> Reply:
    ws = workspace(ctx, cmd.ws)
    idea = _open(ctx, ws, cmd.number, "change")
    if cmd.reduction_pct is not None:
        idea.reduction_pct = cmd.reduction_pct
    if cmd.cost is not None:
        idea.cost = cmd.cost
    ctx.uow.ideas.save(idea)
    audit(
        ctx, ws, "idea.estimate", f"I{idea.number}", cmd.actor.user_id,
        reduction=str(idea.reduction_pct), cost=str(idea.cost),
    )  # fmt: skip
    return card(ctx, ws, idea, Target.PRIVATE, footer="Estimate recorded.")


# --- the forum's owners -------------------------------------------------------------------------------------
def move_idea(cmd: c.MoveIdea, ctx: Context) -> Reply:
    ws = workspace(ctx, cmd.ws)
    if refused := owners_only(ctx, ws, cmd, "move ideas between stages"):
        return refused
    idea = _locked(ctx, ws, _open(ctx, ws, cmd.number, "move"))
    stage = Stage(cmd.stage)
    if idea.decision not in (None, Decision.PARK):
        raise Conflict(f"I{idea.number} was {DECIDED[idea.decision]}: it has left the stages.", "Propose a new idea.")
    if stage is idea.stage and idea.decision is None:
        raise Conflict(f"I{idea.number} is already at {stage.value}.", "Move it to another stage.")
    before = idea.decision.value if idea.decision else idea.stage.value
    idea.stage, idea.decision, idea.decision_reason = stage, None, ""  # a parked idea brought back: votes reopen
    ctx.uow.ideas.save(idea)
    assert idea.id is not None
    ctx.uow.ideas.add_change(IdeaChange(ws.id, idea.id, cmd.actor.user_id, before, stage.value, cmd.reason))
    audit(ctx, ws, "idea.moved", f"I{idea.number}", cmd.actor.user_id, before=before, after=stage.value)
    _changed(ctx, ws, cmd, idea, f"moved to {stage.value}", cmd.reason)
    return card(ctx, ws, idea, Target.CONVERSATION, footer=f"Moved from {before} to {stage.value}.")


def decide_idea(cmd: c.DecideIdea, ctx: Context) -> Reply:
    ws = workspace(ctx, cmd.ws)
    if refused := owners_only(ctx, ws, cmd, "decide ideas"):
        return refused
    idea = _locked(ctx, ws, _open(ctx, ws, cmd.number, "be decided"))
    decision = Decision(cmd.decision)
    if decision is Decision.DONE and idea.decision not in (Decision.APPROVE, Decision.EXPERIMENT):
        raise Conflict(
            f"I{idea.number} hasn't been approved, so it can't be done yet.",
            f"Decide it first: /idea decide I{idea.number} approve <why>.",
        )
    if decision is not Decision.DONE and idea.decision not in (None, Decision.PARK):
        raise Conflict(
            f"I{idea.number} was already {DECIDED[idea.decision]}.",  # type: ignore[index]
            f"When it's finished: /idea decide I{idea.number} done <what it achieved>.",
        )
    before = idea.decision.value if idea.decision else idea.stage.value
    now = ctx.now
    if decision is Decision.DONE:
        idea.outcome = cmd.reason
    else:
        idea.decision_reason = cmd.reason
    idea.decision, idea.decided_by, idea.decided_at = decision, cmd.actor.user_id, now
    if decision is Decision.EXPERIMENT:
        idea.review_on = (
            resolve_future(ctx, ws, cmd.review)
            if cmd.review
            else today(ctx, ws) + timedelta(days=EXPERIMENT_REVIEW_DAYS)
        )
    ctx.uow.ideas.save(idea)
    assert idea.id is not None
    ctx.uow.ideas.add_change(IdeaChange(ws.id, idea.id, cmd.actor.user_id, before, decision.value, cmd.reason))
    audit(ctx, ws, "idea.decided", f"I{idea.number}", cmd.actor.user_id, decision=decision.value, reason=cmd.reason)
    _changed(ctx, ws, cmd, idea, DECIDED[decision], cmd.reason)
    return card(ctx, ws, idea, Target.CONVERSATION, footer=f"Decided: {DECIDED[decision]}. Proposer and voters told.")


def resolve_future(ctx: Context, ws: Workspace, spec: c.DateSpec):  # type: ignore[no-untyped-def]
    """An experiment's review date: today or later."""
    day = spec.iso or today(ctx, ws) - timedelta(days=spec.days_ago)
    if day < today(ctx, ws):
        raise BadInput(f"{day.isoformat()} has passed.", "Give a review date from today on, as review=YYYY-MM-DD.")
    return day


def merge_ideas(cmd: c.MergeIdeas, ctx: Context) -> Reply:
    ws = workspace(ctx, cmd.ws)
    if refused := owners_only(ctx, ws, cmd, "merge ideas"):
        return refused
    if cmd.source == cmd.target:
        raise Conflict(f"I{cmd.source} can't be merged into itself.", "Name two different ideas.")
    first, second = sorted((cmd.source, cmd.target))  # both locked, always in the same order
    locked = {
        n: _locked(ctx, ws, _open(ctx, ws, n, "be merged" if n == cmd.source else "take a merge"))
        for n in (first, second)
    }
    source, target = locked[cmd.source], locked[cmd.target]
    assert source.id is not None and target.id is not None
    if target.decision not in (None, Decision.PARK):
        raise Conflict(
            f"I{target.number} was {DECIDED[target.decision]}: votes can't move to it.",
            f"Merge the other way (/idea merge I{target.number} into I{source.number}), or leave them apart.",
        )
    voters = tuple(ctx.uow.ideas.voters(ws.id, source.id))
    moved = ctx.uow.ideas.move_votes(ws.id, source.id, target.id)
    for problem_id in ctx.uow.ideas.linked_problem_ids(ws.id, source.id):
        ctx.uow.ideas.link(ws.id, target.id, problem_id)
    source.merged_into_id = target.id
    ctx.uow.ideas.save(source)
    ctx.uow.ideas.add_change(IdeaChange(ws.id, source.id, cmd.actor.user_id, "open", f"merged into I{target.number}"))
    audit(ctx, ws, "idea.merged", f"I{source.number}", cmd.actor.user_id, into=target.number, moved=moved)
    what = f"merged into {idea_title(target)}, where your vote now counts"
    ctx.record(
        IdeaChanged(cmd.ws, source.number, source.title, what, "", source.proposer_id, voters, cmd.actor.user_id)
    )
    footer = f"Merged I{source.number} into I{target.number}: {moved} votes moved, one per person."
    return card(ctx, ws, target, Target.CONVERSATION, footer=footer)


def show_agenda(cmd: c.ShowAgenda, ctx: Context) -> Reply:
    """Ready for the forum: at improve and undecided, ranked by return on investment, then votes."""
    ws = workspace(ctx, cmd.ws)
    ready = in_forum(ctx, ws, cmd.forum, ctx.uow.ideas.list(ws.id, (Stage.IMPROVE,), decided=False, limit=100))
    views = [idea_view(ctx, ws, idea) for idea in ready]

    def rank(view: IdeaView) -> tuple:
        result = view.estimate(ws)
        if result is None:
            return (True, 0, -view.votes, view.idea.number)
        free = result.roi is None and result.annual_saving > 0  # costs nothing and saves: better than any ratio
        roi = float("inf") if free else float(result.roi or 0)
        return (False, -roi, -view.votes, view.idea.number)

    views.sort(key=rank)
    if not views:
        return Reply(
            text="The forum's agenda is empty: no idea is at improve and waiting for a decision.", kind=ReplyKind.LIST
        )
    sections = []
    for place, view in enumerate(views, start=1):
        idea = view.idea
        assert idea.id is not None
        evidence = [f"Evidence: {e.text}" for e in ctx.uow.ideas.evidence(ws.id, idea.id)]
        root = [f"Root cause: {idea.root_cause}"] if idea.root_cause else []
        problems = [f"Problem {link.problem.number}: {link.problem.title}" for link in view.linked]
        sections.append(Section(f"{place}. {idea_line(view, ws)}", tuple(root + problems + evidence)))
    return Reply(
        text="The forum's agenda: ideas at improve, waiting for a decision, by return then votes",
        kind=ReplyKind.LIST,
        sections=tuple(sections),
    )


def remind_reviews(cmd: c.RemindReviews, ctx: Context) -> Reply:
    """Claimed before it is sent: a reminder goes once, whichever replica or restart runs the job."""
    reminded = 0
    for ws, idea in ctx.uow.reviews.due(ctx.now.date()):
        assert idea.id is not None and idea.review_on is not None
        # The owners, and whoever decided it (on one-token Slack, admins decide without being in the table).
        owners = tuple(sorted(ctx.uow.workspaces.owners(ws.id) | ({idea.decided_by} if idea.decided_by else set())))
        if not owners or not ctx.uow.reviews.claim(ws.id, idea.id, idea.review_on):
            continue  # nobody to tell yet: it stays due until there is
        ctx.record(
            ExperimentReviewDue(
                c.WorkspaceRef(ws.platform, ws.external_id), idea.number, idea.title, idea.review_on, owners
            )
        )
        audit(ctx, ws, "idea.review_reminder", f"I{idea.number}", None, owners=len(owners))
        reminded += 1
    return Reply(text=f"{reminded} review reminders sent.")
