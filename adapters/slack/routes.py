"""Mounts Slack on the aiohttp app: events over HTTP, the OAuth install flow, or Socket Mode."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.signature import SignatureVerifier

from adapters.config import Settings
from bot import commands as c
from bot import inputs
from bot.core import Core
from storage.model import Platform
from storage.secrets import TokenCipher
from storage.slack_installations import SlackInstallations

from .app import BOT_SCOPES, build_app
from .installation_store import TallyInstallationStore, TallyStateStore
from .outbox import Outbox

log = logging.getLogger("tally.slack")

SLACK_APP = web.AppKey("slack_app", AsyncApp)
SLACK_VERIFIER = web.AppKey("slack_verifier", SignatureVerifier)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


def oauth_settings(settings: Settings, store: SlackInstallations, core: Core) -> AsyncOAuthSettings:
    async def installed(installation: Installation) -> None:
        """The person who installs Tally becomes the workspace's first owner."""
        ws_id = installation.enterprise_id if installation.is_enterprise_install else installation.team_id
        ws = c.WorkspaceRef(Platform.SLACK, ws_id or "")
        await core.handle(inputs.Installed(ws, c.Actor(installation.user_id)))

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


def make_slack_app(settings: Settings, core: Core, engine, session: aiohttp.ClientSession) -> AsyncApp:  # type: ignore[no-untyped-def]
    oauth = None
    if settings.slack_oauth:
        store = SlackInstallations(engine, TokenCipher(settings.secret_key))
        store.reencrypt()  # a rotated TALLY_SECRET_KEY: the stored tokens move to the newest key
        oauth = oauth_settings(settings, store, core)
    return build_app(
        core,
        session=session,
        outbox=Outbox(session, core.background),
        signing_secret=settings.slack_signing_secret,
        bot_token=settings.slack_bot_token,
        api_url=settings.slack_api_url,
        oauth=oauth,
    )


async def slack_events(request: web.Request) -> web.Response:
    """Verified before anything parses the body (Bolt parses first); refusals never log the body."""
    body = await request.text()
    verified = request.app[SLACK_VERIFIER].is_valid(
        body,
        request.headers.get("X-Slack-Request-Timestamp", ""),
        request.headers.get("X-Slack-Signature", ""),
    )
    if not verified:
        log.info("refused a Slack request whose signature or timestamp did not verify")
        raise web.HTTPUnauthorized(text="invalid signature")
    if _is_rate_limit_notice(body, request.content_type):
        log.warning("Slack says Tally's app is rate limited: some events were not delivered")
        return web.Response(text="")
    bolt_response = await request.app[SLACK_APP].async_dispatch(
        AsyncBoltRequest(body=body, query=request.query_string, headers=dict(request.headers))
    )
    return await to_aiohttp_response(bolt_response)


def _is_rate_limit_notice(body: str, content_type: str) -> bool:
    """app_rate_limited comes outside any event callback, so no Bolt listener can take it."""
    if content_type != "application/json" or '"app_rate_limited"' not in body:
        return False
    try:
        return json.loads(body).get("type") == "app_rate_limited"
    except (ValueError, AttributeError):
        return False


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


def add_routes(app: web.Application, signing_secret: str) -> None:
    app[SLACK_VERIFIER] = SignatureVerifier(signing_secret)
    app.router.add_post("/slack/events", slack_events)
    app.router.add_get(INSTALL_PATH, slack_install)
    app.router.add_get(REDIRECT_PATH, slack_oauth_redirect)


async def socket_mode(app: web.Application, app_token: str) -> AsyncIterator[None]:
    """Socket Mode: Tally dials out to Slack, for networks that give a bot no public URL."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler  # only with an app token

    handler = AsyncSocketModeHandler(app[SLACK_APP], app_token)
    await handler.connect_async()
    log.info("Slack Socket Mode connected")
    try:
        yield
    finally:
        await handler.close_async()
