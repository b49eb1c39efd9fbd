"""In-memory repositories and unit of work: the core's unit tests run on these, not on SQL."""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from storage import ports
from storage.model import (
    Area,
    AuditEvent,
    Decision,
    Evidence,
    Forum,
    Idea,
    IdeaChange,
    Occurrence,
    OpenProblems,
    Platform,
    Problem,
    Stage,
    Status,
    Totals,
    Workspace,
    WorkspaceDefaults,
)

_SOURCES = itertools.count(1_000_000)


class FakeData:
    """What the fake database holds; shared by every unit of work made from one factory."""

    def __init__(self) -> None:
        self.source = next(_SOURCES)  # names this fake database in the duplicate check's kept indexes
        self.workspaces: list[Workspace] = []
        self.seq: dict[int, int] = {}
        self.owners: dict[int, set[str]] = {}
        self.areas: list[Area] = []
        self.problems: list[Problem] = []
        self.occurrences: list[Occurrence] = []
        self.audit: list[AuditEvent] = []
        self.idea_seq: dict[int, int] = {}
        self.ideas: list[Idea] = []
        self.idea_links: list[tuple[int, int, int]] = []  # (workspace, idea id, problem id), in link order
        self.votes: list[tuple[int, int, str]] = []  # (workspace, idea id, user id), in vote order
        self.evidence: list[Evidence] = []
        self.idea_changes: list[IdeaChange] = []
        self.forums: list[Forum] = []
        self.review_reminders: set[tuple[int, date]] = set()  # (idea id, review date) claimed
        self.demand: dict[tuple[int, int, date], int] = {}  # (workspace, area id, week start) -> total
        # (platform, tenant, conversation) -> (conversation type, reference), oldest first
        self.conversations: dict[tuple[str, str, str], tuple[str, dict[str, Any]]] = {}
        # (enterprise, team) -> (is enterprise install, installation as JSON)
        self.slack_installations: dict[tuple[str, str], tuple[bool, str]] = {}
        self.oauth_states: dict[str, datetime] = {}
        self.commits = 0
        self.fail_commits = False  # a test sets it to make every commit fail, as a database can


class FakeWorkspaces(ports.WorkspaceRepository):
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def find(self, platform: Platform, external_id: str) -> Workspace | None:
        return next((w for w in self.data.workspaces if w.platform == platform and w.external_id == external_id), None)

    def get_or_create(self, platform: Platform, external_id: str, defaults: WorkspaceDefaults) -> Workspace:
        for ws in self.data.workspaces:
            if ws.platform == platform and ws.external_id == external_id:
                return ws
        ws = Workspace(
            id=len(self.data.workspaces) + 1,
            platform=platform,
            external_id=external_id,
            hourly_cost=defaults.hourly_cost,
            currency=defaults.currency,
            timezone=defaults.timezone,
        )
        self.data.workspaces.append(ws)
        return ws

    def find_with_area(self, platform: Platform, external_id: str, slug: str) -> tuple[Workspace, Area | None] | None:
        ws = self.find(platform, external_id)
        if ws is None:
            return None
        return ws, next((a for a in self.data.areas if a.workspace_id == ws.id and a.slug == slug), None)

    def save_settings(self, workspace: Workspace) -> None:
        for stored in self.data.workspaces:
            if stored.id == workspace.id:
                stored.hourly_cost = workspace.hourly_cost.quantize(Decimal("0.01"))
                stored.currency, stored.timezone = workspace.currency, workspace.timezone

    def next_problem_number(self, workspace_id: int) -> int:
        self.data.seq[workspace_id] = self.data.seq.get(workspace_id, 0) + 1
        return self.data.seq[workspace_id]

    def owners(self, workspace_id: int) -> set[str]:
        return set(self.data.owners.get(workspace_id, set()))

    def add_owner(self, workspace_id: int, user_id: str) -> None:
        self.data.owners.setdefault(workspace_id, set()).add(user_id)

    def remove_owner(self, workspace_id: int, user_id: str) -> bool:
        owners = self.data.owners.get(workspace_id, set())
        if user_id not in owners:
            return False
        owners.discard(user_id)
        return True


