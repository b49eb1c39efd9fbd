"""Mounts Slack on the aiohttp app: events over HTTP, the OAuth install flow, or Socket Mode."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.models.installation import Installation

from adapters.config import Settings
from bot import commands as c
from bot.bus import MessageBus
from storage.model import Platform
from storage.secrets import TokenCipher
from storage.slack_installations import SlackInstallations

from .app import BOT_SCOPES, build_app
from .installation_store import TallyInstallationStore, TallyStateStore

log = logging.getLogger("tally.slack")

SLACK_APP = web.AppKey("slack_app", AsyncApp)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


def oauth_settings(settings: Settings, store: SlackInstallations, bus: MessageBus) -> AsyncOAuthSettings:
    async def installed(installation: Installation) -> None:
        """The person who installs Tally becomes the workspace's first owner."""
        ws_id = installation.enterprise_id if installation.is_enterprise_install else installation.team_id
        claim = c.ClaimFirstOwnership(
            ws=c.WorkspaceRef(Platform.SLACK, ws_id or ""), actor=c.Actor(installation.user_id)
        )
        await asyncio.to_thread(bus.handle, claim)

    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=BOT_SCOPES,
        installation_store=TallyInstallationStore(store, on_installed=installed),
        state_store=TallyStateStore(store),
        installation_store_bot_only=True,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
    )


def make_slack_app(settings: Settings, bus: MessageBus, engine) -> AsyncApp:  # type: ignore[no-untyped-def]
    oauth = None
    if settings.slack_oauth:
        oauth = oauth_settings(settings, SlackInstallations(engine, TokenCipher(settings.secret_key)), bus)
    return build_app(
        bus,
        signing_secret=settings.slack_signing_secret,
        bot_token=settings.slack_bot_token,
        api_url=settings.slack_api_url,
        oauth=oauth,
    )


async def slack_events(request: web.Request) -> web.Response:
    bolt_response = await request.app[SLACK_APP].async_dispatch(await to_bolt_request(request))
    return await to_aiohttp_response(bolt_response)


async def slack_install(request: web.Request) -> web.Response:
    flow = request.app[SLACK_APP].oauth_flow
    if flow is None:
        raise web.HTTPNotFound(text="Slack OAuth is not configured: set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET.")
    return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))


async def slack_oauth_redirect(request: web.Request) -> web.Response:
    flow = request.app[SLACK_APP].oauth_flow
    if flow is None:
        raise web.HTTPNotFound(text="Slack OAuth is not configured.")
    return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))


def add_routes(app: web.Application) -> None:
    app.router.add_post("/slack/events", slack_events)
    app.router.add_get(INSTALL_PATH, slack_install)
    app.router.add_get(REDIRECT_PATH, slack_oauth_redirect)


async def socket_mode(app: web.Application, app_token: str) -> AsyncIterator[None]:
    """Socket Mode: Tally dials out to Slack, for networks that give a bot no public URL."""
    handler = AsyncSocketModeHandler(app[SLACK_APP], app_token)
    await handler.connect_async()
    log.info("Slack Socket Mode connected")
    try:
        yield
    finally:
        await handler.close_async()
