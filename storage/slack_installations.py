"""Slack installations and OAuth states in our own database; install data is encrypted whole.

The one implementation is `storage.platform_repository.SqlSlackInstallations`, reached as
`uow.slack_installations`; `SlackInstallations` runs each call in a unit of work of its own, for
callers outside the bus (the Bolt installation store).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine

from storage.secrets import TokenCipher
from storage.uow import SqlUnitOfWorkFactory


class SlackInstallations:
    """Sync store; the Bolt adapter calls it from a worker thread."""

    def __init__(self, engine: Engine, cipher: TokenCipher) -> None:
        self.engine = engine
        self.cipher = cipher
        self.units = SqlUnitOfWorkFactory(engine, cipher)

    def save(self, data: dict[str, Any]) -> None:
        """Upsert by (enterprise, team); `data` is the whole installation, tokens included."""
        with self.units() as uow:
            uow.slack_installations.save(data)
            uow.commit()

    def find(self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool) -> dict | None:
        with self.units(write=False) as uow:
            return uow.slack_installations.find(enterprise_id, team_id, is_enterprise_install)

    def delete(self, enterprise_id: str | None, team_id: str | None) -> None:
        with self.units() as uow:
            uow.slack_installations.delete(enterprise_id, team_id)
            uow.commit()

    def issue_state(self, state: str, ttl: timedelta = timedelta(minutes=10)) -> None:
        with self.units() as uow:
            uow.slack_installations.issue_state(state, ttl)
            uow.commit()

    def consume_state(self, state: str) -> bool:
        """True once for a state we issued that hasn't expired; it can never be used again."""
        with self.units() as uow:
            fresh = uow.slack_installations.consume_state(state)
            uow.commit()
            return fresh
