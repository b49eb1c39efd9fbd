"""The hot path's SQL, built once: SQLAlchemy spends more time building a statement than running it here.

Each is a Core statement with named parameters; repositories execute them with plain dicts and turn the
rows into domain records themselves. Those capture and voting run on every request are `Prepared`: compiled
once and run on the driver's cursor (storage/prepared.py).
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import BigInteger, Integer, String, bindparam, case, cast, delete, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.prepared import Prepared
from storage.tables import (
    AreaRow,
    AuditRow,
    ForumRow,
    IdeaProblemRow,
    IdeaRow,
    IdeaVoteRow,
    OccurrenceRow,
    ProblemRow,
    WorkspaceRow,
)

W = WorkspaceRow.__table__  # type: ignore[attr-defined]
A = AreaRow.__table__  # type: ignore[attr-defined]
P = ProblemRow.__table__  # type: ignore[attr-defined]
O = OccurrenceRow.__table__  # type: ignore[attr-defined]  # noqa: E741
I = IdeaRow.__table__  # type: ignore[attr-defined]  # noqa: E741
V = IdeaVoteRow.__table__  # type: ignore[attr-defined]
L = IdeaProblemRow.__table__  # type: ignore[attr-defined]
F = ForumRow.__table__  # type: ignore[attr-defined]

WORKSPACE_COLUMNS = (W.c.id, W.c.platform, W.c.external_id, W.c.name, W.c.hourly_cost, W.c.currency, W.c.timezone)
WORKSPACE_BY_REF = Prepared(
    select(*WORKSPACE_COLUMNS, W.c.week_start).where(
        W.c.platform == bindparam("platform"), W.c.external_id == bindparam("external_id")
    )
)
WORKSPACE_AND_AREA = Prepared(  # a capture's first two reads in one; the area's columns are NULL when it has none
    select(*WORKSPACE_COLUMNS, W.c.week_start, A.c.id.label("area_id"), A.c.name.label("area_name"))
    .select_from(W.outerjoin(A, (A.c.workspace_id == W.c.id) & (A.c.slug == bindparam("slug"))))
    .where(W.c.platform == bindparam("platform"), W.c.external_id == bindparam("external_id"))
)
NEXT_PROBLEM_NUMBER = Prepared(
    update(W).where(W.c.id == bindparam("ws")).values(problem_seq=W.c.problem_seq + 1).returning(W.c.problem_seq)
)

NEXT_IDEA_NUMBER = update(W).where(W.c.id == bindparam("ws")).values(idea_seq=W.c.idea_seq + 1).returning(W.c.idea_seq)

AREA_COLUMNS = (A.c.id, A.c.workspace_id, A.c.name, A.c.slug)
AREA_BY_ID = Prepared(select(*AREA_COLUMNS).where(A.c.workspace_id == bindparam("ws"), A.c.id == bindparam("id")))
AREAS_OF = Prepared(select(*AREA_COLUMNS).where(A.c.workspace_id == bindparam("ws")).order_by(A.c.name))
AREA_BY_SLUG = Prepared(select(*AREA_COLUMNS).where(A.c.workspace_id == bindparam("ws"), A.c.slug == bindparam("slug")))

PROBLEM_COLUMNS = tuple(P.c)
_BY_NUMBER = select(*PROBLEM_COLUMNS).where(P.c.workspace_id == bindparam("ws"), P.c.number == bindparam("number"))
PROBLEM_BY_NUMBER = Prepared(_BY_NUMBER)
PROBLEM_BY_NUMBER_LOCKED = Prepared(_BY_NUMBER.with_for_update())  # PostgreSQL's FOR UPDATE; SQLite has no row locks
PROBLEM_FIELDS = tuple(c.name for c in P.c if c.name != "id")
LOCK_PROBLEM = Prepared(
    select(P.c.id).where(P.c.id == bindparam("id"), P.c.workspace_id == bindparam("ws")).with_for_update()
)
INSERT_PROBLEM = Prepared(insert(P).values({name: bindparam(name) for name in PROBLEM_FIELDS}).returning(P.c.id))

_OPEN = P.c.status.in_([literal("open"), literal("investigating")])  # bound values: SQL fixed, so preparable
_CANDIDATE_COLUMNS = (P.c.id, P.c.number, P.c.title, P.c.description, P.c.status)


def _open_in(area: bool):  # type: ignore[no-untyped-def]
    where_area = P.c.area_id == bindparam("area") if area else P.c.area_id.is_(None)
    return select(*_CANDIDATE_COLUMNS).where(P.c.workspace_id == bindparam("ws"), _OPEN, where_area)


def _open_window(area: bool):  # type: ignore[no-untyped-def]
    """The newest open problems of an area (or of none): the candidates a new report may duplicate."""
    return _open_in(area).order_by(P.c.number.desc()).limit(bindparam("limit"))


def _open_fingerprint(area: bool):  # type: ignore[no-untyped-def]
    """The window's size, sum of ids, newest id and sum of the ids under investigation: storage/open_problems.py
    checks its copy against them."""
    window = _open_window(area).with_only_columns(P.c.id, P.c.status).subquery()
    investigating = case((window.c.status == literal("investigating"), window.c.id), else_=0)
    return select(
        func.count(),
        func.coalesce(func.sum(window.c.id), 0),
        func.coalesce(func.max(window.c.id), 0),
        func.coalesce(func.sum(investigating), 0),
    )


def _all_open_fingerprint(area: bool):  # type: ignore[no-untyped-def]
    """The same four figures over every open problem of the area, read from the (workspace, status, area) index
    alone: equal to the window's while the area has no more open problems than the window holds."""
    investigating = case((P.c.status == literal("investigating"), P.c.id), else_=0)
    return _open_in(area).with_only_columns(
        func.count(),
        func.coalesce(func.sum(P.c.id), 0),
        func.coalesce(func.max(P.c.id), 0),
        func.coalesce(func.sum(investigating), 0),
    )


