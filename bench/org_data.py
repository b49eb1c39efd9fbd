"""A generated organisation for the digest bench: 50 forums with their own process areas, 20,000 problems,
a million occurrences over two years, 5,000 ideas and 200,000 votes, written in bulk into the real schema.

Rows are made in Python (seeded, so every run builds the same organisation) and written with PostgreSQL's COPY,
or SQLAlchemy Core executemany on SQLite: the ORM would take an hour for a million rows.

Two ways to have ten times the occurrences (see `Shape.base`): spread evenly over the two years like the smaller
organisation's (ten times the rows in every week, the digest's too), or the smaller organisation's rows exactly,
with the rest in the weeks before its last `recent_weeks`: ten times the history, the same recent weeks. Problems,
ideas, votes and demand each come from their own seeded stream, so they are the same however many occurrences.
"""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Connection, Engine

from adapters.import_cli import Progress
from digests.weeks import IsoWeek
from storage.tables import AreaRow, DemandRow, ForumRow, IdeaRow, IdeaVoteRow, OccurrenceRow, ProblemRow, WorkspaceRow

T: Callable[[Any], Table] = lambda row: row.__table__  # noqa: E731 - SQLModel's tables, typed once

_WHAT = (
    "Customers chasing",
    "Staff re-keying",
    "Callers asking about",
    "Residents complaining about",
    "Officers waiting for",
    "Applicants resubmitting",
    "Visitors confused by",
    "Team manually checking",
    "Duplicate requests for",
    "No reply on",
)
_THING = (
    "decision letters",
    "council tax bills",
    "housing repair appointments",
    "blue badge renewals",
    "parking permits",
    "bin collection dates",
    "benefit payments",
    "planning applications",
    "school admission forms",
    "missed appointments",
    "portal passwords",
    "evidence uploads",
    "address changes",
    "refund requests",
    "care assessments",
    "library card pins",
)
_WHY = (
    "because the portal times out",
    "after the system migration",
    "when the form rejects postcodes",
    "as the letter template is wrong",
    "since the phone queue drops calls",
    "because nobody owns the inbox",
    "while the case stays unassigned",
    "when the printer jams",
    "",
    "",
)
_SERVICES = ("Housing", "Revenues", "Benefits", "Parking", "Waste", "Planning", "Adult care", "Libraries", "Schools")


@dataclass(frozen=True)
class Shape:
    """How big an organisation to make; the defaults are issue 10's."""

    forums: int = 50
    problems: int = 20_000
    occurrences: int = 1_000_000
    weeks: int = 104
    ideas: int = 5_000
    votes: int = 200_000
    people: int = 3_000
    seed: int = 10
    # None: all the occurrences spread evenly over the weeks. Else the organisation of `base` occurrences spread
    # evenly, row for row, and the other `occurrences - base` in the weeks before its last `recent_weeks`.
    base: int | None = None
    recent_weeks: int = 52

    @property
    def recent_from(self) -> int:
        """Weeks back from the last week to the first of the recent weeks that `base` alone fills."""
        return self.recent_weeks - 1


@dataclass
class Org:
    """What the bench needs to know about what was made."""

    workspace_id: int
    forum_slugs: list[str]
    area_ids: dict[str, list[int]]  # per forum slug
    rows: dict[str, int] = field(default_factory=dict)  # per table
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def title(rng: random.Random) -> str:
    """A problem's wording, as staff might type it: the duplicate check's words overlap as real ones do."""
    return " ".join(w for w in (rng.choice(_WHAT), rng.choice(_THING), rng.choice(_WHY)) if w)


