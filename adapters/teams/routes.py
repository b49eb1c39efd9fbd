"""Mounts Teams on the aiohttp app at POST /api/messages, with every request's token verified."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from botbuilder.integration.aiohttp import (
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botframework.connector.auth import AuthenticationConstants

from adapters.config import Settings

from .adapter import TallyBotAdapter
from .bot import TallyTeamsBot, on_turn_error
from .connector import BotFrameworkCredentials, NoCredentials, TeamsConnector
from .notifier import TeamsNotifier

log = logging.getLogger("tally.teams")

PUBLIC_LOGIN_URL = AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX + "botframework.com"
PUBLIC_OPENID_METADATA_URL = AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL


class BotConfig:
    """The attribute names botbuilder's configuration classes look for."""

    def __init__(self, settings: Settings) -> None:
        self.APP_ID = settings.microsoft_app_id
        self.APP_PASSWORD = settings.microsoft_app_password
        self.APP_TYPE = settings.microsoft_app_type
        self.APP_TENANTID = settings.microsoft_app_tenant_id
        if settings.teams_openid_metadata_url or settings.teams_login_url:
            # The public cloud's values, with only the signing-key source or the login service moved (tests
            # serve both on 127.0.0.1).
            self.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = (
                settings.teams_openid_metadata_url or PUBLIC_OPENID_METADATA_URL
            )
            self.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
            self.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
            self.TO_CHANNEL_FROM_BOT_LOGIN_URL = settings.teams_login_url or PUBLIC_LOGIN_URL

    @property
    def login_endpoint(self) -> str:
        """Where botbuilder's credentials log in for bot-to-channel tokens (the public cloud's unless moved)."""
        prefix = AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX
        return getattr(self, "TO_CHANNEL_FROM_BOT_LOGIN_URL", prefix)

    def __repr__(self) -> str:
        return f"BotConfig(app_id={self.APP_ID!r})"


@dataclass
class TeamsRuntime:
    adapter: TallyBotAdapter
    bot: TallyTeamsBot
    notifier: TeamsNotifier
    verifies_tokens: bool

    @property
    def connector(self) -> TeamsConnector:
        return self.adapter.connector

    async def close(self) -> None:
        """Closes the HTTP session if Teams opened its own (none was passed to make_runtime)."""
        await self.adapter.connector.close()


TEAMS = web.AppKey("teams", TeamsRuntime)


def make_connector(settings: Settings, session: aiohttp.ClientSession | None = None) -> tuple[TeamsConnector, Any]:
    """The connector Tally posts to Teams with (and the Bot Framework authentication its adapter verifies with)."""
    config = BotConfig(settings)
    credentials_factory = ConfigurationServiceClientCredentialFactory(config)
    auth = ConfigurationBotFrameworkAuthentication(config, credentials_factory=credentials_factory)
    tokens = (
        BotFrameworkCredentials(
            credentials_factory,
            settings.microsoft_app_id,
            oauth_scope=auth.get_originating_audience() or AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
            login_endpoint=config.login_endpoint,
        )
        if settings.microsoft_app_id
        else NoCredentials()
    )
    return TeamsConnector(session, tokens), auth


def make_runtime(settings: Settings, bot: TallyTeamsBot, session: aiohttp.ClientSession | None = None) -> TeamsRuntime:
    """`session` is the process's shared one, opened and closed by the app factory; without it Teams opens
    its own on first use, closed by `TeamsRuntime.close()`."""
    connector, auth = make_connector(settings, session)
    adapter = TallyBotAdapter(auth, connector, app_id=settings.microsoft_app_id, on_turn_error=on_turn_error)
    notifier = TeamsNotifier(adapter, settings.microsoft_app_id, bot.conversations)
    return TeamsRuntime(adapter, bot, notifier, verifies_tokens=bool(settings.microsoft_app_id))


async def messages(request: web.Request) -> web.StreamResponse:
    """Every failure to verify a request is a 401, never a 500; nothing is stored before that."""
    runtime = request.app[TEAMS]
    try:
        return await runtime.adapter.process(request, runtime.bot)
    except web.HTTPException:
        raise
    except Exception as exc:
        log.exception("Teams request failed")
        raise web.HTTPInternalServerError(text="Sorry, something went wrong on our side.") from exc


async def _close_teams(app: web.Application) -> None:
    if TEAMS in app:
        await app[TEAMS].close()


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/messages", messages)
    app.on_cleanup.append(_close_teams)  # the session Teams opened itself, if the app factory passed none
