"""The SQL unit of work: one session, one transaction, committed only on request."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage import ports
from storage.engine import reading
from storage.repository import (
    SqlAreas,
    SqlAudit,
    SqlConversations,
    SqlOccurrences,
    SqlProblems,
    SqlSlackInstallations,
    SqlWorkspaces,
)
from storage.secrets import TokenCipher


class SqlUnitOfWork(ports.UnitOfWork):
    """`write=False` for a unit of work that only reads: on SQLite its transaction begins deferred,
    so it never takes, nor waits for, the write lock (see storage.engine)."""

    def __init__(self, engine: Engine, write: bool = True, cipher: TokenCipher | None = None) -> None:
        self.engine = engine
        self.write = write
        self.cipher = cipher
        self.session: Session | None = None

    def __enter__(self) -> SqlUnitOfWork:
        bind = self.engine if self.write else reading(self.engine)
        self.session = Session(bind, expire_on_commit=False)
        self.workspaces = SqlWorkspaces(self.session)
        self.areas = SqlAreas(self.session)
        self.problems = SqlProblems(self.session)
        self.occurrences = SqlOccurrences(self.session)
        self.audit = SqlAudit(self.session)
        self.conversations = SqlConversations(self.session)
        self.slack_installations = SqlSlackInstallations(self.session, self.cipher)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.session is not None
        try:
            self.rollback()
        finally:
            self.session.close()
            self.session = None

    def commit(self) -> None:
        assert self.session is not None
        self.session.commit()
        self._events_committed()

    def rollback(self) -> None:
        if self.session is not None:
            self.session.rollback()
        self._events_rolled_back()


class SqlUnitOfWorkFactory:
    """Makes a fresh unit of work per command, as the message bus asks: `factory()` for one that may
    write, `factory(write=False)` for one that only reads."""

    def __init__(self, engine: Engine, cipher: TokenCipher | None = None) -> None:
        self.engine = engine
        self.cipher = cipher
        self._reading = reading(engine)

    def __call__(self, write: bool = True) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine if write else self._reading, write=write, cipher=self.cipher)
