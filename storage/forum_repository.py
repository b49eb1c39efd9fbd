"""The SQL forum repository: a workspace's '3 I' forums, where their digests go and when, and which have one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import forum_ports as ports
from storage import statements as sql
from storage.model import Forum, Workspace
from storage.repository import _workspace
from storage.tables import ForumRow, WorkspaceRow


def _forum(row: ForumRow) -> Forum:
    return Forum(
        workspace_id=row.workspace_id,
        slug=row.slug,
        name=row.name,
        destination=row.destination,
        area_ids=tuple(int(a) for a in row.area_ids),
        meets=row.meets,
        digest_day=row.digest_day,
        digest_time=row.digest_time,
        id=row.id,
    )


def _copy_forum(forum: Forum, row: ForumRow) -> None:
    row.name = forum.name
    row.destination = forum.destination
    row.area_ids = [int(a) for a in forum.area_ids]
    row.meets = forum.meets
    row.digest_day = forum.digest_day
    row.digest_time = forum.digest_time


class SqlForums(ports.ForumRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def _query(self, workspace_id: int):  # type: ignore[no-untyped-def]
        return select(ForumRow).where(ForumRow.workspace_id == workspace_id).order_by(ForumRow.id)

    def default(self, workspace_id: int) -> Forum:
        if first := self.session.scalars(self._query(workspace_id).limit(1)).first():
            return _forum(first)
        # Its first use: a concurrent request may create it too, and then this inserts nothing.
        self.session.flush()
        blank = Forum(workspace_id, ports.DEFAULT_FORUM_SLUG, ports.DEFAULT_FORUM_NAME)
        self.session.execute(
            sql.default_forum(self.session.get_bind().dialect.name),
            {
                "ws": workspace_id,
                "slug": blank.slug,
                "name": blank.name,
                "meets": blank.meets,
                "digest_day": blank.digest_day,
                "digest_time": blank.digest_time,
            },
        )
        created = self.session.scalars(self._query(workspace_id).limit(1)).first()
        assert created is not None, "the insert stored it, or found the one that made it do nothing"
        return _forum(created)

    def list(self, workspace_id: int) -> list[Forum]:
        return [_forum(r) for r in self.session.scalars(self._query(workspace_id))]

    def get(self, workspace_id: int, slug: str) -> Forum | None:
        row = self.session.scalars(self._query(workspace_id).where(ForumRow.slug == slug)).first()
        return _forum(row) if row else None

    def scheduled(self) -> list[tuple[Workspace, Forum]]:
        query = (
            select(WorkspaceRow, ForumRow)
            .join(ForumRow, ForumRow.workspace_id == WorkspaceRow.id)
            .where(ForumRow.destination.is_not(None))
            .order_by(ForumRow.id)
        )
        return [(_workspace(w), _forum(f)) for w, f in self.session.execute(query)]

    def add(self, forum: Forum) -> Forum:
        row = ForumRow(workspace_id=forum.workspace_id, slug=forum.slug, name=forum.name)
        _copy_forum(forum, row)
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError as exc:
            raise ValueError(f"workspace {forum.workspace_id} already has a forum {forum.slug!r}") from exc
        return _forum(row)

    def save(self, forum: Forum) -> None:
        row = self.session.get(ForumRow, forum.id)
        if row is None or row.workspace_id != forum.workspace_id:
            raise LookupError(f"forum {forum.id} is not in workspace {forum.workspace_id}")
        _copy_forum(forum, row)
        self.session.flush()
