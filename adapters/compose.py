"""Builds the core from settings: the one place that wires storage, the bus and delivery ids together."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine

from adapters.config import Settings
from bot.bus import MessageBus
from bot.core import Core
from digests.handlers import DIGEST_HANDLERS
from storage.secrets import TokenCipher, delivery_hasher
from storage.uow import SqlUnitOfWorkFactory


def make_core(settings: Settings, engine: Engine, clock: Callable[[], datetime] | None = None) -> Core:
    cipher = TokenCipher(settings.secret_key) if settings.secret_key else None
    bus = MessageBus(
        SqlUnitOfWorkFactory(engine, cipher),
        settings.defaults,
        handlers=DIGEST_HANDLERS,
        **({"clock": clock} if clock else {}),
    )
    return Core(bus, delivery_hasher(settings.secret_key))
