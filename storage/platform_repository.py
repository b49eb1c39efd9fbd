"""SQL repositories for what the platforms need kept: conversation references and Slack installations."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import ports
from storage.secrets import TokenCipher
from storage.tables import (
    ConversationRefRow,
    SlackInstallationRow,
    SlackOAuthStateRow,
)


class SqlConversations(ports.ConversationRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def remember(
        self, platform: str, tenant_id: str, conversation_id: str, conversation_type: str, reference: dict[str, Any]
    ) -> bool:
        query = self._query(platform, tenant_id, conversation_id)
        row = self.session.scalars(query).first()
        if row is None:
            # A concurrent first message may insert it too: insert in a savepoint, and on losing
            # the race update the row the winner wrote.
            try:
                with self.session.begin_nested():
                    self.session.add(
                        ConversationRefRow(
                            platform=platform,
                            tenant_id=tenant_id,
                            conversation_id=conversation_id,
                            conversation_type=conversation_type,
                            reference=reference,
                        )
                    )
                    self.session.flush()
                return True
            except IntegrityError:
                row = self.session.scalars(query).one()
        if (row.reference, row.conversation_type) == (reference, conversation_type):
            return False
        row.conversation_type = conversation_type
        row.reference = reference
        self.session.add(row)
        self.session.flush()
        return True

    def find(self, platform: str, tenant_id: str, conversation_id: str) -> dict[str, Any] | None:
        row = self.session.scalars(self._query(platform, tenant_id, conversation_id)).first()
        return dict(row.reference) if row else None

    def list(self, platform: str, tenant_id: str) -> list[tuple[str, str]]:
        rows = self.session.scalars(self._tenant(platform, tenant_id).order_by(ConversationRefRow.id))
        return [(r.conversation_id, r.conversation_type) for r in rows]

    def any_service_reference(self, platform: str, tenant_id: str) -> dict[str, Any] | None:
        row = self.session.scalars(self._tenant(platform, tenant_id).order_by(ConversationRefRow.id).limit(1)).first()
        return dict(row.reference) if row else None

    @staticmethod
    def _tenant(platform: str, tenant_id: str):  # type: ignore[no-untyped-def]
        return select(ConversationRefRow).where(
            ConversationRefRow.platform == platform, ConversationRefRow.tenant_id == tenant_id
        )

    @classmethod
    def _query(cls, platform: str, tenant_id: str, conversation_id: str):  # type: ignore[no-untyped-def]
        return cls._tenant(platform, tenant_id).where(ConversationRefRow.conversation_id == conversation_id)


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(type(value).__name__)


class SqlSlackInstallations(ports.SlackInstallationRepository):
    """Install data is encrypted whole; `cipher` may be None where no installation is ever read or saved."""

    def __init__(self, session: Session, cipher: TokenCipher | None) -> None:
        self.session = session
        self._cipher = cipher

    @property
    def cipher(self) -> TokenCipher:
        if self._cipher is None:
            raise RuntimeError("Slack installations need TALLY_SECRET_KEY: no token cipher was configured")
        return self._cipher

    def save(self, data: dict[str, Any]) -> None:
        enterprise_id = data.get("enterprise_id") or ""
        team_id = "" if data.get("is_enterprise_install") else (data.get("team_id") or "")
        sealed = self.cipher.encrypt(json.dumps(data, default=_json_default))
        row = self.session.scalars(self._query(enterprise_id, team_id)).first() or SlackInstallationRow(
            enterprise_id=enterprise_id, team_id=team_id
        )
        row.is_enterprise_install = bool(data.get("is_enterprise_install"))
        row.installer_user_id = data.get("user_id") or ""
        row.bot_user_id = data.get("bot_user_id") or ""
        row.bot_id = data.get("bot_id") or ""
        scopes = data.get("bot_scopes") or ""
        row.bot_scopes = ",".join(scopes) if isinstance(scopes, list | tuple) else str(scopes)
        row.data_encrypted = sealed
        row.installed_at = datetime.now(UTC)
        self.session.add(row)
        self.session.flush()

    def find(self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool) -> dict | None:
        ent = enterprise_id or ""
        team = "" if is_enterprise_install else (team_id or "")
        row = self.session.scalars(self._query(ent, team)).first()
        if row is None and ent and team:
            # A workspace inside a Grid org that installed Tally org-wide.
            row = self.session.scalars(
                select(SlackInstallationRow).where(
                    SlackInstallationRow.enterprise_id == ent, SlackInstallationRow.is_enterprise_install
                )
            ).first()
        if row is None and not ent and team:
            # Asked by team alone (a notification knows only the workspace): a team inside a Grid org.
            row = self.session.scalars(select(SlackInstallationRow).where(SlackInstallationRow.team_id == team)).first()
        return json.loads(self.cipher.decrypt(row.data_encrypted)) if row else None

    def delete(self, enterprise_id: str | None, team_id: str | None) -> None:
        self.session.execute(
            delete(SlackInstallationRow).where(
                SlackInstallationRow.enterprise_id == (enterprise_id or ""),
                SlackInstallationRow.team_id == (team_id or ""),
            )
        )

    def issue_state(self, state: str, ttl: timedelta = timedelta(minutes=10)) -> None:
        self.session.add(SlackOAuthStateRow(state=state, expires_at=datetime.now(UTC) + ttl))
        self.session.flush()

    def consume_state(self, state: str) -> bool:
        # One DELETE ... RETURNING: of two callbacks racing with the same state, only one gets the row.
        expires_at = self.session.execute(
            delete(SlackOAuthStateRow).where(SlackOAuthStateRow.state == state).returning(SlackOAuthStateRow.expires_at)
        ).scalar_one_or_none()
        return expires_at is not None and expires_at > datetime.now(UTC)

    @staticmethod
    def _query(enterprise_id: str, team_id: str):  # type: ignore[no-untyped-def]
        return select(SlackInstallationRow).where(
            SlackInstallationRow.enterprise_id == enterprise_id, SlackInstallationRow.team_id == team_id
        )
