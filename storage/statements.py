"""The hot path's SQL, built once: SQLAlchemy spends more time building a statement than running it here.

Each is a Core statement with named parameters; repositories execute them with plain dicts and turn the
rows into domain records themselves.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, bindparam, case, cast, func, insert, select, update

from storage.tables import AreaRow, AuditRow, OccurrenceRow, ProblemRow, WorkspaceRow

W = WorkspaceRow.__table__  # type: ignore[attr-defined]
A = AreaRow.__table__  # type: ignore[attr-defined]
P = ProblemRow.__table__  # type: ignore[attr-defined]
O = OccurrenceRow.__table__  # type: ignore[attr-defined]  # noqa: E741

WORKSPACE_COLUMNS = (W.c.id, W.c.platform, W.c.external_id, W.c.name, W.c.hourly_cost, W.c.currency, W.c.timezone)
WORKSPACE_BY_REF = select(*WORKSPACE_COLUMNS, W.c.week_start).where(
    W.c.platform == bindparam("platform"), W.c.external_id == bindparam("external_id")
)
NEXT_PROBLEM_NUMBER = (
    update(W).where(W.c.id == bindparam("ws")).values(problem_seq=W.c.problem_seq + 1).returning(W.c.problem_seq)
)

AREA_BY_SLUG = select(A.c.id, A.c.workspace_id, A.c.name, A.c.slug).where(
    A.c.workspace_id == bindparam("ws"), A.c.slug == bindparam("slug")
)

PROBLEM_COLUMNS = tuple(P.c)
PROBLEM_BY_NUMBER = select(*PROBLEM_COLUMNS).where(P.c.workspace_id == bindparam("ws"), P.c.number == bindparam("number"))
INSERT_PROBLEM = insert(P).returning(P.c.id)

_OPEN = ("open", "investigating")
_CANDIDATE_COLUMNS = (P.c.id, P.c.number, P.c.title, P.c.description, P.c.status)
OPEN_IN_AREA = (
    select(*_CANDIDATE_COLUMNS)
    .where(P.c.workspace_id == bindparam("ws"), P.c.status.in_(_OPEN), P.c.area_id == bindparam("area"))
    .order_by(P.c.number.desc())
    .limit(bindparam("limit"))
)
OPEN_IN_NO_AREA = (
    select(*_CANDIDATE_COLUMNS)
    .where(P.c.workspace_id == bindparam("ws"), P.c.status.in_(_OPEN), P.c.area_id.is_(None))
    .order_by(P.c.number.desc())
    .limit(bindparam("limit"))
)

_count = cast(O.c.count, BigInteger)  # a million occurrences x a million users overflows 32 bits
_recent = O.c.occurred_on >= bindparam("since")


def _recent_sum(value):  # type: ignore[no-untyped-def]
    return func.sum(case((_recent, value), else_=0))


TOTALS_SINCE = (
    select(
        O.c.problem_id,
        _recent_sum(_count),
        _recent_sum(_count * O.c.effort_minutes),
        _recent_sum(_count * O.c.users_affected),
        func.sum(_count),
        func.sum(_count * O.c.effort_minutes),
        func.sum(_count * O.c.users_affected),
    )
    .where(O.c.workspace_id == bindparam("ws"), O.c.problem_id.in_(bindparam("ids", expanding=True)))
    .group_by(O.c.problem_id)
)

INSERT_AUDIT = insert(AuditRow.__table__)  # type: ignore[attr-defined]
