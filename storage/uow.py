"""The SQL unit of work: one session, one transaction, committed only on request."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage import ports
from storage.repository import SqlAreas, SqlAudit, SqlOccurrences, SqlProblems, SqlWorkspaces


class SqlUnitOfWork(ports.UnitOfWork):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session: Session | None = None

    def __enter__(self) -> SqlUnitOfWork:
        self.session = Session(self.engine, expire_on_commit=False)
        self.workspaces = SqlWorkspaces(self.session)
        self.areas = SqlAreas(self.session)
        self.problems = SqlProblems(self.session)
        self.occurrences = SqlOccurrences(self.session)
        self.audit = SqlAudit(self.session)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.session is not None
        self.session.rollback()
        self.session.close()
        self.session = None

    def commit(self) -> None:
        assert self.session is not None
        self.session.commit()

    def rollback(self) -> None:
        if self.session is not None:
            self.session.rollback()


class SqlUnitOfWorkFactory:
    """Makes a fresh unit of work per command, as the message bus asks."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)
