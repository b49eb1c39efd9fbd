"""Real databases for tests: a fresh SQLite file, or a throwaway PostgreSQL database.

PostgreSQL comes from TALLY_TEST_POSTGRES_URL (default: the machine's trust-auth server). When it
can't be reached the PostgreSQL tests skip, except under CI=true, where they fail: CI must run them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url

from storage.engine import make_engine
from storage.migrate import upgrade

POSTGRES_ADMIN_URL = os.environ.get("TALLY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"PostgreSQL is required in CI but unavailable: {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


@contextmanager
def postgres_database() -> Iterator[str]:
    """Create a uniquely named database, hand out its URL, drop it afterwards."""
    name = f"tally_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to connect means unavailable
        admin.dispose()
        postgres_unavailable(str(exc).splitlines()[0])
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def database_url(kind: str, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'tally.db'}"
    else:
        with postgres_database() as url:
            yield url


def dump_tables(engine: Engine) -> dict[str, str]:
    """Every row of every table, as text per table: where an anonymous reporter must not be found."""
    with engine.connect() as conn:
        return {t: repr(conn.execute(text(f"select * from {t}")).all()) for t in inspect(conn).get_table_names()}


@contextmanager
def migrated_engine(kind: str, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    with database_url(kind, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()
