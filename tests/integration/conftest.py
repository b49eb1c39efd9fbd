from __future__ import annotations

import pytest

from storage.uow import SqlUnitOfWorkFactory
from tests.databases import migrated_engine


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    with migrated_engine(request.param, tmp_path) as engine:
        yield engine


@pytest.fixture
def bus(engine, fixed_clock):
    from bot.bus import MessageBus  # here, so the storage-only tests never import the core

    return MessageBus(SqlUnitOfWorkFactory(engine), clock=fixed_clock)
