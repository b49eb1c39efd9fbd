"""Bolt's installation and OAuth-state stores, over Tally's own database."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from storage.slack_installations import SlackInstallations

log = logging.getLogger("tally.slack.install")


class TallyInstallationStore(AsyncInstallationStore):
    def __init__(
        self, store: SlackInstallations, on_installed: Callable[[Installation], Awaitable[None]] | None = None
    ) -> None:
        self.store = store
        self.on_installed = on_installed

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self.store.save, installation.to_dict_for_copying())
        log.info("Slack installation saved for team %s", installation.team_id or installation.enterprise_id)
        if self.on_installed is not None:
            await self.on_installed(installation)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        data = await asyncio.to_thread(self.store.find, enterprise_id, team_id, bool(is_enterprise_install))
        return Installation(**data) if data else None

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        installation = await self.async_find_installation(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )
        return installation.to_bot() if installation and installation.bot_token else None

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        if user_id is None:  # Tally asks for no user tokens, so a user's revocation leaves the bot installed
            await asyncio.to_thread(self.store.delete, enterprise_id, team_id)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self.store.delete, enterprise_id, team_id)


class TallyStateStore(AsyncOAuthStateStore):
    """States live in the database so any replica can finish an install another one started."""

    def __init__(self, store: SlackInstallations) -> None:
        self.store = store

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: object, **kwargs: object) -> str:
        state = secrets.token_urlsafe(32)
        await asyncio.to_thread(self.store.issue_state, state)
        return state

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self.store.consume_state, state)
