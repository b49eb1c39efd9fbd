"""Slack installations and OAuth states in our own database; install data is encrypted whole."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.secrets import TokenCipher
from storage.tables import SlackInstallationRow, SlackOAuthStateRow


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(type(value).__name__)


class SlackInstallations:
    """Sync store; the Bolt adapter calls it from a worker thread."""

    def __init__(self, engine: Engine, cipher: TokenCipher) -> None:
        self.engine = engine
        self.cipher = cipher

    def save(self, data: dict[str, Any]) -> None:
        """Upsert by (enterprise, team); `data` is the whole installation, tokens included."""
        enterprise_id = data.get("enterprise_id") or ""
        team_id = "" if data.get("is_enterprise_install") else (data.get("team_id") or "")
        sealed = self.cipher.encrypt(json.dumps(data, default=_json_default))
        with Session(self.engine) as session:
            row = session.scalars(
                select(SlackInstallationRow).where(
                    SlackInstallationRow.enterprise_id == enterprise_id, SlackInstallationRow.team_id == team_id
                )
            ).first() or SlackInstallationRow(enterprise_id=enterprise_id, team_id=team_id)
            row.is_enterprise_install = bool(data.get("is_enterprise_install"))
            row.installer_user_id = data.get("user_id") or ""
            row.bot_user_id = data.get("bot_user_id") or ""
            row.bot_id = data.get("bot_id") or ""
            scopes = data.get("bot_scopes") or ""
            row.bot_scopes = ",".join(scopes) if isinstance(scopes, list | tuple) else str(scopes)
            row.data_encrypted = sealed
            row.installed_at = datetime.now(UTC)
            session.add(row)
            session.commit()

    def find(self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool) -> dict | None:
        ent = enterprise_id or ""
        team = "" if is_enterprise_install else (team_id or "")
        with Session(self.engine) as session:
            row = session.scalars(
                select(SlackInstallationRow).where(
                    SlackInstallationRow.enterprise_id == ent, SlackInstallationRow.team_id == team
                )
            ).first()
            if row is None and ent and team:
                # A workspace inside a Grid org that installed Tally org-wide.
                row = session.scalars(
                    select(SlackInstallationRow).where(
                        SlackInstallationRow.enterprise_id == ent, SlackInstallationRow.is_enterprise_install
                    )
                ).first()
            return json.loads(self.cipher.decrypt(row.data_encrypted)) if row else None

    def delete(self, enterprise_id: str | None, team_id: str | None) -> None:
        with Session(self.engine) as session:
            session.execute(
                delete(SlackInstallationRow).where(
                    SlackInstallationRow.enterprise_id == (enterprise_id or ""),
                    SlackInstallationRow.team_id == (team_id or ""),
                )
            )
            session.commit()

    def issue_state(self, state: str, ttl: timedelta = timedelta(minutes=10)) -> None:
        with Session(self.engine) as session:
            session.add(SlackOAuthStateRow(state=state, expires_at=datetime.now(UTC) + ttl))
            session.commit()

    def consume_state(self, state: str) -> bool:
        """True once for a state we issued that hasn't expired; it can never be used again."""
        with Session(self.engine) as session:
            row = session.get(SlackOAuthStateRow, state)
            if row is None:
                return False
            session.delete(row)
            session.commit()
            return row.expires_at > datetime.now(UTC)
