"""Hot-path statements compiled once per database and run on the driver's own cursor.

SQLAlchemy spends about 80 µs setting up each execution (its execution context, events, result metadata) where
sqlite3 runs the same query in 4 µs; capture runs eight to ten statements a request. A `Prepared` statement is
still written with SQLAlchemy Core and compiled by it, with SQLAlchemy's own type processing on the way in and
out (a date is stored exactly as SQLAlchemy stores it), but is executed without the per-call machinery. On
PostgreSQL psycopg then prepares it on the server after a few runs.

Only statements whose SQL is fixed can be prepared: no expanding IN, and every column an INSERT writes named.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound
from sqlalchemy.sql import ClauseElement

Processor = Callable[[Any], Any] | None
_REQUIRED = object()  # a parameter with no default that a run didn't give


class Prepared:
    """A Core statement, compiled the first time it runs on each dialect. `plain=True`: its rows are plain tuples,
    for a statement whose many rows are only unpacked (no attribute access to build per row)."""

    def __init__(self, statement: ClauseElement, plain: bool = False) -> None:
        self.statement = statement
        self.plain = plain
        self._compiled: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = _Compiled(self.statement, dialect, self.plain)
        return found

    def __repr__(self) -> str:
        return f"Prepared({self.statement})"


class _Compiled:
    def __init__(self, statement: ClauseElement, dialect: Dialect, plain: bool) -> None:
        compiled = statement.compile(dialect=dialect)
        if "POSTCOMPILE" in compiled.string:
            raise ValueError(f"a prepared statement's SQL must be fixed (no expanding IN): {compiled.string}")
        self.sql = compiled.string
        self.dialect = dialect
        binds = {bind.key: bind for bind in compiled.binds.values()}
        required = {name: None for name, bind in binds.items() if bind.required}
        self.defaults = {k: v for k, v in compiled.construct_params(required).items() if k not in required}
        self.positions: tuple[str, ...] | None = tuple(compiled.positiontup) if compiled.positiontup else None
        self.binds = tuple(  # each name once, though a positional statement may take it several times
            (name, bind.type.dialect_impl(dialect).bind_processor(dialect)) for name, bind in binds.items()
        )
        processors = dict(self.binds)
        self.plan = (  # a positional statement's values in order: (name, processor, default or _REQUIRED)
            tuple((name, processors.get(name), self.defaults.get(name, _REQUIRED)) for name in self.positions)
            if self.positions is not None
            else None
        )
        columns = list(getattr(statement, "exported_columns", ()))
        self.types = [column.type.dialect_impl(dialect) for column in columns]
        self.row = namedtuple("Row", [column.key for column in columns], rename=True) if columns else None  # type: ignore[misc]
        self.make: Callable[[Any], Any] = tuple if plain else self.row._make if self.row else tuple
        self.results: list[Processor] | None = None  # from the driver's column types, at the first run

    def arguments(self, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        if self.plan is not None:  # SQLite's: each position's value straight from the parameters
            ordered = []
            for name, process, default in self.plan:
                value = params.get(name, default)
                if value is _REQUIRED:
                    raise KeyError(name)
                ordered.append(value if process is None or value is None else process(value))
            return ordered
        values = dict(self.defaults)
        values.update(params)
        for name, process in self.binds:
            if process is not None and values.get(name) is not None:
                values[name] = process(values[name])
        return values

    def rows(self, cursor: Any) -> list[Any]:
        if self.row is None:  # nothing to return (an INSERT without RETURNING, an UPDATE, a DELETE)
            return []
        if self.results is None:  # the driver's column types, once: psycopg builds `description` anew per call
            if cursor.description is None:
                return []
            self.results = [
                kind.result_processor(self.dialect, column[1])
                for kind, column in zip(self.types, cursor.description, strict=True)
            ]
        processors = self.results
        make = self.make
        if not any(processors):
            return [make(r) for r in cursor.fetchall()]
        return [
            make([v if p is None or v is None else p(v) for p, v in zip(processors, r, strict=True)])
            for r in cursor.fetchall()
        ]


# Each driver connection's cursor for prepared statements, kept in its pool record (whose `info` lives as long as the
# driver's connection): psycopg sets up a cursor's adapters and state anew for each, 10-20 µs a statement. Every
# statement's rows are fetched whole, so the cursor holds nothing between statements.
CURSOR = "tally_cursor"


def run(prepared: Prepared, connection: Connection, params: Mapping[str, Any] | None) -> Rows:
    """Runs on the unit of work's own connection, inside its transaction; driver errors come back as
    SQLAlchemy's, as the rest of storage raises them, and a connection the server dropped is thrown away."""
    dialect = connection.dialect
    compiled = prepared.compiled(dialect)
    arguments = compiled.arguments(params or {})
    pooled = connection.connection
    dbapi_connection = pooled.dbapi_connection
    cursor = pooled.info.get(CURSOR)
    if cursor is None or cursor.connection is not dbapi_connection:
        cursor = pooled.info[CURSOR] = dbapi_connection.cursor()
    try:
        cursor.execute(compiled.sql, arguments)
        return Rows(compiled.rows(cursor), cursor.rowcount)
    except dialect.loaded_dbapi.Error as exc:
        pooled.info.pop(CURSOR, None)  # the next statement starts from a fresh cursor
        dropped = dialect.is_disconnect(exc, dbapi_connection, cursor)
        if dropped:  # as SQLAlchemy does: the server went away, so every connection of the pool made before did too
            connection.engine.pool._invalidate(connection.connection, exc, _checkin=False)
            connection.invalidate(exc)
        error = DBAPIError.instance(
            compiled.sql, arguments, exc, dialect.loaded_dbapi.Error, dialect=dialect, connection_invalidated=dropped
        )
        raise error from exc


class Rows:
    """The part of SQLAlchemy's Result the repositories use."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def all(self) -> list[Any]:
        return list(self._rows)

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalar_one(self) -> Any:
        if not self._rows:
            raise NoResultFound("No row was found when one was required")
        if len(self._rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when exactly one was required")
        return self._rows[0][0]
