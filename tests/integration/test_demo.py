"""`tally demo`'s sample data on SQLite and PostgreSQL: a full digest, agenda and export at once; loaded once."""

from __future__ import annotations

from datetime import date

from digests.builder import build_digest
from digests.demo import IDEAS, PROBLEMS, WEEKS, load_demo
from digests.export import build_export
from digests.weeks import IsoWeek
from storage.model import Platform, Stage, WorkspaceDefaults
from storage.uow import SqlUnitOfWorkFactory

TODAY = date(2026, 11, 21)


def test_the_demo_fills_a_digest_an_agenda_and_an_export_and_loads_once(engine):
    units = SqlUnitOfWorkFactory(engine)
    with units() as uow:
        ws = uow.workspaces.get_or_create(Platform.CONSOLE, "console", WorkspaceDefaults())
        loaded = load_demo(uow, ws, TODAY)
        forum = uow.forums.default(ws.id)
        uow.commit()
    assert (loaded.problems, loaded.ideas, loaded.already) == (len(PROBLEMS), len(IDEAS), False)
    with units(write=False) as uow:
        digest = build_digest(uow, ws, forum, IsoWeek.of(TODAY).previous(), unassigned=True)
        export = build_export(uow, ws, None, None, TODAY)
        stages = {i.stage for i in uow.ideas.list(ws.id, None, None, limit=100)}
        decided = uow.ideas.list(ws.id, None, decided=True, limit=100)
    assert not digest.quiet and len(digest.top) == 5 and digest.failure_demand_share is not None
    assert digest.history_weeks == WEEKS - 1 and not digest.trial_limits
    assert digest.ideas_awaiting and digest.ideas_most_voted
    assert stages == set(Stage) and len(decided) == 4
    assert len(export.problems) == len(PROBLEMS) and len(export.weeks) == WEEKS
    with units() as uow:
        assert load_demo(uow, ws, TODAY).already
        uow.commit()
