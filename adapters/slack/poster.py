"""chat.postMessage for a capture's card, straight over the process's HTTP session.

Every new report posts one card, before Slack gets its answer. Through slack_sdk's AsyncWebClient the call cost
about as much CPU as the rest of the answer (a client per request, a response object, argument checks and
logging: 10-20% of the event loop under load, bench/bench_slash.py); the request itself is one JSON POST. What
Slack receives is the same, and it goes the same way: the JSON body with the client's default parameters (a
team_id), the bearer token, a User-Agent and the client's own headers, through the client's proxy (HTTPS_PROXY)
and SSL context, and slack_sdk's one retry when the connection fails before an answer. Any other Web API call
still goes through slack_sdk.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.internal_utils import get_user_agent

TIMEOUT = aiohttp.ClientTimeout(total=30)  # slack_sdk's own default
USER_AGENT = get_user_agent()
CONNECTION_RETRIES = 1  # as slack_sdk's default retry handler: once, when the connection fails before an answer
RETRIED = (aiohttp.ServerConnectionError, aiohttp.ClientOSError)  # the errors that handler retries on


class SlackAnswer(dict):
    """A Web API answer as SlackApiError carries it (`exc.response.get("error")`, `exc.response["ok"]`)."""

    def __init__(self, body: dict[str, Any], status: int) -> None:
        super().__init__(body)
        self.status_code = status


async def post_message(session: aiohttp.ClientSession, client: AsyncWebClient, payload: dict[str, Any]) -> SlackAnswer:
    """Raises SlackApiError when Slack says no (not_in_channel, ratelimited ...), as slack_sdk would."""
    headers = {"Content-Type": "application/json;charset=utf-8", "User-Agent": USER_AGENT, **(client.headers or {})}
    if client.token:
        headers["Authorization"] = f"Bearer {client.token}"
    body = json.dumps({**(client.default_params or {}), **payload})
    url = urljoin(client.base_url, "chat.postMessage")
    for attempt in range(CONNECTION_RETRIES + 1):
        try:
            async with session.post(
                url, data=body, headers=headers, timeout=TIMEOUT, proxy=client.proxy, ssl=_ssl(client)
            ) as response:
                answer = SlackAnswer(_as_object(await response.read()), response.status)
                break
        except RETRIED:
            if attempt == CONNECTION_RETRIES:
                raise
    if not answer.get("ok"):
        raise SlackApiError(f"The request to the Slack API failed. (url: {url})", answer)
    return answer


def _as_object(raw: bytes) -> dict[str, Any]:
    """A body that isn't a JSON object (a proxy's error page) is a failed call, as slack_sdk reads it."""
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    return body if isinstance(body, dict) else {"ok": False, "error": "invalid_response"}


def _ssl(client: AsyncWebClient) -> Any:
    """The client's SSL context, or aiohttp's default checks (None would be read as 'no verification')."""
    return client.ssl if client.ssl is not None else True
