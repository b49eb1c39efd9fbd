"""Tally's one way out to the Bot Framework Connector: plain JSON over the process's one aiohttp session.

botbuilder's CloudAdapter builds an msrest ConnectorClient, with an HTTP session of its own, on every
turn. Here every reply, update, proactive post and token request goes through one `aiohttp.ClientSession`,
which the app factory opens and closes. The bearer token comes from botbuilder's credentials (the
same app id, password, tenant, login endpoint and scope it would use) and is cached until near expiry.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp
import jwt
from botframework.connector.about import __version__ as botbuilder_version
from botframework.connector.auth import (
    AppCredentials,
    AuthenticationConstants,
    MicrosoftAppCredentials,
    ServiceClientCredentialsFactory,
)
from yarl import URL

log = logging.getLogger("tally.teams.connector")

USER_AGENT = f"Microsoft-BotFramework/3.1 (BotBuilder Python/{botbuilder_version}) Tally"
DEFAULT_TIMEOUT = 30.0  # seconds for one connector or token request
REFRESH_MARGIN = 300.0  # renew a token this many seconds before it expires
FALLBACK_LIFETIME = 600.0  # a token whose expiry can't be read is kept this long (MSAL caches it anyway)
DETAIL_LIMIT = 200


class ConnectorError(Exception):
    """The Bot Framework Connector (or the token endpoint) answered with something other than 2xx.

    Carries the status and the service's error code and message; never the bearer token.
    """

    def __init__(self, status: int, operation: str, detail: str = "", retry_after: float | None = None) -> None:
        self.status = status
        self.operation = operation
        self.detail = detail
        self.retry_after = retry_after  # seconds, from a 429's Retry-After
        super().__init__(f"{operation} failed: HTTP {status}" + (f" ({detail})" if detail else ""))


class TokenProvider(Protocol):
    async def token(self, session: aiohttp.ClientSession) -> str | None:
        """A bearer token for the connector, or None when requests go unauthenticated (the Emulator)."""

    def invalidate(self) -> None:
        """Forget the cached token (the connector refused it)."""


class NoCredentials:
    """Emulator mode: no app id, so no Authorization header."""

    async def token(self, session: aiohttp.ClientSession) -> str | None:
        return None

    def invalidate(self) -> None:
        return None


class BotFrameworkCredentials:
    """Bot-to-channel bearer tokens from botbuilder's credentials, cached until `margin` before expiry.

    botbuilder's credentials factory decides who Tally is and where it logs in (public, government or
    a private cloud; MultiTenant or SingleTenant). For app-id-and-password credentials Tally asks that
    login endpoint itself (the OAuth 2 client credentials grant MSAL would send), on the shared session;
    any other kind (certificate, managed identity) gets its blocking `get_access_token()` called in a
    worker thread, off the event loop.
    """

    def __init__(
        self,
        factory: ServiceClientCredentialsFactory,
        app_id: str,
        *,
        oauth_scope: str = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
        login_endpoint: str = AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX,
        margin: float = REFRESH_MARGIN,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.factory = factory
        self.app_id = app_id
        self.oauth_scope = oauth_scope
        self.login_endpoint = login_endpoint
        self.margin = margin
        self.timeout = timeout
        self.clock = clock
        self._credentials: AppCredentials | None = None
        self._token: str | None = None
        self._expires = 0.0  # on `clock`
        self._lock = asyncio.Lock()
        self.fetches = 0  # how many tokens were requested: tests check the cache

    def __repr__(self) -> str:  # the token stays out of reprs and tracebacks
        return f"BotFrameworkCredentials(app_id={self.app_id!r}, login={self.login_endpoint!r})"

    def _fresh(self) -> str | None:
        return self._token if self._token and self.clock() < self._expires - self.margin else None

    async def token(self, session: aiohttp.ClientSession) -> str | None:
        if not self.app_id:
            return None
        if cached := self._fresh():
            return cached
        async with self._lock:  # one request for a new token, however many turns are waiting
            if cached := self._fresh():
                return cached
            self._token, lifetime = await self._fetch(session)
            self._expires = self.clock() + lifetime
            self.fetches += 1
            return self._token

    def invalidate(self) -> None:
        self._token = None
        self._expires = 0.0

    async def _fetch(self, session: aiohttp.ClientSession) -> tuple[str, float]:
        if self._credentials is None:
            self._credentials = await self.factory.create_credentials(
                self.app_id, self.oauth_scope, self.login_endpoint, True
            )
        credentials = self._credentials
        if isinstance(credentials, MicrosoftAppCredentials) and credentials.microsoft_app_password:
            return await self._client_credentials(session, credentials)
        token = await asyncio.to_thread(credentials.get_access_token)
        return token, _lifetime_of(token)

    async def _client_credentials(
        self, session: aiohttp.ClientSession, credentials: MicrosoftAppCredentials
    ) -> tuple[str, float]:
        scope = credentials.oauth_scope
        if not scope.endswith("/.default"):
            scope += "/.default"
        url = credentials.oauth_endpoint.rstrip("/") + AuthenticationConstants.TO_CHANNEL_FROM_BOT_TOKEN_ENDPOINT_PATH
        form = {
            "grant_type": "client_credentials",
            "client_id": credentials.microsoft_app_id,
            "client_secret": credentials.microsoft_app_password,
            "scope": scope,
        }
        async with session.post(url, data=form, timeout=aiohttp.ClientTimeout(total=self.timeout)) as resp:
            data = await _json_or_empty(resp)
            if resp.status >= 300 or not isinstance(data.get("access_token"), str):
                raise ConnectorError(resp.status, "Bot Framework token request", _token_error(data))
        try:
            lifetime = float(data.get("expires_in") or 3600)
        except (TypeError, ValueError):
            lifetime = FALLBACK_LIFETIME
        return data["access_token"], lifetime


def _lifetime_of(token: str) -> float:
    """Seconds until a JWT's `exp` (read, not verified: it is our own token, fresh from the login service)."""
    try:
        exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
        return max(0.0, float(exp) - time.time()) if exp else FALLBACK_LIFETIME
    except (jwt.PyJWTError, TypeError, ValueError):
        return FALLBACK_LIFETIME