class FakeAreas(ports.AreaRepository):
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def by_slug(self, workspace_id: int, slug: str) -> Area | None:
        return next((a for a in self.data.areas if a.workspace_id == workspace_id and a.slug == slug), None)

    def get(self, workspace_id: int, area_id: int) -> Area | None:
        return next((a for a in self.data.areas if a.workspace_id == workspace_id and a.id == area_id), None)

    def add(self, workspace_id: int, name: str, slug: str) -> Area:
        area = Area(len(self.data.areas) + 1, workspace_id, name, slug)
        self.data.areas.append(area)
        return area

    def list(self, workspace_id: int) -> list[Area]:
        return sorted((a for a in self.data.areas if a.workspace_id == workspace_id), key=lambda a: a.name)


class FakeProblems(ports.ProblemRepository):
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def add(self, problem: Problem) -> Problem:
        stored = copy.copy(problem)
        stored.id = len(self.data.problems) + 1
        self.data.problems.append(stored)
        return copy.copy(stored)

    def get(self, workspace_id: int, number: int, lock: bool = False) -> Problem | None:
        found = next((p for p in self.data.problems if p.workspace_id == workspace_id and p.number == number), None)
        return copy.copy(found) if found else None

    def get_by_id(self, workspace_id: int, problem_id: int) -> Problem | None:
        found = next((p for p in self.data.problems if p.workspace_id == workspace_id and p.id == problem_id), None)
        return copy.copy(found) if found else None

    def save(self, problem: Problem) -> None:
        for i, p in enumerate(self.data.problems):
            if p.id == problem.id and p.workspace_id == problem.workspace_id:
                self.data.problems[i] = copy.copy(problem)
                return
        raise LookupError(problem.id)

    def list(
        self,
        workspace_id: int,
        statuses: Iterable[Status],
        area_id: int | None = None,
        reporter_id: str | None = None,
        limit: int = 50,
    ) -> list[Problem]:
        wanted = set(statuses)
        found = [
            copy.copy(p)
            for p in self.data.problems
            if p.workspace_id == workspace_id
            and p.status in wanted
            and (area_id is None or p.area_id == area_id)
            and (reporter_id is None or p.reporter_id == reporter_id)
        ]
        return sorted(found, key=lambda p: -p.number)[:limit]

    def lock(self, workspace_id: int, problem_id: int) -> None:
        """One unit of work at a time already, in memory."""

    def open_in_area(self, workspace_id: int, area_id: int | None, limit: int = 500) -> OpenProblems:
        found = [
            copy.copy(p)
            for p in self.data.problems
            if p.workspace_id == workspace_id and p.status.is_open and p.area_id == area_id
        ]
        window = tuple(sorted(found, key=lambda p: -p.number)[:limit])
        return OpenProblems((self.data.source, workspace_id, area_id), tuple(p.id or 0 for p in window), window)


