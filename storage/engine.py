"""Engine set-up: SQLite in WAL mode with foreign keys on, PostgreSQL through psycopg 3.

On SQLite a transaction that will write starts with BEGIN IMMEDIATE (it takes the write lock up
front, so concurrent writers queue on busy_timeout instead of failing half-way); one that only reads
starts with a plain, deferred BEGIN, which in WAL mode reads a snapshot and never waits for a writer.
Which one a connection gets is the execution option WRITE_OPTION, read by the "begin" listener:
`reading(engine)` gives an engine (sharing the pool and listeners) whose connections only read.
"""

from __future__ import annotations

import sqlite3
import time
from weakref import WeakKeyDictionary

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.pool import Pool, StaticPool
from sqlmodel import create_engine

DEFAULT_DATABASE_URL = "sqlite:///./tally.db"

# Execution option: False on a connection whose transactions only read (no write lock on SQLite).
WRITE_OPTION = "tally_write"
# Execution option: False on a connection whose transaction must begin at once or not at all (SQLite: a writer
# that finds the lock taken fails straight away with "database is locked" instead of waiting).
WAIT_OPTION = "tally_wait"
BUSY_TIMEOUT_MS = 30_000  # the default; a SQLite URL's own `?timeout=SECONDS` (the driver's parameter) sets it
# /healthz on SQLite, once writes have been failing, asks whether one could begin: it waits at most this long.
HEALTH_WAIT_MS = 2_000
SQLITE_CACHE_KIB = 512


def normalise_url(url: str) -> str:
    """Let operators write postgres:// or postgresql:// and still get psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str = DEFAULT_DATABASE_URL, echo: bool = False, busy_ms: int = BUSY_TIMEOUT_MS) -> Engine:
    """`busy_ms`: how long a SQLite writer waits for another process's lock, unless the URL's `timeout` says."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        memory = parsed.database in (None, "", ":memory:")
        busy_ms = busy_timeout_ms(parsed.query.get("timeout"), busy_ms)
        engine = create_engine(
            parsed.difference_update_query(["timeout"]),
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": busy_ms / 1000},
            poolclass=StaticPool if memory else None,
        )
        event.listen(engine, "connect", _sqlite_pragmas(busy_ms))
        event.listen(engine, "begin", _sqlite_begin(busy_ms))
        event.listen(engine, "commit", _unbudgeted)
        event.listen(engine, "rollback", _unbudgeted)
        return engine
    engine = create_engine(url, echo=echo, pool_size=10, max_overflow=10, connect_args=POSTGRES_CONNECT_ARGS)
    event.listen(engine, "connect", _custom_plans)
    event.listen(engine, "checkout", _ping_if_idle(engine.dialect))
    event.listen(engine, "checkin", _stamp_use)
    return engine


