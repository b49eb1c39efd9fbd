"""The SQL unit of work: one connection, one transaction, committed only on request."""

from __future__ import annotations

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.pool import StaticPool

from storage import ports
from storage.area_repository import SqlAreas
from storage.business_case_repository import SqlBusinessCase
from storage.db import Db
from storage.delivery_repository import SqlDeliveries
from storage.digest_repository import SqlDigestFacts
from storage.engine import failing, interrupted, reading, waits, without_waiting, working
from storage.export_repository import SqlExportFacts
from storage.forum_repository import SqlForums
from storage.idea_repository import SqlDemand, SqlIdeas, SqlReviewReminders
from storage.kept import KeptConnection
from storage.open_problems import OpenProblemsCache
from storage.platform_repository import SqlConversations, SqlSlackInstallations
from storage.repository import SqlAudit, SqlOccurrences, SqlProblems, SqlWorkspaces
from storage.secrets import TokenCipher
from storage.writers import Writers

FORGETS_ON_ROLLBACK = frozenset({"postgresql"})  # dialects whose driver drops its prepared statements at a ROLLBACK


class SqlUnitOfWork(ports.UnitOfWork):
    """`write=False` for a unit of work that only reads: on SQLite its transaction begins deferred,
    so it never takes, nor waits for, the write lock (see storage.engine). Given an engine from
    storage.engine.without_waiting, it begins at once or not at all: it raises ports.Busy where it would wait
    for another writer."""

    def __init__(
        self,
        engine: Engine,
        write: bool = True,
        cipher: TokenCipher | None = None,
        writers: Writers | None = None,
        open_problems: OpenProblemsCache | None = None,
        kept: KeptConnection | None = None,
    ) -> None:
        self.engine = engine
        self.kept = kept  # its connection, when it's free, instead of the pool's (storage.kept)
        self._borrowed = False
        self.write = write
        self.cipher = cipher
        self.writers = writers if write else None
        self.wait = waits(engine)
        self.open_problems = open_problems
        # psycopg forgets every statement it prepared on a connection at a ROLLBACK (and sends DEALLOCATE ALL), so on
        # PostgreSQL a reader that ended with one would cost its connection a round trip and its prepared statements
        # (the next runs of each are parsed and planned afresh). Its transaction is READ ONLY (storage.engine.reading):
        # it ends with COMMIT, which can keep nothing.
        self.ends_with_commit = not write and engine.dialect.name in FORGETS_ON_ROLLBACK
        self.session: Db | None = None

    def __enter__(self) -> SqlUnitOfWork:
        if self.writers is not None and not self.writers.acquire(blocking=self.wait):
            raise ports.Busy("another unit of work of this process is writing", until_free=self.writers.until_free)
        bind = self.engine if self.write else reading(self.engine)  # the factory's is reading already: no cost
        try:
            connection = self._connect(bind)
            try:
                connection.begin()  # SQLite: BEGIN IMMEDIATE for a writer, a deferred BEGIN for a reader
            except BaseException:
                self._let_connection_go(connection, usable=False)
                raise
        except OperationalError as exc:
            self._let_writers_go()
            if not self.wait and "locked" in str(exc.orig):
                raise ports.Busy("another process is writing") from exc
            failing(self.engine)
            raise ports.Unavailable(_why(exc)) from exc
        except InterfaceError as exc:
            self._let_writers_go()
            failing(self.engine)
            raise ports.Unavailable(_why(exc)) from exc
        except BaseException:
            self._let_writers_go()
            raise
        self.session = Db(connection)
        self.workspaces = SqlWorkspaces(self.session)
        self.areas = SqlAreas(self.session)
        self.problems = SqlProblems(self.session, self.open_problems)
        self.occurrences = SqlOccurrences(self.session)
        self.ideas = SqlIdeas(self.session)
        self.reviews = SqlReviewReminders(self.session)
        self.demand = SqlDemand(self.session)
        self.business_case = SqlBusinessCase(self.session)
        self.forums = SqlForums(self.session)
        self.digests = SqlDigestFacts(self.session)
        self.deliveries = SqlDeliveries(self.session)
        self.exports = SqlExportFacts(self.session)
        self.audit = SqlAudit(self.session)
        self.conversations = SqlConversations(self.session)
        self.slack_installations = SqlSlackInstallations(self.session, self.cipher)
        return self

    def __exit__(self, _type: object, error: BaseException | None, _tb: object) -> None:
        assert self.session is not None
        usable = False
        try:
            if error is None and self.ends_with_commit:
                self.session.commit()
            self.rollback()
            usable = not _database_gone(error)
        except DBAPIError:
            if error is None:
                raise
        finally:
            session, self.session = self.session, None
            try:
                session.close(keep=True)  # its ORM session: the connection goes back to where it came from, below
            finally:
                self._let_connection_go(session.connection, usable)
                self._let_writers_go()
        if not self.wait and interrupted(error):  # longer than the event loop should carry: nothing was kept
            raise ports.NotQuick("ran past the event loop's budget") from error
        if _database_gone(error):
            failing(self.engine)
            raise ports.Unavailable(_why(error)) from error

    def _connect(self, bind: Engine) -> Connection:
        connection = self.kept.lend() if self.kept is not None else None
        self._borrowed = connection is not None
        return connection if connection is not None else bind.connect()

    def _let_connection_go(self, connection: Connection, usable: bool) -> None:
        """A borrowed connection goes back to its keeper, the pool's back to the pool."""
        if self._borrowed:
            self._borrowed = False
            assert self.kept is not None
            self.kept.give_back(usable)
        else:
            connection.close()

    def _let_writers_go(self) -> None:
        if self.writers is not None:
            self.writers.release()

    def commit(self) -> None:
        assert self.session is not None
        self.session.commit()
        working(self.engine)
        self._events_committed()

    def rollback(self) -> None:
        if self.session is not None:
            self.session.rollback()
        self._events_rolled_back()


