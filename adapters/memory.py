"""Gives the memory a burst of requests freed back to the system once the burst is over.

glibc keeps what Python and SQLite free inside its heaps for the next allocation, so a server's resident size
stays at its busiest moment's. A second after the last request, `malloc_trim` hands the free pages back; it runs
on a worker thread, and never while requests keep coming.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import time
from collections.abc import AsyncIterator, Callable

from aiohttp import web

IDLE_SECONDS = 1.0


class Activity:
    """When the last request was answered, and whether memory was given back since."""

    def __init__(self) -> None:
        self.last = time.monotonic()
        self.trimmed = True

    def seen(self) -> None:
        self.last = time.monotonic()
        self.trimmed = False

    def idle(self, now: float) -> bool:
        return not self.trimmed and now - self.last >= IDLE_SECONDS


ACTIVITY = web.AppKey("activity", Activity)


def _malloc_trim() -> Callable[[], object] | None:
    """glibc's malloc_trim(0), or None where the C library has none (musl, macOS)."""
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    return lambda: trim(0)


def install(app: web.Application) -> None:
    """Before the app starts: a response signal marks activity, and a task trims after each burst."""
    activity = app[ACTIVITY] = Activity()

    async def mark(_request: web.Request, _response: web.StreamResponse) -> None:
        activity.seen()

    app.on_response_prepare.append(mark)
    app.cleanup_ctx.append(_trimming)


async def _trimming(app: web.Application) -> AsyncIterator[None]:
    trim = _malloc_trim()
    task = asyncio.create_task(_trim_when_idle(app[ACTIVITY], trim)) if trim else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _trim_when_idle(activity: Activity, trim: Callable[[], object]) -> None:
    while True:
        await asyncio.sleep(IDLE_SECONDS)
        if activity.idle(time.monotonic()):
            activity.trimmed = True
            await asyncio.to_thread(trim)
