"""Which process runs scheduled jobs: on PostgreSQL the holder of a session advisory lock, which the server lets
go the moment the holder's connection dies; on SQLite the process holding a lock file beside the database."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from typing import IO, Protocol

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger("tally.leadership")

LOCK_KEY = 0x7A11_D16E  # pg_try_advisory_lock's key for "Tally's scheduler"


class Leadership(Protocol):
    def try_lead(self) -> bool:
        """Take the lead, or check it is still held; False when another process has it."""
        ...

    def release(self) -> None: ...


class PostgresLeadership:
    """A dedicated connection holds `pg_try_advisory_lock`; a dead connection is a lost lead."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.connection: Connection | None = None
        self.busy = threading.Lock()  # a check stuck on a dead connection must not be joined by the next one

    def try_lead(self) -> bool:
        if not self.busy.acquire(blocking=False):
            return False  # the last check is still waiting on its connection: not leading until it answers
        try:
            return self._try_lead()
        finally:
            self.busy.release()

    def _try_lead(self) -> bool:
        if self.connection is not None:
            try:
                self.connection.execute(text("select 1"))
                return True
            except Exception:  # noqa: BLE001 - the connection died, and the lock with it
                log.warning("lost the scheduler's lock: its database connection failed")
                self._drop()
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            held = bool(connection.execute(text("select pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}).scalar())
        except Exception:
            connection.close()
            raise
        if not held:
            connection.close()
            return False
        self.connection = connection
        return True

    def release(self) -> None:
        if self.connection is not None and self.busy.acquire(timeout=5):
            self.busy.release()
            with contextlib.suppress(Exception):
                self.connection.execute(text("select pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            self._drop()

    def _drop(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):
                self.connection.invalidate()
                self.connection.close()
            self.connection = None


class FileLeadership:
    """SQLite serves one process; should a second start on the same file, the lock file keeps jobs on one."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.handle: IO[str] | None = None

    def try_lead(self) -> bool:
        if self.path is None or self.handle is not None:
            return True
        handle = open(self.path, "a")  # noqa: SIM115 - held open for as long as the lead
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self.handle = handle
        return True

    def release(self) -> None:
        if self.handle is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


def leadership_for(engine: Engine) -> Leadership:
    if engine.dialect.name == "postgresql":
        return PostgresLeadership(engine)
    database = engine.url.database
    if not database or database == ":memory:":
        return FileLeadership(None)
    return FileLeadership(os.path.abspath(database) + ".scheduler.lock")
