"""One unit of work's database handle: Core statements go straight to its connection, and an ORM session is made
only when a repository needs one, joined to the same transaction.

Capture's hot path runs Core statements only; an ORM session's set-up, bookkeeping and commit cost more than the
statements themselves (about 250 µs of 500 per request on SQLite), so it isn't made for them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection, Result
from sqlmodel import Session

from storage.prepared import Prepared, Rows, run


class Db:
    """What repositories hold as `session`: `execute` runs a Core statement on the connection until an ORM session
    exists, then through it (so its pending objects are flushed first); ORM statements and everything else
    ORM-only make the session."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._orm: Session | None = None

    @property
    def orm(self) -> Session:
        if self._orm is None:
            # The connection's transaction is the unit of work's: the session joins it, and neither commits nor
            # ends it (a commit or rollback here lets the session go; the next ORM call makes a new one).
            if not self.connection.in_transaction():
                self.connection.begin()
            self._orm = Session(bind=self.connection, expire_on_commit=False, join_transaction_mode="rollback_only")
        return self._orm

    def execute(self, statement: Any, params: Any = None, **kwargs: Any) -> Result[Any] | Rows:
        """An ORM statement (one naming mapped classes: it returns objects) always goes through the session;
        a prepared one goes to the driver, after the session's pending objects."""
        if isinstance(statement, Prepared):
            if self._orm is not None:
                self._orm.flush()
            return run(statement, self.connection, params)
        if self._orm is not None or _is_orm(statement):
            return self.orm.execute(statement, params, **kwargs)
        if params is None:
            return self.connection.execute(statement, **kwargs)
        return self.connection.execute(statement, params, **kwargs)

    def get_bind(self) -> Connection:
        return self.connection

    def flush(self) -> None:
        """Nothing to flush when no ORM object was ever added."""
        if self._orm is not None:
            self._orm.flush()

    def __getattr__(self, name: str) -> Any:  # scalars, add, get, begin_nested, expire_all: the ORM's
        return getattr(self.orm, name)

    def commit(self) -> None:
        if self._orm is not None:
            self._orm.flush()
            self._release_orm()
        self.connection.commit()

    def _release_orm(self) -> None:
        orm, self._orm = self._orm, None
        if orm is not None:
            orm.close()

    def rollback(self) -> None:
        """Whatever this unit of work hasn't committed; after a commit there is nothing to undo."""
        self._release_orm()
        if self.connection.in_transaction():
            self.connection.rollback()

    def close(self, keep: bool = False) -> None:
        """Lets the ORM session go and the connection back to the pool, which rolls back whatever wasn't committed;
        `keep`: the connection stays open, for its keeper (storage.kept)."""
        try:
            self._release_orm()
        finally:
            if not keep:
                self.connection.close()


def _is_orm(statement: Any) -> bool:
    """How SQLAlchemy itself tells: a statement built from mapped classes carries the ORM's compile plugin."""
    return getattr(statement, "_propagate_attrs", {}).get("compile_state_plugin") == "orm"