def generate(engine: Engine, shape: Shape, week: IsoWeek, progress: Callable[[int], None] | None = None) -> Org:
    """The organisation, its history ending with `week`, in one transaction; timed."""
    started = time.perf_counter()
    assert shape.base is None or 0 < shape.base <= shape.occurrences
    assert shape.base is None or shape.recent_weeks < shape.weeks
    rng = random.Random(shape.seed)  # the problems'; every other table has its own stream, seeded from it
    total = shape.problems + shape.occurrences + shape.ideas + shape.votes
    bar = progress or Progress(total)
    done = [0]

    def advance(n: int) -> None:
        done[0] += n
        bar(min(done[0], total))

    first = week.previous(shape.weeks - 1).monday
    end = datetime.combine(week.sunday, clock(18), UTC)
    with engine.begin() as conn:
        write = _writer(conn, advance)
        ws = conn.execute(
            insert(T(WorkspaceRow)).returning(T(WorkspaceRow).c.id),
            {"platform": "slack", "external_id": "T0ORG", "name": "Bench Borough Council", "hourly_cost": Decimal(25)}
            | {"problem_seq": shape.problems, "idea_seq": shape.ideas, "created_at": _at(first, -30)},
        ).scalar_one()
        org = Org(ws, [], {})
        areas = _areas(conn, ws, shape, org)
        org.rows["process_area"] = len(areas)
        org.rows["problem"] = write(T(ProblemRow), _problems(rng, ws, shape, areas, first, end))
        problems = _problem_facts(conn, ws)
        org.rows["occurrence"] = write(T(OccurrenceRow), _occurrences(ws, shape, problems, first, week))
        forum_ids = [int(i) for i in conn.scalars(select(T(ForumRow).c.id).where(T(ForumRow).c.workspace_id == ws))]
        org.rows["idea"] = write(T(IdeaRow), _ideas(_stream(shape, 2), ws, shape, forum_ids, first, end))
        ideas = [int(i) for i in conn.scalars(select(T(IdeaRow).c.id).where(T(IdeaRow).c.workspace_id == ws))]
        org.rows["idea_vote"] = write(T(IdeaVoteRow), _votes(_stream(shape, 3), ws, shape, ideas))
        org.rows["demand"] = write(T(DemandRow), _demand(_stream(shape, 4), ws, org, shape.weeks, first), count=False)
    bar(total)
    org.seconds = time.perf_counter() - started
    return org


def _writer(conn: Connection, advance: Callable[[int], None]) -> Callable[..., int]:
    """COPY on PostgreSQL (psycopg 3), Core executemany in batches on SQLite; both in the caller's transaction."""
    postgres = conn.dialect.name == "postgresql"

    def write(table: Table, rows: Iterable[dict[str, Any]], count: bool = True) -> int:
        written = 0
        for batch in _batches(rows, 20_000):
            if postgres:
                columns = list(batch[0])
                cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
                with cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row([row[c] for c in columns])
            else:
                conn.execute(insert(table), batch)
            written += len(batch)
            if count:
                advance(len(batch))
        return written

    return write


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _at(day: date, days: int = 0, hour: int = 10) -> datetime:
    return datetime.combine(day + timedelta(days=days), clock(hour), UTC)


def _areas(conn: Connection, ws: int, shape: Shape, org: Org) -> list[tuple[int, float]]:
    """Each forum's own 2 to 6 process areas, some busier than others: (area id, weight)."""
    rng = random.Random(shape.seed + 1)
    weighted: list[tuple[int, float]] = []
    for f in range(shape.forums):
        slug = f"forum-{f + 1:02d}"
        service = _SERVICES[f % len(_SERVICES)]
        ids = []
        for a in range(2 + f % 5):
            area = conn.execute(
                insert(T(AreaRow)).returning(T(AreaRow).c.id),
                {"workspace_id": ws, "name": f"{service} {f + 1} team {a + 1}", "slug": f"f{f + 1}-team-{a + 1}"},
            ).scalar_one()
            ids.append(int(area))
            weighted.append((int(area), rng.lognormvariate(0, 0.5)))
        conn.execute(
            insert(T(ForumRow)),
            {"workspace_id": ws, "slug": slug, "name": f"{service} forum {f + 1}", "destination": f"C{f + 1:08d}"}
            | {"area_ids": ids, "meets": "first-tue", "digest_day": 0, "digest_time": "09:00"},
        )
        org.forum_slugs.append(slug)
        org.area_ids[slug] = ids
    return weighted