_OPEN_WINDOW = {area: Prepared(_open_window(area), plain=True) for area in (True, False)}
_ALL_OPEN_FINGERPRINT = {area: Prepared(_all_open_fingerprint(area), plain=True) for area in (True, False)}
_OPEN_SINCE = {  # newest id first: a range of the primary key, however many problems the area holds
    area: Prepared(
        _open_in(area).where(P.c.id > bindparam("after")).order_by(P.c.id.desc()).limit(bindparam("limit")), plain=True
    )
    for area in (True, False)
}
_OPEN_FINGERPRINT = {area: Prepared(_open_fingerprint(area), plain=True) for area in (True, False)}


def open_window(area_id: int | None) -> Prepared:
    return _OPEN_WINDOW[area_id is not None]


def open_since(area_id: int | None) -> Prepared:
    return _OPEN_SINCE[area_id is not None]


def open_fingerprint(area_id: int | None) -> Prepared:
    return _OPEN_FINGERPRINT[area_id is not None]


def all_open_fingerprint(area_id: int | None) -> Prepared:
    return _ALL_OPEN_FINGERPRINT[area_id is not None]


_count = cast(O.c.count, BigInteger)  # a million occurrences x a million users overflows 32 bits
_recent = O.c.occurred_on >= bindparam("since")


def _recent_sum(value):  # type: ignore[no-untyped-def]
    return func.sum(case((_recent, value), else_=0))


_TOTALS = select(
    O.c.problem_id,
    _recent_sum(_count),
    _recent_sum(_count * O.c.effort_minutes),
    _recent_sum(_count * O.c.users_affected),
    func.sum(_count),
    func.sum(_count * O.c.effort_minutes),
    func.sum(_count * O.c.users_affected),
)


@functools.lru_cache(maxsize=64)
def totals_of(count: int) -> Prepared:
    """The tallies of `count` problems (a card's one, a list's, a top ten's): a fixed IN of ids0..ids<count-1>,
    compiled once per size, where the expanding IN of TOTALS_SINCE would be built and compiled for every list."""
    ids = [bindparam(f"ids{i}") for i in range(count)]
    where = (O.c.workspace_id == bindparam("ws"), O.c.problem_id.in_(ids))
    return Prepared(_TOTALS.where(*where).group_by(O.c.problem_id), plain=True)


@functools.lru_cache(maxsize=64)
def problems_listed(statuses: int, area: bool, reporter: bool) -> Prepared:
    """A list of problems, newest first: the statuses as st0..st<statuses-1>, then the area and the reporter."""
    where = [P.c.workspace_id == bindparam("ws"), P.c.status.in_([bindparam(f"st{i}") for i in range(statuses)])]
    if area:
        where.append(P.c.area_id == bindparam("area"))
    if reporter:
        where.append(P.c.reporter_id == bindparam("reporter"))
    return Prepared(select(*PROBLEM_COLUMNS).where(*where).order_by(P.c.number.desc()).limit(bindparam("limit")))


PREPARED_MAX_IDS = 50  # more ids than this (a digest's, an export's) go through TOTALS_SINCE
TOTALS_SINCE = _TOTALS.where(
    O.c.workspace_id == bindparam("ws"), O.c.problem_id.in_(bindparam("ids", expanding=True))
).group_by(O.c.problem_id)

_AUDIT = AuditRow.__table__  # type: ignore[attr-defined]
INSERT_AUDIT = Prepared(insert(_AUDIT).values({c.name: bindparam(c.name) for c in _AUDIT.c if c.name != "id"}))

