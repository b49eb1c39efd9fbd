"""One connection kept from one unit of work to the next, for those that run on the event loop.

Units of work that must not wait (SQLite's, on the event loop) run one after another, each whole before the next
begins. Checking a connection out of the pool and back in for each cost about 6% of the event loop under load
(bench/bench_slash.py at c=20); each kind (writing, reading) keeps one instead. Between units of work it holds no
transaction, so it holds no lock: it is an open file, as an idle pooled connection is.
"""

from __future__ import annotations

import threading

from sqlalchemy.engine import Connection, Engine


class KeptConnection:
    """Lent to one unit of work at a time; while it is lent, another (a thread's, or one nested in it) gets None and
    checks one out of the pool as before."""

    def __init__(self, bind: Engine) -> None:
        self.bind = bind
        self._lent = threading.Lock()
        self._connection: Connection | None = None

    def lend(self) -> Connection | None:
        if not self._lent.acquire(blocking=False):
            return None
        try:
            if self._connection is None or self._connection.closed or self._connection.invalidated:
                self._connection = self.bind.connect()
        except BaseException:
            self._lent.release()
            raise
        return self._connection

    def give_back(self, usable: bool) -> None:
        """`usable`: its transaction ended cleanly; anything else (the database failed, the rollback failed) closes
        it, and the next unit of work checks out a fresh one."""
        try:
            if not usable and self._connection is not None:
                connection, self._connection = self._connection, None
                connection.close()
        finally:
            self._lent.release()

    def close(self) -> None:
        """At shutdown: back to the pool, which the engine's dispose then closes."""
        if self._lent.acquire(blocking=False):
            self.give_back(usable=False)
