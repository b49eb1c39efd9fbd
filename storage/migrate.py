"""Alembic, driven from code so `tally db upgrade` and `tally serve` need no alembic.ini.

Most starts find the database already at the head revision. That is told from alembic_version and the revision
files' `revision = ...` lines, read as text, so such a start neither imports alembic (with mako and pygments,
about 0.06 s) nor runs its environment.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from storage.engine import reading

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"

# `revision = "0009"`, `down_revision: str | None = '0008'`: the name, then what follows the "=".
_REVISION_LINE = re.compile(r"^(revision|down_revision)\b[^=\n]*=[ \t]*(.*?)[ \t]*$", re.MULTILINE)
_QUOTED = re.compile(r"""^(['"])([^'"]+)\1$""")


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str | None:
    """The head of the revision files, read as text; None when alembic has to decide (several heads, a merge, or
    a line this does not read: a comment after the value, a tuple)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        lines = _REVISION_LINE.findall(path.read_text(encoding="utf-8"))
        values = dict(lines)
        if len(lines) != 2 or len(values) != 2:
            return None
        revision = _QUOTED.match(values["revision"])
        parent = _QUOTED.match(values["down_revision"])
        if revision is None or (parent is None and values["down_revision"] != "None"):
            return None
        revisions.add(revision[2])
        if parent is not None:
            parents.add(parent[2])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def current_revisions(engine: Engine) -> list[str]:
    """What alembic_version holds (nothing on a fresh database); read without taking SQLite's write lock."""
    with reading(engine).connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return []
        return [row[0] for row in conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))]


def at_head(engine: Engine) -> bool:
    head = head_revision()
    return head is not None and current_revisions(engine) == [head]


# Any constant will do: it names the lock every replica takes before migrating.
MIGRATION_LOCK_KEY = 7_361_412_001


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Replicas starting together on PostgreSQL take turns: the first migrates, the rest find it done."""
    if revision == "head" and at_head(engine):
        return
    from alembic import command

    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine), revision)
        return
    with engine.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        try:
            command.upgrade(alembic_config(engine), revision)
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)
