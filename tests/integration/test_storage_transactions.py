"""Units of work on real databases: reads never wait for a writer, and domain events follow the transaction."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

import storage.engine
from storage.engine import BUSY_TIMEOUT_MS, ping
from storage.model import Platform, Status, WorkspaceDefaults
from storage.ports import Busy, Unavailable
from storage.uow import SqlUnitOfWorkFactory
from tests.databases import migrated_engine


def _read(units: SqlUnitOfWorkFactory) -> int:
    with units(write=False) as uow:
        return len(uow.problems.list(1, list(Status)))


def _write(units: SqlUnitOfWorkFactory) -> int:
    with units() as uow:
        ws = uow.workspaces.get_or_create(Platform.CONSOLE, "after-the-lock", WorkspaceDefaults())
        uow.commit()
        return ws.id


def test_reads_and_ping_never_wait_for_a_writer_on_sqlite(tmp_path):
    with migrated_engine("sqlite", tmp_path) as engine, ThreadPoolExecutor(max_workers=3) as pool:
        units = SqlUnitOfWorkFactory(engine)
        # Another process holds the write lock, mid-transaction.
        writer = sqlite3.connect(engine.url.database, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO slack_oauth_state (state, expires_at) VALUES ('held', '2030-01-01')")
        try:
            started = time.monotonic()
            assert pool.submit(_read, units).result(timeout=5) == 0
            assert pool.submit(ping, engine).result(timeout=5) is True
            assert time.monotonic() - started < 2  # at once, not after some busy_timeout

            waiting = pool.submit(_write, units)
            with pytest.raises(FutureTimeout):
                waiting.result(timeout=1)  # a write unit of work queues for the lock
        finally:
            writer.execute("COMMIT")
            writer.close()
        assert waiting.result(timeout=10) >= 1  # and goes ahead once the lock is free


def test_a_read_unit_of_work_reads_committed_data(engine):
    units = SqlUnitOfWorkFactory(engine)
    with units() as uow:
        uow.workspaces.get_or_create(Platform.CONSOLE, "w", WorkspaceDefaults())
        uow.commit()
    with units(write=False) as uow:
        assert uow.write is False
        assert uow.workspaces.get_or_create(Platform.CONSOLE, "w", WorkspaceDefaults()).id >= 1
    assert ping(engine) is True


def test_a_rolled_back_unit_of_work_dispatches_nothing(engine):
    units = SqlUnitOfWorkFactory(engine)
    with units() as uow:
        uow.record("never")
        uow.workspaces.get_or_create(Platform.CONSOLE, "never-committed", WorkspaceDefaults())
    assert uow.collect_events() == []
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from workspace")).scalar() == 0


def test_committed_events_are_collected_once_and_a_later_rollback_keeps_them(engine):
    units = SqlUnitOfWorkFactory(engine)
    first, second, third = object(), object(), object()
    with units() as uow:
        uow.record(first)
        uow.workspaces.get_or_create(Platform.CONSOLE, "w", WorkspaceDefaults())
        uow.commit()
        uow.record(second)
        uow.rollback()  # undoes only what came after the commit
        uow.record(third)
        uow.commit()
    # The unit of work has exited, which rolls back: committed events survive it.
    assert uow.collect_events() == [first, third]
    assert uow.collect_events() == []


def test_a_unit_of_work_that_must_not_wait_gives_up_at_once_on_sqlite(tmp_path):
    """What the core tries on the event loop: busy means nothing begun, nothing held, and the usual wait after."""
    with migrated_engine("sqlite", tmp_path) as engine:
        units = SqlUnitOfWorkFactory(engine)
        assert units.runs_on_loop is True
        writer = sqlite3.connect(engine.url.database, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")  # another process, mid-write
        try:
            started = time.monotonic()
            with pytest.raises(Busy) as other_process:
                units(wait=False).__enter__()
            assert time.monotonic() - started < 1
            assert other_process.value.until_free is None  # only a thread waits for another process
            with units(write=False, wait=False) as uow:  # a read begins deferred: it is never busy
                assert uow.workspaces.find(Platform.CONSOLE, "nobody") is None
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        # The in-process writers' lock was let go, and the connection waits as long as ever again.
        with units() as uow:
            raw = uow.session.connection.connection.dbapi_connection
            assert raw.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS
        with units(wait=False) as uow:
            assert raw.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS
            uow.workspaces.get_or_create(Platform.CONSOLE, "now", WorkspaceDefaults())
            uow.commit()
        with units(wait=False) as held, pytest.raises(Busy) as here:  # this process's own writer holds it
            units(wait=False).__enter__()
        assert held.session is None
        asyncio.run(asyncio.wait_for(here.value.until_free(), 1))  # the event loop can wait for it: let go now
        with units(write=False) as uow:
            assert uow.workspaces.find(Platform.CONSOLE, "now") is not None


@pytest.mark.postgres
def test_only_an_sqlite_file_runs_units_of_work_on_the_loop(tmp_path):
    with migrated_engine("postgres", tmp_path) as engine:
        assert SqlUnitOfWorkFactory(engine).runs_on_loop is False


def _backend_and_kill(engine, units: SqlUnitOfWorkFactory) -> None:  # type: ignore[no-untyped-def]
    """Ends, from another connection, every server process behind the pool's connections (a server restart)."""
    with units(write=False) as uow:  # the pool holds at least one, used just now
        uow.session.execute(text("SELECT 1"))
    killer = create_engine(engine.url, poolclass=NullPool)
    with killer.connect() as conn:
        ended = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    killer.dispose()
    assert ended >= 1