def _problems(
    rng: random.Random, ws: int, shape: Shape, areas: Sequence[tuple[int, float]], first: date, end: datetime
) -> Iterator[dict[str, Any]]:
    """A third exist before the history starts; the rest are raised over it, numbered as they came."""
    ids, weights = [a for a, _ in areas], [w for _, w in areas]
    span = (end - _at(first)).total_seconds()
    created = sorted(
        _at(first, -rng.randint(1, 200)) if rng.random() < 0.3 else _at(first) + timedelta(seconds=rng.random() * span)
        for _ in range(shape.problems)
    )
    for number, at in enumerate(created, start=1):
        roll = rng.random()
        status = "fixed" if roll < 0.02 else "wontfix" if roll < 0.025 else "investigating" if roll < 0.1 else "open"
        changed = at + (end - at) * rng.random() if status != "open" else None
        text = title(rng)
        yield {
            "workspace_id": ws,
            "number": number,
            "title": text[:200],
            "description": text if rng.random() < 0.5 else "",
            "area_id": rng.choices(ids, weights)[0] if rng.random() > 0.01 else None,
            "impact_areas": rng.choice(("", "cost", "delivery,quality", "people")),
            "effort_minutes": rng.choice((5, 10, 15, 20, 30, 45, 60)),
            "users_per_occurrence": rng.choice((0, 1, 1, 1, 2, 3)),
            "failure_demand": rng.random() < 0.3,
            "status": status,
            "merged_into_id": None,
            "reporter_id": f"U{rng.randrange(shape.people):05d}" if rng.random() > 0.1 else None,
            "created_at": at,
            "status_changed_at": changed,
        }


@dataclass(frozen=True)
class _Facts:
    id: int
    since: date
    effort: int
    users: int


def _problem_facts(conn: Connection, ws: int) -> list[_Facts]:
    p = T(ProblemRow)
    query = select(p.c.id, p.c.created_at, p.c.effort_minutes, p.c.users_per_occurrence).where(p.c.workspace_id == ws)
    return [_Facts(int(i), at.date(), int(e), int(u)) for i, at, e, u in conn.execute(query.order_by(p.c.number))]


def _stream(shape: Shape, n: int) -> random.Random:
    """The `n`th table's own random stream: what one table draws never shifts another's."""
    return random.Random(shape.seed * 100 + n)


def _occurrences(
    ws: int, shape: Shape, problems: Sequence[_Facts], first: date, week: IsoWeek
) -> Iterator[dict[str, Any]]:
    """Spread over problems by a long-tailed popularity, each on days from its raising to the digest's week; written
    in date order, as they arrive, so the table lies on disk as a real one does.

    With `shape.base`, the first `base` are drawn exactly as an organisation of `base` occurrences draws them, and
    the rest, by the same popularity, on days before the recent weeks: the two organisations' recent weeks are the
    same rows, and only the history before them differs."""
    rng = _stream(shape, 5)
    weights = [rng.paretovariate(1.2) for _ in problems]
    start, stop = first.toordinal(), week.sunday.toordinal()
    even = _dated(rng, problems, weights, shape.base or shape.occurrences, start, stop)
    streams = [_rows(rng, ws, shape, problems, even)]
    if shape.base is not None and shape.occurrences > shape.base:
        cut = week.previous(shape.recent_from).monday.toordinal()  # the first recent day: the history is before it
        older = [i for i, p in enumerate(problems) if p.since.toordinal() < cut]
        history = _stream(shape, 6)
        picks = _dated(history, problems, weights, shape.occurrences - shape.base, start, cut - 1, older)
        streams.append(_rows(history, ws, shape, problems, picks))
    yield from heapq.merge(*streams, key=lambda row: row["occurred_on"])  # in date order; ties keep stream order


