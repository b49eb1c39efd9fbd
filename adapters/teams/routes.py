"""Mounts Teams on the aiohttp app at POST /api/messages, with every request's token verified."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from json import JSONDecodeError

from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from adapters.config import Settings

from .bot import TallyTeamsBot, on_turn_error
from .notifier import TeamsNotifier

log = logging.getLogger("tally.teams")


class BotConfig:
    """The attribute names botbuilder's configuration classes look for."""

    def __init__(self, settings: Settings) -> None:
        self.APP_ID = settings.microsoft_app_id
        self.APP_PASSWORD = settings.microsoft_app_password
        self.APP_TYPE = settings.microsoft_app_type
        self.APP_TENANTID = settings.microsoft_app_tenant_id
        if settings.teams_openid_metadata_url:
            # The public cloud's values, with only the signing-key source moved (tests use a local one).
            self.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = settings.teams_openid_metadata_url
            self.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = "https://api.botframework.com"
            self.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = "https://api.botframework.com"
            self.TO_CHANNEL_FROM_BOT_LOGIN_URL = "https://login.microsoftonline.com/botframework.com"

    def __repr__(self) -> str:
        return f"BotConfig(app_id={self.APP_ID!r})"


@dataclass
class TeamsRuntime:
    adapter: CloudAdapter
    bot: TallyTeamsBot
    notifier: TeamsNotifier
    verifies_tokens: bool


TEAMS = web.AppKey("teams", TeamsRuntime)


def make_runtime(settings: Settings, bot: TallyTeamsBot) -> TeamsRuntime:
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(BotConfig(settings)))
    adapter.on_turn_error = on_turn_error
    notifier = TeamsNotifier(adapter, settings.microsoft_app_id, bot.conversations)
    return TeamsRuntime(adapter, bot, notifier, verifies_tokens=bool(settings.microsoft_app_id))


async def messages(request: web.Request) -> web.StreamResponse:
    """Every failure to verify a request is a 401, never a 500; nothing is stored before that."""
    runtime = request.app[TEAMS]
    if "application/json" not in request.headers.get("Content-Type", ""):
        raise web.HTTPUnsupportedMediaType(text="Bot Framework activities are JSON")
    try:
        response = await runtime.adapter.process(request, runtime.bot)
    except web.HTTPException:
        raise
    except JSONDecodeError as exc:
        raise web.HTTPBadRequest(text="not a Bot Framework activity") from exc
    except Exception as exc:
        if runtime.verifies_tokens:
            log.warning("refused a Teams request whose token did not verify (%s)", type(exc).__name__)
            raise web.HTTPUnauthorized() from exc
        log.exception("Teams request failed")
        raise web.HTTPInternalServerError(text="Sorry, something went wrong on our side.") from exc
    return response or web.Response(status=201)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/messages", messages)
