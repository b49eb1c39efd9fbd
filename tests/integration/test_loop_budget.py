"""On SQLite a quick command runs on the event loop in a transaction that must neither wait nor run long: SQLite
interrupts it past its budget of steps, nothing of it is kept, and the core runs it again, whole, on a thread."""

from __future__ import annotations

import logging
import threading

import pytest
from sqlalchemy import text

import storage.engine
from bot import commands as c
from bot import inputs
from bot.bus import MessageBus
from bot.core import Core
from bot.replies import ReplyKind
from storage.model import Platform, WorkspaceDefaults
from storage.ports import NotQuick
from storage.secrets import delivery_hasher
from storage.uow import SqlUnitOfWorkFactory
from tests.databases import migrated_engine

LONG = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000000) SELECT count(*) FROM n"
WS = c.WorkspaceRef(Platform.SLACK, "T1")
THINGS = """printer scanner kiosk laptop headset phone queue rota letter boiler window ramp parking permit licence
refund invoice portal password account postcode interpreter wheelchair badge pothole streetlight graffiti library
school transport""".split()


@pytest.fixture
def units(tmp_path):
    with migrated_engine("sqlite", tmp_path) as engine:
        yield SqlUnitOfWorkFactory(engine)


def _count(units: SqlUnitOfWorkFactory, table: str) -> int:
    with units(write=False) as uow:
        return int(uow.session.connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_a_transaction_on_the_loop_that_runs_long_is_interrupted_and_undone(units):
    with pytest.raises(NotQuick), units(wait=False) as uow:
        uow.workspaces.get_or_create(Platform.SLACK, "T1", WorkspaceDefaults())
        uow.session.connection.execute(text(LONG))
        uow.commit()
    assert _count(units, "workspace") == 0  # nothing half-stored
    with pytest.raises(NotQuick), units(write=False, wait=False) as uow:  # a read too
        uow.session.connection.execute(text(LONG))
    for kind in ({}, {"write": False}):  # a unit of work that may wait may take its time, on the same connections
        with units(**kind) as uow:
            assert uow.session.connection.execute(text(LONG)).scalar_one() == 1_000_000


def test_a_commit_is_never_interrupted(units, monkeypatch):
    """However much of the budget the statements used, what they did is committed."""
    monkeypatch.setattr(storage.engine, "STEP_BUDGET", 1_000)
    monkeypatch.setattr(storage.engine, "STEPS_PER_CHECK", 1_000)  # the first check interrupts
    with units(wait=False) as uow:
        uow.workspaces.get_or_create(Platform.SLACK, "T1", WorkspaceDefaults())
        uow.commit()
    assert _count(units, "workspace") == 1


async def test_a_capture_and_a_list_past_the_budget_run_again_on_a_thread_once(units, monkeypatch, caplog, fixed_clock):
    core = Core(MessageBus(units, clock=fixed_clock), delivery_hasher("k"))
    for n, thing in enumerate(THINGS):  # nothing alike, so no "same as?" question
        await core.handle(inputs.Typed(WS, c.Actor("U1"), f"seed{n}", text=thing, command="problem"))
    assert _count(units, "problem") == 30
    monkeypatch.setattr(storage.engine, "STEP_BUDGET", 200)
    monkeypatch.setattr(storage.engine, "STEPS_PER_CHECK", 100)
    caplog.set_level(logging.DEBUG, logger="tally.bus")  # the bus logs each run, on the thread it ran on

    def threads(command: str) -> list[str]:
        """The threads the command last ran on (the seeds ran on the loop, before)."""
        runs = [r.threadName for r in caplog.records if r.getMessage().startswith(f"{command} handled")]
        return runs[-2:]

    (card,) = (
        await core.handle(inputs.Typed(WS, c.Actor("U1"), "d1", text="Cashier counter", command="problem"))
    ).replies
    assert card.kind is ReplyKind.CARD and "#31" in card.text
    (on_loop, on_thread) = threads("ReportProblem")
    assert on_loop == threading.current_thread().name and on_thread.startswith("tally-write")
    assert _count(units, "problem") == 31 and _count(units, "occurrence") == 31  # stored once

    (listed,) = (await core.handle(inputs.Typed(WS, c.Actor("U1"), "d2", text="list", command="problem"))).replies
    assert listed.kind is ReplyKind.LIST and len(listed.lines) == 25 and "#31" in listed.lines[0]
    (on_loop, on_thread) = threads("ListProblems")
    assert on_loop == threading.current_thread().name and on_thread.startswith("tally-read")
    core.close()
