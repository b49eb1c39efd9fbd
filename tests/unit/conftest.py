from __future__ import annotations

import pytest

from bot import commands as c
from bot.bus import MessageBus
from bot.core import Core
from storage.model import Platform
from storage.secrets import delivery_hasher
from tests.unit.fakes import FakeData, FakeUnitOfWorkFactory

WS = c.WorkspaceRef(Platform.CONSOLE, "unit")
ALICE = c.Actor("alice")
ADMIN = c.Actor("lead", is_admin=True)


@pytest.fixture
def data() -> FakeData:
    return FakeData()


@pytest.fixture
def bus(data, fixed_clock) -> MessageBus:
    return MessageBus(FakeUnitOfWorkFactory(data), clock=fixed_clock)


@pytest.fixture
def core(bus) -> Core:
    return Core(bus, delivery_hasher("unit-test-key"))
