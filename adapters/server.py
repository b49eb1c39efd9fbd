"""`tally serve`: the composition root. One aiohttp app; the database, Slack and Teams open and close here."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from sqlalchemy.engine import Engine

from adapters.config import Settings
from adapters.slack import routes as slack_routes
from adapters.teams import routes as teams_routes
from adapters.teams.bot import TallyTeamsBot
from adapters.teams.translate import delivery_key
from bot.bus import MessageBus
from storage.conversations import ConversationStore
from storage.engine import make_engine, ping
from storage.migrate import upgrade
from storage.uow import SqlUnitOfWorkFactory

log = logging.getLogger("tally.server")

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", Engine)
BUS = web.AppKey("bus", MessageBus)
Clock = Callable[[], datetime]
CLOCK = web.AppKey("clock", Clock)


class PathOnlyAccessLogger(AbstractAccessLogger):
    """Logs method, path and status; never query strings, which can carry OAuth codes."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s %s %s %.1fms", request.method, request.path, response.status, time * 1000)

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


async def database(app: web.Application) -> AsyncIterator[None]:
    """Open the engine, bring the schema to head, and build the bus every adapter shares."""
    settings = app[SETTINGS]
    engine = make_engine(settings.database_url)
    await asyncio.to_thread(upgrade, engine)
    app[ENGINE] = engine
    app[BUS] = MessageBus(
        SqlUnitOfWorkFactory(engine), settings.defaults, **({"clock": app[CLOCK]} if CLOCK in app else {})
    )
    try:
        yield
    finally:
        engine.dispose()


async def slack(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    app[slack_routes.SLACK_APP] = slack_routes.make_slack_app(settings, app[BUS], app[ENGINE])
    if settings.slack_app_token:
        async for _ in slack_routes.socket_mode(app, settings.slack_app_token):
            yield
    else:
        yield


async def teams(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    key = delivery_key(settings.microsoft_app_password or settings.secret_key)
    bot = TallyTeamsBot(app[BUS], ConversationStore(app[ENGINE]), key)
    app[teams_routes.TEAMS] = teams_routes.make_runtime(settings, bot)
    if not settings.microsoft_app_id:
        log.info("Teams: no MICROSOFT_APP_ID, so Bot Framework Emulator mode (no token checks)")
    yield


async def healthz(request: web.Request) -> web.Response:
    if await asyncio.to_thread(ping, request.app[ENGINE]):
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "unavailable", "reason": "database not answering"}, status=503)


def create_app(settings: Settings, clock: Clock | None = None) -> web.Application:
    """Teams is always mounted (Emulator mode without credentials); Slack when it is configured."""
    app = web.Application()
    app[SETTINGS] = settings
    if clock is not None:
        app[CLOCK] = clock
    app.cleanup_ctx.append(database)
    app.cleanup_ctx.append(teams)
    app.router.add_get("/healthz", healthz)
    teams_routes.add_routes(app)
    if settings.slack_enabled:
        app.cleanup_ctx.append(slack)
        if settings.slack_signing_secret:
            slack_routes.add_routes(app)
    return app


def run(settings: Settings, host: str = "127.0.0.1", port: int = 3978) -> None:
    log.info("Tally serving on http://%s:%d (%r)", host, port, settings)
    web.run_app(create_app(settings), host=host, port=port, access_log_class=PathOnlyAccessLogger, print=None)
