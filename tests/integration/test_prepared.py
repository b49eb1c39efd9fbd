"""Prepared statements on real databases: stored exactly as SQLAlchemy stores the same values, read back as it
reads them, and failing with SQLAlchemy's errors."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Text as TextType
from sqlalchemy import bindparam, cast, insert, select
from sqlalchemy.exc import IntegrityError

from storage import statements as sql
from storage.model import Platform, WorkspaceDefaults
from storage.prepared import CURSOR, Prepared
from storage.uow import SqlUnitOfWorkFactory

AT = datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=UTC)
DETAIL = {"count": 3, "note": 'naïve ‘quotes’ and "json"'}


def _as_text(uow, table, ids):  # type: ignore[no-untyped-def]
    """Every column of the rows as the database holds it, so two ways of writing compare byte for byte."""
    columns = [cast(column, TextType) for column in table.c if column.name != "id"]
    rows = uow.session.connection.execute(select(*columns).where(table.c.id.in_(ids)).order_by(table.c.id))
    return [tuple(r) for r in rows]


def test_a_prepared_insert_stores_what_sqlalchemy_stores(engine):
    units = SqlUnitOfWorkFactory(engine)
    with units() as uow:
        ws = uow.workspaces.get_or_create(Platform.SLACK, "T1", WorkspaceDefaults())
        values = {"workspace_id": ws.id, "at": AT, "actor_id": None, "action": "a", "subject": "#1", "detail": DETAIL}
        uow.session.execute(sql.INSERT_AUDIT, values)
        uow.session.connection.execute(insert(sql._AUDIT), values)  # SQLAlchemy's own execution
        uow.commit()
    with units(write=False) as uow:
        ids = [r.id for r in uow.session.connection.execute(select(sql._AUDIT.c.id))]
        prepared, own = _as_text(uow, sql._AUDIT, ids)
        assert prepared == own
        (newest, older) = uow.audit.list(ws.id)
        assert older.detail == DETAIL and older.at.replace(tzinfo=UTC) == AT


def test_prepared_reads_convert_types_as_sqlalchemy_does(engine):
    units = SqlUnitOfWorkFactory(engine)
    with units() as uow:
        ws = uow.workspaces.get_or_create(Platform.SLACK, "T1", WorkspaceDefaults())
        found = uow.session.execute(sql.WORKSPACE_BY_REF, {"platform": "slack", "external_id": "T1"}).first()
        own = uow.session.connection.execute(
            sql.WORKSPACE_BY_REF.statement, {"platform": "slack", "external_id": "T1"}
        ).first()
        assert tuple(found) == tuple(own) and found.id == ws.id
        assert type(found.hourly_cost) is type(own.hourly_cost)
        assert uow.session.execute(sql.WORKSPACE_BY_REF, {"platform": "slack", "external_id": "none"}).first() is None


def test_one_problems_totals_agree_with_the_general_query(engine):
    units = SqlUnitOfWorkFactory(engine)
    with units() as uow:
        ws = uow.workspaces.get_or_create(Platform.SLACK, "T1", WorkspaceDefaults())
        number = uow.workspaces.next_problem_number(ws.id)
        new_id = uow.session.execute(
            sql.INSERT_PROBLEM, {**_problem_row(ws.id, number), "title": "Printer jammed"}
        ).scalar_one()
        for day, count in ((date(2026, 11, 2), 2), (date(2026, 11, 23), 5), (date(2026, 11, 24), 1)):
            occurrence = {"workspace_id": ws.id, "problem_id": new_id, "occurred_on": day, "count": count}
            occurrence |= {"effort_minutes": 10, "users_affected": 2, "reporter_id": None, "note": ""}
            occurrence["delivery_id"] = f"d{day}"
            stored = uow.session.execute(sql.insert_occurrence(engine.dialect.name), occurrence).scalar()
            assert stored is not None
            # The same delivery again inserts nothing, and says so by returning no row.
            assert uow.session.execute(sql.insert_occurrence(engine.dialect.name), occurrence).scalar() is None
        since = date(2026, 11, 23)
        (one,) = uow.occurrences.totals_since(ws.id, [new_id], since).values()
        general = uow.session.connection.execute(sql.TOTALS_SINCE, {"ws": ws.id, "ids": [new_id], "since": since}).one()
        assert (one[0].count, one[0].staff_minutes, one[0].users_affected, one[1].count) == (6, 60, 12, 8)
        assert [int(v) for v in general[1:]] == [6, 60, 12, 8, 80, 16]


def test_a_driver_error_comes_back_as_sqlalchemys(engine):
    units = SqlUnitOfWorkFactory(engine)
    with units() as uow:
        ws = uow.workspaces.get_or_create(Platform.SLACK, "T1", WorkspaceDefaults())
        uow.session.execute(sql.INSERT_PROBLEM, _problem_row(ws.id, 1))
        with pytest.raises(IntegrityError):
            uow.session.execute(sql.INSERT_PROBLEM, _problem_row(ws.id, 1))


def test_a_statement_whose_sql_changes_per_call_is_refused(engine):
    expanding = Prepared(select(sql.P.c.id).where(sql.P.c.id.in_(bindparam("ids", expanding=True))))
    with pytest.raises(ValueError, match="fixed"):
        expanding.compiled(engine.dialect)


def _problem_row(workspace_id: int, number: int) -> dict[str, object]:
    from storage.repository import _problem_defaults

    return {**_problem_defaults(), "workspace_id": workspace_id, "number": number, "title": "t", "created_at": AT}


def test_lists_and_many_problems_totals_agree_with_sqlalchemys_own_queries(engine):
    """The list's statement per (statuses, area, reporter) and the totals per number of ids, against the same
    questions asked through SQLAlchemy's expanding IN, on a workspace with problems in every status."""
    from storage.model import Problem, Status

    units = SqlUnitOfWorkFactory(engine)
    statuses = list(Status)
    with units() as uow:
        ws = uow.workspaces.get_or_create(Platform.SLACK, "T1", WorkspaceDefaults())
        area = uow.areas.add(ws.id, "Front desk", "front-desk")
        ids = []
        for n in range(1, 31):
            number = uow.workspaces.next_problem_number(ws.id)
            problem = Problem(ws.id, number, f"p{n}", area_id=area.id if n % 3 else None, reporter_id=f"U{n % 4}")
            problem.status = statuses[n % len(statuses)]
            ids.append(uow.problems.add(problem).id)
            for day in range(n % 4):
                occurrence = {"workspace_id": ws.id, "problem_id": ids[-1], "occurred_on": date(2026, 11, 20 + day)}
                occurrence |= {"count": n, "effort_minutes": 5, "users_affected": 1, "reporter_id": None, "note": ""}
                uow.session.execute(sql.insert_occurrence(engine.dialect.name), {**occurrence, "delivery_id": None})
        uow.commit()
    p = sql.P.c
    with units(write=False) as uow:
        for wanted in ([Status.OPEN], [Status.OPEN, Status.INVESTIGATING], statuses):
            for area_id in (None, area.id):
                for reporter in (None, "U1"):
                    listed = uow.problems.list(ws.id, wanted, area_id=area_id, reporter_id=reporter, limit=7)
                    query = select(p.number).where(p.workspace_id == ws.id, p.status.in_([s.value for s in wanted]))
                    if area_id is not None:
                        query = query.where(p.area_id == area_id)
                    if reporter is not None:
                        query = query.where(p.reporter_id == reporter)
                    own = [r.number for r in uow.session.connection.execute(query.order_by(p.number.desc()).limit(7))]
                    assert [x.number for x in listed] == own and own, (wanted, area_id, reporter)
        since = date(2026, 11, 21)
        for some in (ids[:2], ids[:25], ids):
            totals = uow.occurrences.totals_since(ws.id, some, since)
            general = uow.session.connection.execute(sql.TOTALS_SINCE, {"ws": ws.id, "ids": some, "since": since})
            expected = {row[0]: [int(v) for v in row[1:]] for row in general}
            figures = {
                k: [getattr(t, f) for t in v for f in ("count", "staff_minutes", "users_affected")]
                for k, v in totals.items()
            }
            assert figures == expected and expected