class FakeOccurrences(ports.OccurrenceRepository):
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def add(self, occurrence: Occurrence) -> Occurrence:
        if occurrence.delivery_id and self.by_delivery(occurrence.workspace_id, occurrence.delivery_id):
            raise ports.DuplicateDelivery(occurrence.delivery_id)
        stored = copy.copy(occurrence)
        stored.id = len(self.data.occurrences) + 1
        self.data.occurrences.append(stored)
        return stored

    def by_delivery(self, workspace_id: int, delivery_id: str) -> Occurrence | None:
        return next(
            (o for o in self.data.occurrences if o.workspace_id == workspace_id and o.delivery_id == delivery_id),
            None,
        )

    def totals(
        self,
        workspace_id: int,
        problem_ids: Sequence[int] | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> dict[int, Totals]:
        out: dict[int, Totals] = {}
        for o in self.data.occurrences:
            if o.workspace_id != workspace_id or (problem_ids is not None and o.problem_id not in problem_ids):
                continue
            if (start and o.occurred_on < start) or (end and o.occurred_on > end):
                continue
            add = Totals(o.count, o.count * o.effort_minutes, o.count * o.users_affected)
            out[o.problem_id] = out.get(o.problem_id, Totals()) + add
        return out

    def totals_since(
        self, workspace_id: int, problem_ids: Sequence[int], since: date
    ) -> dict[int, tuple[Totals, Totals]]:
        recent = self.totals(workspace_id, problem_ids, start=since)
        return {pid: (recent.get(pid, Totals()), t) for pid, t in self.totals(workspace_id, problem_ids).items()}

    def move(self, workspace_id: int, from_problem_id: int, to_problem_id: int) -> int:
        moved = 0
        for o in self.data.occurrences:
            if o.workspace_id == workspace_id and o.problem_id == from_problem_id:
                o.problem_id = to_problem_id
                moved += 1
        return moved


_CENT = Decimal("0.01")


def _two_places(value: Decimal | None) -> Decimal | None:
    """As the SQL columns (NUMERIC(_, 2)) keep money and percentages."""
    return None if value is None else Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP)


def _stored_idea(idea: Idea) -> Idea:
    return replace(
        idea,
        stage=Stage(idea.stage),
        decision=Decision(idea.decision) if idea.decision else None,
        reduction_pct=_two_places(idea.reduction_pct),
        cost=_two_places(idea.cost),
    )


