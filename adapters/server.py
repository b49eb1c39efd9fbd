"""`tally serve`: the composition root. One aiohttp app; the database, the core, the HTTP session, Slack and
Teams open and close here, in that order, and close in reverse (background posts finish before the session)."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import aiohttp
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from sqlalchemy.engine import Engine

from adapters import memory
from adapters.compose import make_core
from adapters.config import Settings
from adapters.schedule import make_scheduler
from adapters.slack import routes as slack_routes
from adapters.slack.digests import SlackDigestPoster
from adapters.slack.notifier import SlackNotifier, installation_token
from bot.core import Core
from bot.events import ScheduleChanged
from digests.delivery import DigestPoster
from digests.schedule import Scheduler
from storage.conversations import ConversationStore
from storage.engine import make_engine, ping
from storage.migrate import upgrade
from storage.model import Platform
from storage.secrets import TokenCipher
from storage.slack_installations import SlackInstallations

log = logging.getLogger("tally.server")

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", Engine)
CORE = web.AppKey("core", Core)
HTTP = web.AppKey("http", aiohttp.ClientSession)
SCHEDULER = web.AppKey("scheduler", Scheduler)
Clock = Callable[[], datetime]
CLOCK = web.AppKey("clock", Clock)
OUTBOUND_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)
# On SQLite, how long a chat request waits for another process's write lock (an import, a backup) before it answers
# "couldn't save, try again": within Slack's 3 seconds. A SQLite URL's `?timeout=SECONDS` says otherwise.
SERVE_BUSY_TIMEOUT_MS = 2_000
# Past this a request is refused with 413 before any of it is parsed; Slack's and Teams' payloads are far smaller.
MAX_REQUEST_BYTES = 1024 * 1024


class PathOnlyAccessLogger(AbstractAccessLogger):
    """Logs method, path and status; never query strings, which can carry OAuth codes."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s %s %s %.1fms", request.method, request.path, response.status, time * 1000)

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


async def database(app: web.Application) -> AsyncIterator[None]:
    """Open the engine, bring the schema to head, and build the core every adapter shares."""
    settings = app[SETTINGS]
    engine = make_engine(settings.database_url, busy_ms=SERVE_BUSY_TIMEOUT_MS)
    await asyncio.to_thread(upgrade, engine)
    app[ENGINE] = engine
    app[CORE] = make_core(settings, engine, app.get(CLOCK))
    try:
        yield
    finally:
        app[CORE].close()
        engine.dispose()


async def http_session(app: web.Application) -> AsyncIterator[None]:
    """One outbound HTTP session for the process: slack_sdk, response_urls and the Teams connector share it."""
    session = aiohttp.ClientSession(timeout=OUTBOUND_TIMEOUT)
    app[HTTP] = session
    try:
        yield
    finally:
        await app[CORE].background.drain()
        await session.close()


async def slack(app: web.Application) -> AsyncIterator[None]:
    settings, core = app[SETTINGS], app[CORE]
    app[slack_routes.SLACK_APP] = slack_routes.make_slack_app(settings, core, app[ENGINE], app[HTTP])
    core.dispatcher.register(
        Platform.SLACK, SlackNotifier(app[HTTP], settings.slack_api_url, _slack_tokens(settings, app[ENGINE]))
    )
    if settings.slack_app_token:
        async for _ in slack_routes.socket_mode(app, settings.slack_app_token):
            yield
    else:
        yield


def _slack_tokens(settings: Settings, engine: Engine):  # type: ignore[no-untyped-def]
    if settings.slack_oauth:
        return installation_token(SlackInstallations(engine, TokenCipher(settings.secret_key)).find)
    return lambda _workspace: settings.slack_bot_token


# Teams (botbuilder, msrest, azure: about 0.15 s of a start and 20 MB) is imported only when it is served.
def _teams_served(settings: Settings) -> bool:
    return bool(settings.microsoft_app_id) or not settings.slack_enabled