def _count_workspaces(units: SqlUnitOfWorkFactory) -> object:
    with units(write=False) as uow:
        return uow.workspaces.find(Platform.CONSOLE, "nobody")


@pytest.mark.postgres
def test_an_idle_postgres_connection_that_died_is_replaced_before_use(tmp_path, monkeypatch):
    with migrated_engine("postgres", tmp_path) as engine:
        units = SqlUnitOfWorkFactory(engine)
        _backend_and_kill(engine, units)
        monkeypatch.setattr(storage.engine, "IDLE_PING_SECONDS", 0.0)  # as if it had sat in the pool a while
        assert _count_workspaces(units) is None  # pinged, found dead, replaced: no error


@pytest.mark.postgres
def test_a_busy_postgres_connection_that_died_fails_once_and_is_thrown_away(tmp_path):
    """Not pinged (it was used a moment ago): its first statement fails as a disconnect, the next unit of work
    gets a new connection."""
    with migrated_engine("postgres", tmp_path) as engine:
        units = SqlUnitOfWorkFactory(engine)
        _backend_and_kill(engine, units)
        with pytest.raises(Unavailable) as failed:  # what the core answers "not saved, try again" to
            _count_workspaces(units)  # a prepared statement
        assert isinstance(failed.value.__cause__, DBAPIError) and failed.value.__cause__.connection_invalidated
        assert _count_workspaces(units) is None


def _prepared_on_server(units: SqlUnitOfWorkFactory) -> int:
    with units(write=False) as uow:
        return uow.session.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()


@pytest.mark.postgres
def test_a_reader_leaves_its_connection_the_statements_psycopg_prepared(tmp_path):
    """psycopg drops every prepared statement of a connection at a ROLLBACK (DEALLOCATE ALL): a reader that ended
    with one would leave every statement to be parsed and planned afresh."""
    with migrated_engine("postgres", tmp_path) as engine:
        engine.dispose()  # one connection in the pool from here on: every unit of work, run in turn, uses it
        units = SqlUnitOfWorkFactory(engine)
        for _ in range(8):  # psycopg prepares a statement on the server at its fifth run
            assert _count_workspaces(units) is None
        assert _prepared_on_server(units) >= 1


@pytest.mark.postgres
def test_a_postgres_reader_is_read_only_so_its_commit_keeps_nothing(tmp_path):
    with migrated_engine("postgres", tmp_path) as engine:
        units = SqlUnitOfWorkFactory(engine)
        with pytest.raises(DBAPIError, match="read-only transaction"), units(write=False) as uow:
            uow.session.execute(text("UPDATE workspace SET name = 'changed'"))
        with units() as uow:  # a writer's connection, maybe the same one, writes as before
            uow.workspaces.get_or_create(Platform.CONSOLE, "writes", WorkspaceDefaults())
            uow.commit()
        assert _count_workspaces(units) is None
        with units(write=False) as uow:
            assert uow.workspaces.find(Platform.CONSOLE, "writes") is not None


@pytest.mark.postgres
def test_health_checks_and_pings_leave_the_pool_its_prepared_statements(tmp_path, monkeypatch):
    with migrated_engine("postgres", tmp_path) as engine:
        engine.dispose()
        monkeypatch.setattr(storage.engine, "IDLE_PING_SECONDS", 0.0)  # every check-out pings the connection first
        units = SqlUnitOfWorkFactory(engine)
        for _ in range(8):
            _count_workspaces(units)
        for _ in range(3):
            assert ping(engine)
        assert _prepared_on_server(units) >= 1


@pytest.mark.postgres
def test_postgres_plans_each_run_of_a_prepared_statement_for_its_own_values(tmp_path):
    with migrated_engine("postgres", tmp_path) as engine, SqlUnitOfWorkFactory(engine)(write=False) as uow:
        assert uow.session.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_custom_plan"