INSERT_IDEA = insert(I).returning(I.c.id)

# Votes: a burst of people voting for one idea runs these.
HAS_VOTED = Prepared(
    select(V.c.id).where(
        V.c.workspace_id == bindparam("ws"), V.c.idea_id == bindparam("idea"), V.c.user_id == bindparam("user")
    )
)
UNVOTE = Prepared(
    delete(V).where(
        V.c.workspace_id == bindparam("ws"), V.c.idea_id == bindparam("idea"), V.c.user_id == bindparam("user")
    )
)
VOTE_COUNTS = (
    select(V.c.idea_id, func.count())
    .where(V.c.workspace_id == bindparam("ws"), V.c.idea_id.in_(bindparam("ids", expanding=True)))
    .group_by(V.c.idea_id)
)


# INSERT ... ON CONFLICT DO NOTHING, for the two databases Tally runs on: one statement, no savepoint, and
# a concurrent copy of the row (committed or not: PostgreSQL waits for it) makes it insert nothing.
INSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


def _insert_ignoring_conflicts(dialect: str):  # type: ignore[no-untyped-def]
    try:
        return INSERTS[dialect]
    except KeyError:
        raise NotImplementedError(f"Tally stores ideas on SQLite or PostgreSQL, not {dialect}") from None


@functools.cache
def vote(dialect: str) -> Any:
    """One vote, only for an idea of the workspace; RETURNING gives no row when it was there already."""
    idea = select(I.c.workspace_id, I.c.id, bindparam("user", type_=String)).where(
        I.c.id == bindparam("idea"), I.c.workspace_id == bindparam("ws")
    )
    return Prepared(
        _insert_ignoring_conflicts(dialect)(V)
        .from_select(["workspace_id", "idea_id", "user_id"], idea)
        .on_conflict_do_nothing(index_elements=["idea_id", "user_id"])
        .returning(V.c.id)
    )


@functools.cache
def move_votes(dialect: str) -> Any:
    """Copies the votes for one idea to another (already in the workspace), skipping whoever voted for both."""
    votes = (
        select(V.c.workspace_id, bindparam("dst", type_=Integer), V.c.user_id)
        .where(V.c.workspace_id == bindparam("ws"), V.c.idea_id == bindparam("src"))
        .order_by(V.c.id)
    )
    return (
        _insert_ignoring_conflicts(dialect)(V)
        .from_select(["workspace_id", "idea_id", "user_id"], votes)
        .on_conflict_do_nothing(index_elements=["idea_id", "user_id"])
        .returning(V.c.id)
    )


@functools.cache
def link(dialect: str) -> Any:
    """Links an idea and a problem of the same workspace; nothing when they are linked already."""
    problem_here = select(P.c.id).where(P.c.id == bindparam("problem"), P.c.workspace_id == bindparam("ws")).exists()
    pair = select(I.c.workspace_id, I.c.id, bindparam("problem", type_=Integer)).where(
        I.c.id == bindparam("idea"), I.c.workspace_id == bindparam("ws"), problem_here
    )
    return (
        _insert_ignoring_conflicts(dialect)(L)
        .from_select(["workspace_id", "idea_id", "problem_id"], pair)
        .on_conflict_do_nothing(index_elements=["idea_id", "problem_id"])
        .returning(L.c.id)
    )


@functools.cache
def default_forum(dialect: str) -> Any:
    return (
        _insert_ignoring_conflicts(dialect)(F)
        .values(
            workspace_id=bindparam("ws"),
            slug=bindparam("slug"),
            name=bindparam("name"),
            area_ids=[],
            meets=bindparam("meets"),
            digest_day=bindparam("digest_day"),
            digest_time=bindparam("digest_time"),
        )
        .on_conflict_do_nothing(index_elements=["workspace_id", "slug"])
    )


OCCURRENCE_FIELDS = (
    "workspace_id", "problem_id", "occurred_on", "count", "effort_minutes", "users_affected", "reporter_id", "note",
    "delivery_id",
)  # fmt: skip


OCCURRENCE_BY_DELIVERY = Prepared(
    select(*O.c).where(O.c.workspace_id == bindparam("ws"), O.c.delivery_id == bindparam("delivery"))
)


@functools.cache
def insert_occurrence(dialect: str) -> Any:
    """One occurrence; a copy of its delivery already stored (or being stored: PostgreSQL waits) inserts nothing."""
    return Prepared(
        _insert_ignoring_conflicts(dialect)(O)
        .values({name: bindparam(name) for name in OCCURRENCE_FIELDS})
        .on_conflict_do_nothing(index_elements=["workspace_id", "delivery_id"])
        .returning(O.c.id)
    )