async def teams(app: web.Application) -> AsyncIterator[None]:
    from adapters.teams import routes as teams_routes
    from adapters.teams.bot import TallyTeamsBot, card_for
    from adapters.teams.outbox import TeamsOutbox

    settings, core = app[SETTINGS], app[CORE]
    conversations = ConversationStore(app[ENGINE])
    bot = TallyTeamsBot(core, conversations)
    runtime = teams_routes.make_runtime(settings, bot, app[HTTP])
    app[teams_routes.TEAMS] = runtime
    outbox = TeamsOutbox(runtime.connector, conversations, card_for)
    bot.connect(outbox)
    core.dispatcher.register(Platform.TEAMS, outbox)
    if not settings.microsoft_app_id:
        log.info("Teams: no MICROSOFT_APP_ID, so Bot Framework Emulator mode (no token checks)")
    yield


async def scheduler(app: web.Application) -> AsyncIterator[None]:
    """The scheduled jobs (digests, agendas, review reminders); every replica runs a scheduler, the lead's runs them."""
    settings, core, engine = app[SETTINGS], app[CORE], app[ENGINE]
    jobs = make_scheduler(
        settings,
        core,
        engine,
        posters=_posters(app),
        clock=app.get(CLOCK),
    )
    app[SCHEDULER] = jobs

    async def rebuild(_event: ScheduleChanged) -> None:
        await jobs.rebuild()  # other replicas' changes are picked up by the lead's sweep

    core.dispatcher.listen(ScheduleChanged, rebuild)
    jobs.start()
    try:
        yield
    finally:
        await jobs.stop()


def _posters(app: web.Application) -> dict[Platform, DigestPoster]:
    settings, engine = app[SETTINGS], app[ENGINE]
    posters: dict[Platform, DigestPoster] = {}
    if settings.slack_enabled:
        posters[Platform.SLACK] = SlackDigestPoster(app[HTTP], settings.slack_api_url, _slack_tokens(settings, engine))
    if _teams_served(settings):
        from adapters.teams.digests import TeamsDigestPoster
        from adapters.teams.routes import TEAMS

        posters[Platform.TEAMS] = TeamsDigestPoster(app[TEAMS].connector, ConversationStore(engine))
    return posters


async def healthz(request: web.Request) -> web.Response:
    if await asyncio.to_thread(ping, request.app[ENGINE]):
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "unavailable", "reason": "database not answering"}, status=503)


def create_app(settings: Settings, clock: Clock | None = None) -> web.Application:
    """Slack when it is configured; Teams with its credentials, or, when neither is configured, in Bot Framework
    Emulator mode for a local trial (no token checks, so it answers only an Emulator on this machine)."""
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app[SETTINGS] = settings
    if clock is not None:
        app[CLOCK] = clock
    app.cleanup_ctx.append(database)
    app.cleanup_ctx.append(http_session)
    app.router.add_get("/healthz", healthz)
    if _teams_served(settings):
        from adapters.teams import routes as teams_routes

        app.cleanup_ctx.append(teams)
        teams_routes.add_routes(app)
    if settings.slack_enabled:
        app.cleanup_ctx.append(slack)
        if settings.slack_signing_secret:
            slack_routes.add_routes(app, settings.slack_signing_secret)
    app.cleanup_ctx.append(scheduler)  # after the notifiers are registered; stopped before they close
    memory.install(app)  # freed memory goes back to the system after each burst of requests
    app.on_startup.append(settle)  # on_startup runs after every cleanup_ctx has started
    return app


async def settle(_app: web.Application) -> None:
    """What starting made (modules, the schema, SDK clients) lives as long as the process: frozen out of the
    garbage collector's way, so its full collections walk only what requests leave behind, not every object."""
    gc.freeze()


def run(settings: Settings, host: str = "127.0.0.1", port: int = 3978) -> None:
    log.info("Tally serving on http://%s:%d (%r)", host, port, settings)
    web.run_app(create_app(settings), host=host, port=port, access_log_class=PathOnlyAccessLogger, print=None)