def _database_gone(error: BaseException | None) -> bool:
    """The database itself failed (unreachable, dropped, or locked past the wait), not what was asked of it."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def _why(error: BaseException) -> str:
    """The driver's first line: no SQL, no parameters (they can hold what someone typed)."""
    orig = getattr(error, "orig", None) or error
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0][:200]


class SqlUnitOfWorkFactory:
    """Makes a fresh unit of work per command, as the message bus asks: `factory()` for one that may
    write, `factory(write=False)` for one that only reads."""

    def __init__(self, engine: Engine, cipher: TokenCipher | None = None) -> None:
        self.engine = engine
        self.cipher = cipher
        self._reading = reading(engine)
        # SQLite has one writer at a time, and a writer that finds the lock taken sleeps and polls (backing
        # off to 100 ms), so under load newcomers keep winning and some wait seconds. Writers of this
        # process queue here instead, each handed the lock the moment the last lets it go (the event loop
        # is woken for it: storage.writers); SQLite's own lock still arbitrates between processes.
        self._writers = Writers() if engine.dialect.name == "sqlite" else None
        self._open_problems = OpenProblemsCache()  # the duplicate check's candidates, for every unit of work
        # A quick unit of work may run on the event loop: SQLite answers in microseconds from this process,
        # and one that would wait for the lock says so at once (ports.Busy) and goes to a thread instead. Not an
        # in-memory database, whose one connection the threads share.
        self.runs_on_loop = engine.dialect.name == "sqlite" and not isinstance(engine.pool, StaticPool)

        self._engines = {  # (write, wait): each made once, sharing the pool (an engine's options cost to make)
            (True, True): engine,
            (False, True): self._reading,
            (True, False): without_waiting(engine),
            (False, False): without_waiting(self._reading),
        }
        # The event loop's units of work run one at a time: each kind keeps its connection (storage.kept).
        self._kept = (
            {write: KeptConnection(self._engines[(write, False)]) for write in (True, False)}
            if self.runs_on_loop
            else {}
        )

    def __call__(self, write: bool = True, wait: bool = True) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self._engines[(write, wait)],
            write=write,
            cipher=self.cipher,
            writers=self._writers,
            open_problems=self._open_problems,
            kept=None if wait else self._kept.get(write),
        )

    def close(self) -> None:
        """At shutdown, before the engine is disposed of: the kept connections go back to the pool."""
        for kept in self._kept.values():
            kept.close()
