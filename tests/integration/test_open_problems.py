"""The duplicate check's kept candidates (storage/open_problems.py) against what the database holds.

Two unit-of-work factories on one database stand for two replicas: each keeps its own copy, and whatever the
other changes, a read must give exactly what a fresh read from the database gives."""

from __future__ import annotations

import random
from dataclasses import replace

from storage.model import Platform, Problem, Status, WorkspaceDefaults
from storage.open_problems import OpenProblemsCache
from storage.repository import SqlProblems
from storage.uow import SqlUnitOfWorkFactory


def _setup(units: SqlUnitOfWorkFactory) -> tuple[int, list[int]]:
    with units() as uow:
        ws = uow.workspaces.get_or_create(Platform.CONSOLE, "here", WorkspaceDefaults()).id
        areas = [uow.areas.add(ws, name, name).id for name in ("front", "phones")]
        uow.commit()
    return ws, areas


def _add(units: SqlUnitOfWorkFactory, ws: int, area: int | None, text: str) -> None:
    with units() as uow:
        number = uow.workspaces.next_problem_number(ws)
        uow.problems.add(Problem(ws, number, text, text, area_id=area))
        uow.commit()


def _change(units: SqlUnitOfWorkFactory, ws: int, number: int, **fields: object) -> None:
    with units() as uow:
        problem = uow.problems.get(ws, number)
        assert problem is not None
        uow.problems.save(replace(problem, **fields))
        uow.commit()


def _read(units: SqlUnitOfWorkFactory, ws: int, area: int | None, limit: int = 500):  # type: ignore[no-untyped-def]
    with units(write=False) as uow:
        return uow.problems.open_in_area(ws, area, limit)


def _fresh(units: SqlUnitOfWorkFactory, ws: int, area: int | None, limit: int = 500) -> tuple[Problem, ...]:
    """What the database holds, read without any kept copy."""
    with units(write=False) as uow:
        return SqlProblems(uow.session, OpenProblemsCache()).open_in_area(ws, area, limit).problems


def test_a_kept_window_is_used_while_the_database_agrees_and_follows_every_change(engine):
    here, there = SqlUnitOfWorkFactory(engine), SqlUnitOfWorkFactory(engine)
    ws, (front, phones) = _setup(here)
    for text in ("printer jammed", "phones down", "no letters"):
        _add(here, ws, front, text)
    first = _read(here, ws, front)
    assert [p.number for p in first.problems] == [3, 2, 1]
    assert _read(here, ws, front) is first  # nothing changed: the same window, not read again

    _add(there, ws, front, "scanner offline")  # another replica reports one
    assert [p.number for p in _read(here, ws, front).problems] == [4, 3, 2, 1]
    _change(there, ws, 2, status=Status.FIXED)
    assert [p.number for p in _read(here, ws, front).problems] == [4, 3, 1]
    _change(there, ws, 3, status=Status.INVESTIGATING)
    assert _read(here, ws, front).problems == _fresh(here, ws, front)
    assert _read(here, ws, front).problems[1].status is Status.INVESTIGATING
    _change(there, ws, 1, area_id=phones)
    assert [p.number for p in _read(here, ws, front).problems] == [4, 3]
    assert [p.number for p in _read(here, ws, phones).problems] == [1]
    _change(there, ws, 2, status=Status.OPEN)  # reopened
    assert [p.number for p in _read(here, ws, front).problems] == [4, 3, 2]
    _add(there, ws, None, "no area")
    assert [p.title for p in _read(here, ws, None).problems] == ["no area"]


def test_any_mix_of_changes_by_two_replicas_reads_as_the_database_holds_it(engine):
    here, there = SqlUnitOfWorkFactory(engine), SqlUnitOfWorkFactory(engine)
    ws, areas = _setup(here)
    places = [*areas, None]
    rng = random.Random(5)
    numbers, grown = 0, 0
    kept: dict = {}  # each reader's last window of each area and size
    for step in range(120):
        units = rng.choice((here, there))
        if numbers == 0 or rng.random() < 0.5:
            _add(units, ws, rng.choice(places), f"problem {step}")
            numbers += 1
        else:
            number = rng.randint(1, numbers)
            if rng.random() < 0.7:
                _change(units, ws, number, status=rng.choice(list(Status)))
            else:
                _change(units, ws, number, area_id=rng.choice(places))
        for reader in (here, there):
            place, limit = rng.choice(places), rng.choice((3, 500))
            before = kept.get((id(reader), place, limit))
            window = _read(reader, ws, place, limit)
            assert window.problems == _fresh(reader, ws, place, limit), step
            if window.grew_from is not None and window is not before:  # what a reader at the last version applies
                grown += 1
                assert before is not None and window.grew_from == before.version, step
                assert (
                    window.problems == tuple(sorted((*window.added, *before.problems), key=lambda p: -p.number))[:limit]
                )
            kept[(id(reader), place, limit)] = window
    assert grown > 10  # the grown path was taken, not only fresh windows
