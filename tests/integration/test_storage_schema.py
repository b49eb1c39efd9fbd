"""The tables the code declares and the schema the migrations build agree, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import storage.tables  # noqa: F401 - registers the tables on SQLModel.metadata
from storage.migrate import alembic_config


def _differences(engine) -> list:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        # The same options as storage/migrations/env.py, so this sees what `alembic revision
        # --autogenerate` would.
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def test_migrations_build_exactly_the_declared_tables(engine):
    # No dialect noise to filter today: on both databases a fresh upgrade compares clean, types
    # included. Should a difference ever be noise, filter that one kind here and say why.
    assert _differences(engine) == []


def test_a_fresh_database_is_at_the_single_head(engine):
    heads = ScriptDirectory.from_config(alembic_config(engine)).get_heads()
    assert heads == ["0011"]
    with engine.connect() as conn:
        assert conn.execute(text("select version_num from alembic_version")).scalar() == "0011"


def test_the_duplicate_check_has_its_index(engine):
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes("problem")}
    assert indexes.get("ix_problem_workspace_status_area") == ["workspace_id", "status", "area_id"]
    assert "ix_problem_workspace_status" not in indexes  # its prefix: replaced, not kept beside it
    window = ["workspace_id", "area_id", "number", "status", "id"]  # its window is checked from this index alone
    assert indexes.get("ix_problem_workspace_area_window") == window
    assert "ix_problem_workspace_area" not in indexes


def test_a_digests_weeks_are_read_from_the_occurrence_index_alone(engine):
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes("occurrence")}
    tally = ["workspace_id", "problem_id", "occurred_on", "count", "effort_minutes", "users_affected"]
    assert indexes.get("ix_occurrence_workspace_problem_date_tally") == tally
    assert "ix_occurrence_workspace_problem_date" not in indexes  # its prefix: replaced, not kept beside it
