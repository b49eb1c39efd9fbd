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
from storage.prepared import Prepared
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