def _token_error(data: dict[str, Any]) -> str:
    error = str(data.get("error") or "no token in the answer")
    description = str(data.get("error_description") or "").splitlines()[0] if data.get("error_description") else ""
    return f"{error}: {description}"[:DETAIL_LIMIT] if description else error[:DETAIL_LIMIT]


async def _json_or_empty(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    return _parse(await resp.text(errors="replace"))


def _parse(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _error_detail(data: dict[str, Any], text: str) -> str:
    error = data.get("error")
    if isinstance(error, dict):  # the connector's {"error": {"code": ..., "message": ...}}
        return " ".join(str(error.get(k)) for k in ("code", "message") if error.get(k))[:DETAIL_LIMIT]
    if error:
        return str(error)[:DETAIL_LIMIT]
    return " ".join(text.split())[:DETAIL_LIMIT]


def conversations_url(service_url: str, *segments: str) -> URL:
    """{serviceUrl}/v3/conversations/{id}/…, every segment quoted whole: Teams ids hold ':', ';' and '@'."""
    if not service_url:
        raise ValueError("an activity with no serviceUrl can't be answered")
    path = "".join("/" + quote(segment, safe="") for segment in segments)
    return URL(service_url.rstrip("/") + "/v3/conversations" + path, encoded=True)


class TeamsConnector:
    """The Connector REST calls Tally makes, on one session, with a bearer token when it has an app id.

    `session` is the process's shared session, owned (opened and closed) by the app factory. Passing
    None makes the connector open one itself on first use and close it in `close()`: a stopgap until
    the app factory hands the shared one in.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession | None,
        credentials_provider: TokenProvider | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._session = session
        self._owns_session = session is None
        self.credentials = credentials_provider or NoCredentials()
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or (self._owns_session and self._session.closed):
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        """Closes the session only if this connector opened it."""
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()

    async def send_to_conversation(
        self, service_url: str, conversation_id: str, activity: dict[str, Any]
    ) -> str | None:
        """POST /v3/conversations/{id}/activities: a new message in the conversation. Returns its id."""
        url = conversations_url(service_url, conversation_id, "activities")
        return _id(await self._call("send_to_conversation", "POST", url, activity))

    async def reply_to_activity(
        self, service_url: str, conversation_id: str, reply_to_id: str, activity: dict[str, Any]
    ) -> str | None:
        """POST /v3/conversations/{id}/activities/{replyToId}: a reply to a message. Returns the reply's id."""
        url = conversations_url(service_url, conversation_id, "activities", reply_to_id)
        return _id(await self._call("reply_to_activity", "POST", url, activity))

    async def update_activity(
        self, service_url: str, conversation_id: str, activity_id: str, activity: dict[str, Any]
    ) -> str | None:
        """PUT /v3/conversations/{id}/activities/{activityId}: replace a message Tally sent (a card, in place)."""
        url = conversations_url(service_url, conversation_id, "activities", activity_id)
        return _id(await self._call("update_activity", "PUT", url, activity))

    async def delete_activity(self, service_url: str, conversation_id: str, activity_id: str) -> None:
        """DELETE /v3/conversations/{id}/activities/{activityId}."""
        url = conversations_url(service_url, conversation_id, "activities", activity_id)
        await self._call("delete_activity", "DELETE", url, None)

    async def create_conversation(self, service_url: str, tenant_id: str, bot: dict[str, Any], user_id: str) -> str:
        """POST /v3/conversations: open (or find) the 1:1 chat between Tally and a person. Returns its id."""
        body = {
            "bot": bot,
            "members": [{"id": user_id}],
            "isGroup": False,
            "tenantId": tenant_id,
            "channelData": {"tenant": {"id": tenant_id}},
        }
        data = await self._call("create_conversation", "POST", conversations_url(service_url), body)
        conversation_id = _id(data)
        if not conversation_id:
            raise ConnectorError(200, "create_conversation", "the answer held no conversation id")
        return conversation_id

    async def get_member(self, service_url: str, conversation_id: str, member_id: str) -> dict[str, Any]:
        """GET /v3/conversations/{id}/members/{member}: a member's Entra object id, which a mention lacks."""
        url = conversations_url(service_url, conversation_id, "members", member_id)
        return await self._call("get_member", "GET", url, None)

    async def upload(self, upload_url: str, content: bytes) -> None:
        """PUT a file whole to the upload URL Teams gave once the person accepted it (their OneDrive). The URL is
        pre-authorised: Tally's bearer token must never go there."""
        size = len(content)
        headers = {"User-Agent": USER_AGENT, "Content-Range": f"bytes 0-{max(0, size - 1)}/{size}"}
        async with self.session.put(upload_url, data=content, headers=headers, timeout=self.timeout) as resp:
            if resp.status >= 300:
                text = await resp.text(errors="replace")
                raise ConnectorError(resp.status, "upload", _error_detail(_parse(text), text))

    async def _call(self, operation: str, method: str, url: URL, body: dict[str, Any] | None) -> dict[str, Any]:
        """One request; a token the connector refuses is renewed and the request tried once more.

        Errors name the operation, not the URL: a personal chat's id would say who was written to.
        """
        for attempt in (1, 2):
            token = await self.credentials.token(self.session)
            headers = {"User-Agent": USER_AGENT}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            async with self.session.request(method, url, json=body, headers=headers, timeout=self.timeout) as resp:
                text = await resp.text(errors="replace")
                if resp.status < 300:
                    return _parse(text)
                if resp.status == 401 and token and attempt == 1:
                    log.info("the Bot Framework connector refused Tally's token; getting a new one")
                    self.credentials.invalidate()
                    continue
                raise ConnectorError(
                    resp.status, operation, _error_detail(_parse(text), text), _seconds(resp.headers.get("Retry-After"))
                )
        raise AssertionError("unreachable")


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: the caller's own back-off applies


def _id(data: dict[str, Any]) -> str | None:
    value = data.get("id")
    return str(value) if value else None
