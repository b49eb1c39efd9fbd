"""Slack installations and OAuth states in our own database; install data is encrypted whole.

The one implementation is `storage.platform_repository.SqlSlackInstallations`, reached as
`uow.slack_installations`; `SlackInstallations` runs each call in a unit of work of its own, for
callers outside the bus (the Bolt installation store).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from storage.secrets import SecretKeyError, TokenCipher
from storage.tables import SlackInstallationRow
from storage.uow import SqlUnitOfWorkFactory

log = logging.getLogger("tally.slack.install")


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

    def reencrypt(self) -> int:
        """Seals every installation opened with an older key of TALLY_SECRET_KEY again with the newest, so the
        old key can be dropped once `tally serve` has started with both. Returns how many it re-encrypted."""
        if not self.cipher.has_older_keys:
            return 0
        moved = 0
        with self.engine.begin() as conn:
            rows = conn.execute(select(SlackInstallationRow.id, SlackInstallationRow.data_encrypted)).all()
            for row_id, sealed in rows:
                if self.cipher.is_current(sealed):
                    continue
                try:
                    fresh = self.cipher.rotate(sealed)
                except SecretKeyError:
                    log.warning("Slack installation %s can't be opened with any key of TALLY_SECRET_KEY", row_id)
                    continue
                table = SlackInstallationRow.__table__.c  # type: ignore[attr-defined]
                # Only if unchanged since read: a replica starting at the same time may have just done it.
                changed = conn.execute(
                    update(SlackInstallationRow.__table__)  # type: ignore[arg-type]
                    .where(table.id == row_id, table.data_encrypted == sealed)
                    .values(data_encrypted=fresh)
                )
                moved += changed.rowcount
        if moved:
            log.info("re-encrypted %d Slack installation(s) with the newest TALLY_SECRET_KEY", moved)
        return moved

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