def _custom_plans(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """psycopg prepares a statement on the server at its fifth run, and PostgreSQL then plans it once for any values
    (a generic plan) from its sixth. For the duplicate check's and the tallies' queries those plans fall behind as the
    tables grow: the slash mix at 12,000 commands took 6.6 ms a command with them, 3.5 ms planned for each run's own
    values (bench/pg_plan_cache.py). Set once per connection; a server too old for the setting (before 12) keeps its own."""
    try:
        dbapi_connection.execute("SET plan_cache_mode = force_custom_plan")
        dbapi_connection.commit()  # a SET rolled back is undone
    except Exception:  # noqa: BLE001 - the setting is an optimisation, never a reason to refuse a connection
        dbapi_connection.rollback()


# A pooled connection idle longer than this is pinged before use. pool_pre_ping pings on every checkout: a round
# trip per request. One used this recently is alive, or, if the server went away in between, fails where it is
# used, as a disconnect: SQLAlchemy (and storage.prepared) throw it away, and the platform's retry gets a new one.
IDLE_PING_SECONDS = 2.0


def _ping_if_idle(dialect: Dialect):  # type: ignore[no-untyped-def]
    def checkout(dbapi_connection, record, _proxy) -> None:  # type: ignore[no-untyped-def]
        if time.monotonic() - record.info.get("used_at", 0.0) <= IDLE_PING_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
            # The ping's SELECT began a transaction, which the unit of work must not inherit. COMMIT, not ROLLBACK:
            # psycopg forgets the connection's prepared statements at a ROLLBACK (see storage.uow).
            dbapi_connection.commit()
        except dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("a pooled connection did not answer its ping") from exc  # the pool retries

    return checkout


def _stamp_use(_dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
    record.info["used_at"] = time.monotonic()


# TCP keepalives, and a bound on unacknowledged sends: a connection to a server (or from a replica) that vanished
# is found dead in under a minute, not the kernel's two hours. The scheduler's lead rides on one.
POSTGRES_CONNECT_ARGS = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,
    "connect_timeout": 10,
}


def busy_timeout_ms(seconds: str | tuple[str, ...] | None, default: int = BUSY_TIMEOUT_MS) -> int:
    """How long a SQLite writer waits for another process's write lock: the URL's `timeout`, else `default`."""
    if isinstance(seconds, tuple):
        seconds = seconds[-1] if seconds else None
    if not seconds:
        return default
    try:
        return max(0, round(float(seconds) * 1000))
    except ValueError as exc:
        raise ValueError(f"a SQLite URL's timeout is in seconds, like ?timeout=5, not {seconds!r}") from exc


def _sqlite_pragmas(busy_ms: int):  # type: ignore[no-untyped-def]
    def connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # pysqlite's own transaction handling breaks SAVEPOINTs: let SQLAlchemy emit BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Each pooled connection keeps its own page cache (2 MB by default) and a server holds several: the reads
        # that matter are indexed, and the operating system caches the file for all of them, so a small one each
        # keeps a server's memory flat as the database grows.
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()

    return connect


def _sqlite_begin(busy_ms: int):  # type: ignore[no-untyped-def]
    def begin(conn) -> None:  # type: ignore[no-untyped-def]
        """IMMEDIATE takes the write lock up front, so concurrent writers wait instead of failing;
        a reading connection begins deferred and never takes it. Run on the driver's connection: SQLAlchemy's
        execution machinery cost more than the BEGIN."""
        statement = "BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION, True) else "BEGIN"
        raw = conn.connection.dbapi_connection
        try:
            if waits(conn):
                raw.set_progress_handler(None, 0)
                if not _lately_failing(conn.engine, busy_ms):
                    raw.execute(statement)
                    return
            else:
                raw.set_progress_handler(_within(STEP_BUDGET), STEPS_PER_CHECK)
            _begin_within(raw, statement, 0, busy_ms)
        except conn.dialect.loaded_dbapi.Error as exc:
            raw.set_progress_handler(None, 0)
            error = conn.dialect.loaded_dbapi.Error
            raise DBAPIError.instance(statement, None, exc, error, dialect=conn.dialect) from exc

    return begin


# A transaction that must not wait (on the event loop) must not run long either: SQLite interrupts it after this many
# of its virtual machine's steps (3-5 ms on the project's machine), and the unit of work says NotQuick, so the command
# runs again, whole, on a thread. A list whose query walks far back, or tallies a long history, can't hold the loop.
# Measured: a capture takes 1,000-3,000 steps, or 11,000 in an area with 4,000 open problems (70,000 when it reads
# its duplicate check's window of 500 afresh); a list of 25 with their tallies 3,000.
STEP_BUDGET = 100_000
STEPS_PER_CHECK = 1_000


def _within(steps: int):  # type: ignore[no-untyped-def]
    """A progress handler that lets `steps` go by, then interrupts."""
    checks = [steps // STEPS_PER_CHECK]

    def check() -> bool:
        checks[0] -= 1
        return checks[0] < 0

    return check


def _unbudgeted(conn) -> None:  # type: ignore[no-untyped-def]
    """At COMMIT (never interrupted, whatever the statements used of the budget) and ROLLBACK: the connection goes
    back to its pool with no budget left behind for whatever uses it next."""
    if not waits(conn):
        conn.connection.dbapi_connection.set_progress_handler(None, 0)


def interrupted(error: BaseException | None) -> bool:
    """A statement SQLite stopped because its transaction ran past its budget (see STEP_BUDGET)."""
    orig = getattr(error, "orig", None)
    return isinstance(orig, sqlite3.OperationalError) and str(orig) == "interrupted"


def _begin_within(raw, statement: str, wait_ms: int, busy_ms: int) -> None:  # type: ignore[no-untyped-def]
    """BEGIN, waiting at most `wait_ms` for the lock, then the connection's usual wait again."""
    raw.execute(f"PRAGMA busy_timeout={wait_ms}")
    try:
        raw.execute(statement)
    finally:
        raw.execute(f"PRAGMA busy_timeout={busy_ms}")


def reading(engine: Engine) -> Engine:
    """The same engine (pool, listeners) for transactions that only read.

    On SQLite they begin deferred, so they neither take nor wait for the write lock. One that
    writes after all asks for the lock at its first write, waits for it there, and fails with
    "database is locked" if another writer committed since it began reading: anything that may
    write must not use it. On PostgreSQL they begin READ ONLY (psycopg says so in its BEGIN: no round trip),
    so a reader can end with COMMIT, which keeps nothing (see storage.uow).
    """
    if engine.get_execution_options().get(WRITE_OPTION, True) is False:
        return engine
    options: dict[str, bool] = {WRITE_OPTION: False}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    return engine.execution_options(**options)


def without_waiting(engine: Engine) -> Engine:
    """The same engine, for a unit of work that begins at once or not at all (see WAIT_OPTION)."""
    return engine.execution_options(**{WAIT_OPTION: False})


def waits(engine: Engine | Connection) -> bool:
    """False for an engine from without_waiting, and its connections."""
    return bool(engine.get_execution_options().get(WAIT_OPTION, True))


# Engines (by their pool, which reading() and without_waiting() share) whose units of work have been failing for
# the database: gone, or, on SQLite, held by another process for longer than the busy timeout.
_failing: WeakKeyDictionary[Pool, float] = WeakKeyDictionary()


def _lately_failing(engine: Engine, busy_ms: int) -> bool:
    """A writer failed for the lock within the last busy timeout: the writers queued behind it (this process's
    take turns) fail at once rather than each waiting the whole timeout; the first after it waits again."""
    since = _failing.get(engine.pool) if _failing else None
    return since is not None and time.monotonic() - since < busy_ms / 1000


def failing(engine: Engine) -> None:
    """A unit of work failed for the database itself: /healthz checks more closely until one works again."""
    _failing[engine.pool] = time.monotonic()


def working(engine: Engine) -> None:
    """A unit of work committed: whatever failed before works again (a dictionary lookup while nothing failed)."""
    if _failing:
        _failing.pop(engine.pool, None)


def ping(engine: Engine) -> bool:
    """True when the database answers a trivial query; never takes (or waits for) the write lock while all is well.
    Once units of work have been failing, on SQLite (whose database can't vanish under an open file, but can be held
    by another process: a long import, someone's `sqlite3` shell mid-transaction) it is true only when a write could
    begin within HEALTH_WAIT_MS; it takes the write lock for a moment and lets it go at once."""
    try:
        with reading(engine).connect() as conn:
            conn.execute(text("SELECT 1"))
            conn.commit()  # not the pool's ROLLBACK: a load balancer's every check would cost prepared statements
        if engine.pool in _failing:
            if engine.dialect.name == "sqlite":
                _sqlite_could_write(engine)
            working(engine)
        return True
    except Exception:  # noqa: BLE001 - any failure means 'not healthy'
        return False


def _sqlite_could_write(engine: Engine) -> None:
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        busy_ms = int(raw.execute("PRAGMA busy_timeout").fetchone()[0])
        _begin_within(raw, "BEGIN IMMEDIATE", min(busy_ms, HEALTH_WAIT_MS), busy_ms)
        raw.execute("ROLLBACK")
