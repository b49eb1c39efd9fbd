"""After a burst of requests, the server gives its freed memory back (adapters/memory.py), and only then."""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp.test_utils import TestServer

from adapters import memory
from adapters.config import Settings
from adapters.server import create_app


async def test_memory_is_trimmed_once_requests_stop(tmp_path, monkeypatch):
    monkeypatch.setattr(memory, "IDLE_SECONDS", 0.3)
    server = TestServer(create_app(Settings(database_url=f"sqlite:///{tmp_path}/t.db")), host="127.0.0.1")
    await server.start_server()
    try:
        activity = server.app[memory.ACTIVITY]
        async with aiohttp.ClientSession() as session, session.get(server.make_url("/healthz")) as resp:
            assert resp.status == 200
        assert not activity.trimmed  # a request was just answered: nothing given back during a burst
        for _ in range(40):
            await asyncio.sleep(0.1)
            if activity.trimmed:
                break
        assert activity.trimmed
    finally:
        await server.close()