class FakeIdeas(ports.IdeaRepository):
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def _find(self, workspace_id: int, idea_id: int) -> Idea | None:
        return next((i for i in self.data.ideas if i.workspace_id == workspace_id and i.id == idea_id), None)

    def next_number(self, workspace_id: int) -> int:
        self.data.idea_seq[workspace_id] = self.data.idea_seq.get(workspace_id, 0) + 1
        return self.data.idea_seq[workspace_id]

    def add(self, idea: Idea) -> Idea:
        if any(i.workspace_id == idea.workspace_id and i.number == idea.number for i in self.data.ideas):
            raise ValueError(f"idea number {idea.number} is taken in workspace {idea.workspace_id}")  # SQL: unique
        stored = replace(_stored_idea(idea), id=len(self.data.ideas) + 1, created_at=datetime.now(UTC))
        self.data.ideas.append(stored)
        return copy.copy(stored)

    def get(self, workspace_id: int, number: int) -> Idea | None:
        found = next((i for i in self.data.ideas if i.workspace_id == workspace_id and i.number == number), None)
        return copy.copy(found) if found else None

    def get_by_id(self, workspace_id: int, idea_id: int) -> Idea | None:
        found = self._find(workspace_id, idea_id)
        return copy.copy(found) if found else None

    def save(self, idea: Idea) -> None:
        for n, stored in enumerate(self.data.ideas):
            if stored.id == idea.id and stored.workspace_id == idea.workspace_id:
                # Like SQL: workspace, number and creation time stay as they were stored.
                self.data.ideas[n] = replace(_stored_idea(idea), number=stored.number, created_at=stored.created_at)
                return
        raise LookupError(idea.id)

    def _listed(self, workspace_id: int, keep: Any, limit: int) -> list[Idea]:
        found = [
            copy.copy(i)
            for i in self.data.ideas
            if i.workspace_id == workspace_id and i.merged_into_id is None and keep(i)
        ]
        return sorted(found, key=lambda i: -i.number)[:limit]

    def list(
        self,
        workspace_id: int,
        stages: Iterable[Stage] | None = None,
        decided: bool | None = None,
        limit: int = 50,
    ) -> list[Idea]:
        wanted = None if stages is None else {Stage(s) for s in stages}
        return self._listed(
            workspace_id,
            lambda i: (
                (wanted is None or i.stage in wanted) and (decided is None or (i.decision is not None) == decided)
            ),
            limit,
        )

    def open_ideas(self, workspace_id: int, limit: int = 500) -> list[Idea]:
        return self._listed(workspace_id, lambda i: i.decision in (None, Decision.PARK), limit)

    def link(self, workspace_id: int, idea_id: int, problem_id: int) -> None:
        problem = next((p for p in self.data.problems if p.workspace_id == workspace_id and p.id == problem_id), None)
        if self._find(workspace_id, idea_id) is None or problem is None:
            raise LookupError(f"idea {idea_id} or problem {problem_id} is not in workspace {workspace_id}")
        if (workspace_id, idea_id, problem_id) not in self.data.idea_links:
            self.data.idea_links.append((workspace_id, idea_id, problem_id))

    def linked_problem_ids(self, workspace_id: int, idea_id: int) -> list[int]:
        return [p for ws, i, p in self.data.idea_links if (ws, i) == (workspace_id, idea_id)]

    def lock(self, workspace_id: int, idea_id: int) -> None:
        """One unit of work at a time already, in memory."""

    def vote(self, workspace_id: int, idea_id: int, user_id: str) -> bool:
        key = (workspace_id, idea_id, user_id)
        if self._find(workspace_id, idea_id) is None or key in self.data.votes:
            return False
        self.data.votes.append(key)
        return True

    def unvote(self, workspace_id: int, idea_id: int, user_id: str) -> bool:
        key = (workspace_id, idea_id, user_id)
        if key not in self.data.votes:
            return False
        self.data.votes.remove(key)
        return True

    def has_voted(self, workspace_id: int, idea_id: int, user_id: str) -> bool:
        return (workspace_id, idea_id, user_id) in self.data.votes

    def vote_counts(self, workspace_id: int, idea_ids: Sequence[int]) -> dict[int, int]:
        counts = dict.fromkeys(idea_ids, 0)
        for ws, idea_id, _ in self.data.votes:
            if ws == workspace_id and idea_id in counts:
                counts[idea_id] += 1
        return counts

    def voters(self, workspace_id: int, idea_id: int) -> list[str]:
        return [u for ws, i, u in self.data.votes if (ws, i) == (workspace_id, idea_id)]

    def move_votes(self, workspace_id: int, from_idea_id: int, to_idea_id: int) -> int:
        if from_idea_id == to_idea_id:
            return 0
        if self._find(workspace_id, to_idea_id) is None:
            raise LookupError(f"idea {to_idea_id} is not in workspace {workspace_id}")
        moving = self.voters(workspace_id, from_idea_id)
        self.data.votes = [v for v in self.data.votes if v[:2] != (workspace_id, from_idea_id)]
        moved = 0
        for user_id in moving:
            moved += self.vote(workspace_id, to_idea_id, user_id)
        return moved

    def add_evidence(self, evidence: Evidence) -> Evidence:
        stored = replace(evidence, id=len(self.data.evidence) + 1, at=evidence.at or datetime.now(UTC))
        self.data.evidence.append(stored)
        return copy.copy(stored)

    def evidence(self, workspace_id: int, idea_id: int) -> list[Evidence]:
        return [copy.copy(e) for e in self.data.evidence if (e.workspace_id, e.idea_id) == (workspace_id, idea_id)]

    def add_change(self, change: IdeaChange) -> None:
        stored = replace(change, id=len(self.data.idea_changes) + 1, at=change.at or datetime.now(UTC))
        self.data.idea_changes.append(stored)

    def changes(self, workspace_id: int, idea_id: int) -> list[IdeaChange]:
        return [copy.copy(c) for c in self.data.idea_changes if (c.workspace_id, c.idea_id) == (workspace_id, idea_id)]

    def for_user(self, workspace_id: int, user_id: str, limit: int = 10) -> list[Idea]:
        voted = {i for ws, i, u in self.data.votes if (ws, u) == (workspace_id, user_id)}
        return self._listed(workspace_id, lambda i: i.proposer_id == user_id or i.id in voted, limit)