def test_a_connection_keeps_one_cursor_for_its_statements_and_a_fresh_one_after_an_error(engine):
    units = SqlUnitOfWorkFactory(engine)
    ref = {"platform": "slack", "external_id": "T1"}
    with units() as uow:
        ws = uow.workspaces.get_or_create(Platform.SLACK, "T1", WorkspaceDefaults())
        uow.session.execute(sql.WORKSPACE_BY_REF, ref)
        pooled = uow.session.connection.connection
        kept = pooled.info[CURSOR]
        assert uow.session.execute(sql.WORKSPACE_BY_REF, ref).first().id == ws.id
        assert pooled.info[CURSOR] is kept  # the same cursor, and each statement's own rows
        values = {"workspace_id": ws.id, "at": AT, "actor_id": None, "action": "a", "subject": "#1", "detail": {}}
        with pytest.raises(IntegrityError):
            uow.session.execute(sql.INSERT_AUDIT, {**values, "workspace_id": ws.id + 1000})  # no such workspace
        assert CURSOR not in pooled.info
        uow.rollback()
    with units(write=False) as uow:
        assert uow.session.execute(sql.WORKSPACE_BY_REF, ref).first() is None  # rolled back, read afresh
        assert uow.session.connection.connection.info[CURSOR] is not kept