def _dated(
    rng: random.Random,
    problems: Sequence[_Facts],
    weights: Sequence[float],
    k: int,
    start: int,
    stop: int,
    among: Sequence[int] | None = None,
) -> list[tuple[int, int]]:
    """`k` (day ordinal, problem index) in date order: problems picked by weight (from `among`, else all), each on a
    day from its raising (or `start`) to `stop`."""
    chosen = range(len(problems)) if among is None else among
    picks = rng.choices(chosen, [weights[i] for i in chosen] if among is not None else weights, k=k)
    return sorted((rng.randint(min(max(start, problems[i].since.toordinal()), stop), stop), i) for i in picks)


def _rows(
    rng: random.Random, ws: int, shape: Shape, problems: Sequence[_Facts], dated: Sequence[tuple[int, int]]
) -> Iterator[dict[str, Any]]:
    for n, (day, i) in enumerate(dated):
        problem = problems[i]
        yield {
            "workspace_id": ws,
            "problem_id": problem.id,
            "occurred_on": date.fromordinal(day),
            "count": 1 if rng.random() < 0.8 else rng.randint(2, 20),
            "effort_minutes": problem.effort,
            "users_affected": problem.users,
            "reporter_id": f"U{rng.randrange(shape.people):05d}" if rng.random() > 0.1 else None,
            "note": "",
            "delivery_id": f"d:{rng.getrandbits(160):040x}" if n % 10 else None,  # imports and the console have none
        }


def _ideas(
    rng: random.Random, ws: int, shape: Shape, forum_ids: Sequence[int], first: date, end: datetime
) -> Iterator[dict[str, Any]]:
    span = (end - _at(first)).total_seconds()
    created = sorted(_at(first) + timedelta(seconds=rng.random() * span) for _ in range(shape.ideas))
    for number, at in enumerate(created, start=1):
        stage = rng.choice(("information", "information", "insight", "improve"))
        decided = stage == "improve" and rng.random() < 0.5
        yield {
            "workspace_id": ws,
            "number": number,
            "title": f"Idea {number}: {title(rng)}"[:200],
            "description": "",
            "proposer_id": f"U{rng.randrange(shape.people):05d}" if rng.random() > 0.2 else None,
            "stage": stage,
            "decision": rng.choice(("approve", "experiment", "reject", "park", "done")) if decided else None,
            "decision_reason": "Agreed at the forum" if decided else "",
            "decided_by": "U00001" if decided else None,
            "decided_at": at + (end - at) * rng.random() if decided else None,
            "root_cause": "",
            "outcome": "",
            "forum_id": rng.choice(forum_ids) if rng.random() > 0.1 else None,
            "created_at": at,
        }


def _votes(rng: random.Random, ws: int, shape: Shape, ideas: Sequence[int]) -> Iterator[dict[str, Any]]:
    """One vote per person per idea; some ideas draw crowds, most a handful."""
    weights = [rng.paretovariate(1.5) for _ in ideas]
    scale = shape.votes / sum(weights)
    left = shape.votes
    for idea, weight in zip(ideas, weights, strict=True):
        n = min(left, shape.people, max(0, round(weight * scale)))
        left -= n
        for person in rng.sample(range(shape.people), n):
            yield {"workspace_id": ws, "idea_id": idea, "user_id": f"U{person:05d}"}
    for idea in ideas:  # rounding left some over: one more voter for the ideas that have room
        if left <= 0:
            break
        yield {"workspace_id": ws, "idea_id": idea, "user_id": f"V{left:05d}"}
        left -= 1


def _demand(rng: random.Random, ws: int, org: Org, weeks: int, first: date) -> Iterator[dict[str, Any]]:
    """Every other forum records its areas' weekly contacts: the failure-demand share's denominator."""
    for slug in org.forum_slugs[::2]:
        for area in org.area_ids[slug]:
            for w in range(weeks):
                total = rng.randint(200, 2_000)
                yield {"workspace_id": ws, "area_id": area, "week_start": first + timedelta(weeks=w), "total": total}