class FakeForums(ports.ForumRepository):
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def default(self, workspace_id: int) -> Forum:
        if found := self.list(workspace_id):
            return found[0]
        return self.add(Forum(workspace_id, ports.DEFAULT_FORUM_SLUG, ports.DEFAULT_FORUM_NAME))

    def list(self, workspace_id: int) -> list[Forum]:
        return [copy.copy(f) for f in self.data.forums if f.workspace_id == workspace_id]

    def get(self, workspace_id: int, slug: str) -> Forum | None:
        return next((f for f in self.list(workspace_id) if f.slug == slug), None)

    def add(self, forum: Forum) -> Forum:
        if self.get(forum.workspace_id, forum.slug) is not None:
            raise ValueError(f"workspace {forum.workspace_id} already has a forum {forum.slug!r}")
        stored = replace(forum, area_ids=tuple(forum.area_ids), id=len(self.data.forums) + 1)
        self.data.forums.append(stored)
        return copy.copy(stored)

    def save(self, forum: Forum) -> None:
        for n, stored in enumerate(self.data.forums):
            if stored.id == forum.id and stored.workspace_id == forum.workspace_id:
                self.data.forums[n] = replace(forum, slug=stored.slug, area_ids=tuple(forum.area_ids))
                return
        raise LookupError(forum.id)


class FakeAudit(ports.AuditRepository):
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def add(self, event: AuditEvent) -> None:
        self.data.audit.append(event)

    def list(self, workspace_id: int, limit: int = 100) -> list[AuditEvent]:
        return [e for e in reversed(self.data.audit) if e.workspace_id == workspace_id][:limit]


class FakeConversations(ports.ConversationRepository):
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def remember(
        self, platform: str, tenant_id: str, conversation_id: str, conversation_type: str, reference: dict[str, Any]
    ) -> bool:
        key = (platform, tenant_id, conversation_id)
        if self.data.conversations.get(key) == (conversation_type, reference):
            return False
        self.data.conversations[key] = (conversation_type, copy.deepcopy(reference))
        return True

    def find(self, platform: str, tenant_id: str, conversation_id: str) -> dict[str, Any] | None:
        found = self.data.conversations.get((platform, tenant_id, conversation_id))
        return copy.deepcopy(found[1]) if found else None

    def list(self, platform: str, tenant_id: str) -> list[tuple[str, str]]:
        return [(k[2], kind) for k, (kind, _) in self.data.conversations.items() if k[:2] == (platform, tenant_id)]

    def any_service_reference(self, platform: str, tenant_id: str) -> dict[str, Any] | None:
        return next(
            (copy.deepcopy(ref) for k, (_, ref) in self.data.conversations.items() if k[:2] == (platform, tenant_id)),
            None,
        )


def _timestamp(value: object) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(type(value).__name__)


class FakeSlackInstallations(ports.SlackInstallationRepository):
    """Keeps installations as JSON, as the SQL one does (encrypted there), so datetimes become timestamps."""

    def __init__(self, data: FakeData) -> None:
        self.data = data

    def save(self, data: dict[str, Any]) -> None:
        enterprise = data.get("enterprise_id") or ""
        team = "" if data.get("is_enterprise_install") else (data.get("team_id") or "")
        as_json = json.dumps(data, default=_timestamp)
        self.data.slack_installations[(enterprise, team)] = (bool(data.get("is_enterprise_install")), as_json)

    def find(self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool) -> dict | None:
        enterprise = enterprise_id or ""
        team = "" if is_enterprise_install else (team_id or "")
        found = self.data.slack_installations.get((enterprise, team))
        if found is None and enterprise and team:  # a workspace of a Grid org installed org-wide
            found = next((v for (e, _), v in self.data.slack_installations.items() if e == enterprise and v[0]), None)
        if found is None and not enterprise and team:  # asked by team alone: a team inside a Grid org
            found = next((v for (_, t), v in self.data.slack_installations.items() if t == team), None)
        return json.loads(found[1]) if found else None

    def delete(self, enterprise_id: str | None, team_id: str | None) -> None:
        self.data.slack_installations.pop((enterprise_id or "", team_id or ""), None)

    def issue_state(self, state: str, ttl: timedelta = timedelta(minutes=10)) -> None:
        self.data.oauth_states[state] = datetime.now(UTC) + ttl

    def consume_state(self, state: str) -> bool:
        expires_at = self.data.oauth_states.pop(state, None)
        return expires_at is not None and expires_at > datetime.now(UTC)


