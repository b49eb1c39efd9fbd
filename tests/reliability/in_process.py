"""The core as `tally serve` builds it (bot.core.Core with the real SqlUnitOfWorkFactory), run in process for the
fuzz tests, and a way to tell that an error reply stored nothing."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from adapters.compose import make_core
from adapters.config import Settings
from bot import inputs
from bot.commands import Actor, WorkspaceRef
from bot.core import Core, Outcome
from bot.replies import ReplyKind
from storage.model import Platform
from tests.conftest import FIXED_NOW
from tests.databases import migrated_engine

# SQLite in the suite; TALLY_FUZZ_DATABASE=postgres runs the same examples on PostgreSQL (about twice as long), where
# column lengths are enforced. There only added or removed rows show (SQLite's data_version shows any commit).
DATABASE = os.environ.get("TALLY_FUZZ_DATABASE", "sqlite")
WS = WorkspaceRef(Platform.SLACK, "T0FUZZ")
OWNER = Actor("U0OWNER", is_admin=True)  # an admin, so owner-only commands run past the refusal into their parsers
STAFF = Actor("U0STAFF")

SEED = (  # so that ids the fuzz names exist: problems #1 and #2, ideas I1 and I2, an area and a forum
    ("problem", "Printer jammed in reception #front-desk x2 10m"),
    ("problem", "Parking permits portal shows a blank page 15m"),
    ("idea", "Put a second printer in reception for 1"),
    ("idea", "Fix the permits portal's session timeout for 2"),
    ("tally", "forum new Benefits #front-desk"),
)


@dataclass
class Running:
    core: Core
    engine: object
    loop: asyncio.AbstractEventLoop

    def handle(self, done: inputs.Input) -> Outcome:
        """One input through the core, and whatever it sends after answering."""
        outcome = self.loop.run_until_complete(self.core.handle(done))
        self.loop.run_until_complete(self.core.background.drain())
        return outcome


@contextmanager
def running_core(folder: Path) -> Iterator[Running]:
    """A fresh database (TALLY_FUZZ_DATABASE), migrated, with the SEED in it."""
    with migrated_engine(DATABASE, folder) as engine:
        core = make_core(Settings(database_url=str(engine.url)), engine, clock=lambda: FIXED_NOW)
        loop = asyncio.new_event_loop()
        running = Running(core, engine, loop)
        try:
            for command, line in SEED:
                outcome = running.handle(typed(line, command, OWNER))
                assert outcome.replies and outcome.replies[-1].kind is not ReplyKind.ERROR, (line, outcome.replies)
            yield running
        finally:
            loop.run_until_complete(core.background.drain())
            core.close()
            loop.close()


def typed(text: str, command: str, actor: Actor = OWNER) -> inputs.Typed:
    return inputs.Typed(WS, actor, None, text=text, command=command, conversation="C0FUZZ")


class Snapshot:
    """Whether anything was committed since `before`: SQLite's data_version, read on a connection of its own, moves
    whenever another connection commits a change. Where it moved, the rows are counted: the one thing an error may
    leave behind is the audit row of a refused owner-only action (audited by design: issue 11, item 10)."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.engine = engine
        self.watcher = engine.raw_connection()

    def version(self) -> int | None:
        """None on PostgreSQL, which has nothing like it: there the counts alone are compared."""
        if self.engine.dialect.name != "sqlite":
            return None
        cursor = self.watcher.cursor()
        try:
            return int(cursor.execute("pragma data_version").fetchone()[0])
        finally:
            cursor.close()

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            counts = {t: int(conn.execute(text(f"select count(*) from {t}")).scalar() or 0) for t in TABLES}
            counts["audit_event not refused"] = int(
                conn.execute(text("select count(*) from audit_event where action <> 'refused'")).scalar() or 0
            )
        return counts

    def before(self) -> tuple[int | None, dict[str, int]]:
        return self.version(), self.counts()

    def changed(self, before: tuple[int | None, dict[str, int]]) -> list[str]:
        """What an error reply changed, refusals' audit rows left out: the tables whose rows were added or removed,
        or 'rows changed in place' when something was committed that no count shows."""
        version, counts = before
        if version is not None and self.version() == version:
            return []
        after = self.counts()
        changed = [t for t in after if after[t] != counts[t] and t != "audit_event"]
        refused = after["audit_event"] > counts["audit_event"]
        return changed or ([] if refused or version is None else ["rows changed in place"])

    def close(self) -> None:
        self.watcher.close()


TABLES = (
    "workspace", "process_area", "problem", "occurrence", "audit_event", "workspace_owner", "forum", "idea",
    "idea_problem", "idea_vote", "idea_evidence", "idea_change", "idea_review_reminder", "demand", "delivery",
    "conversation_ref",
)  # fmt: skip
