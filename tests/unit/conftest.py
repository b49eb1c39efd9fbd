from __future__ import annotations

import pytest

from bot import commands as c
from bot.bus import MessageBus
from storage.model import Platform
from tests.unit.fakes import FakeData, FakeUnitOfWork

WS = c.WorkspaceRef(Platform.CONSOLE, "unit")
ALICE = c.Actor("alice")
ADMIN = c.Actor("lead", is_admin=True)


@pytest.fixture
def data() -> FakeData:
    return FakeData()


@pytest.fixture
def bus(data, fixed_clock) -> MessageBus:
    return MessageBus(lambda: FakeUnitOfWork(data), clock=fixed_clock)