class FakeDemand(ports.DemandRepository):
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def record(self, workspace_id: int, area_id: int, week_start: date, total: int) -> int | None:
        key = (workspace_id, area_id, week_start)
        before = self.data.demand.get(key)
        self.data.demand[key] = total
        return before

    def totals(self, workspace_id: int, start: date, end: date) -> dict[int, int]:
        out: dict[int, int] = {}
        for (ws, area, week), total in self.data.demand.items():
            if ws == workspace_id and start <= week <= end:
                out[area] = out.get(area, 0) + total
        return out


class FakeReviewReminders(ports.ReviewReminders):
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def due(self, on: date, limit: int = 100) -> list[tuple[Workspace, Idea]]:
        workspaces = {w.id: w for w in self.data.workspaces}
        due = [
            (workspaces[i.workspace_id], copy.copy(i))
            for i in sorted(self.data.ideas, key=lambda i: (i.review_on or on, i.id or 0))
            if i.decision is Decision.EXPERIMENT
            and i.merged_into_id is None
            and i.review_on is not None
            and i.review_on <= on
            and (i.id, i.review_on) not in self.data.review_reminders
        ]
        return due[:limit]

    def claim(self, workspace_id: int, idea_id: int, review_on: date) -> bool:
        if (idea_id, review_on) in self.data.review_reminders:
            return False
        self.data.review_reminders.add((idea_id, review_on))
        return True


class FakeUnitOfWork(ports.UnitOfWork):
    """Changes go to a copy and reach the shared data only on commit, like a transaction.

    `write` is kept only so tests can see which kind the core asked for: like SQL on PostgreSQL,
    a reading unit of work here may still write.
    """

    def __init__(self, data: FakeData, write: bool = True) -> None:
        self.shared = data
        self.write = write

    def __enter__(self) -> FakeUnitOfWork:
        self._begin()
        return self

    def _begin(self) -> None:
        self.data = copy.deepcopy(self.shared)
        self.workspaces = FakeWorkspaces(self.data)
        self.areas = FakeAreas(self.data)
        self.problems = FakeProblems(self.data)
        self.occurrences = FakeOccurrences(self.data)
        self.ideas = FakeIdeas(self.data)
        self.reviews = FakeReviewReminders(self.data)
        self.demand = FakeDemand(self.data)
        self.forums = FakeForums(self.data)
        self.audit = FakeAudit(self.data)
        self.conversations = FakeConversations(self.data)
        self.slack_installations = FakeSlackInstallations(self.data)

    def commit(self) -> None:
        if self.shared.fail_commits:
            raise RuntimeError("the database refused the commit")
        self.shared.__dict__.update(copy.deepcopy(self.data).__dict__)
        self.shared.commits += 1
        self._events_committed()

    def rollback(self) -> None:
        self._begin()
        self._events_rolled_back()


class FakeUnitOfWorkFactory:
    """Like SqlUnitOfWorkFactory: `factory()` may write, `factory(write=False)` only reads; every unit
    of work it makes shares `data`, and `writes` lists the kind of each, in order."""

    def __init__(self, data: FakeData | None = None) -> None:
        self.data = data if data is not None else FakeData()
        self.writes: list[bool] = []

    def __call__(self, write: bool = True, wait: bool = True) -> FakeUnitOfWork:
        self.writes.append(write)
        return FakeUnitOfWork(self.data, write=write)
