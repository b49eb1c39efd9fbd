"""This process's SQLite writers, one at a time: worker threads queue on a lock, and the event loop, which must
never block, is told when the lock frees instead.

A capture that finds another writer of this process mid-write used to go to a worker thread. Under load that
fed itself: the thread held the lock while it waited for the interpreter (the loop holds it for up to 5 ms at a
time), so the next captures found it held too and followed it onto threads; at concurrency 20, 2,207 of 2,700
captures ran on threads, fighting the loop for the interpreter. Waiting on the loop for the lock to free costs a
wake-up instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading


class Writers:
    """A lock for this process's writers that the event loop can wait for without blocking."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._guard = threading.Lock()  # the waiters' list, and the lock's state as they read it
        self._waiting: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def acquire(self, blocking: bool = True) -> bool:
        return self._lock.acquire(blocking=blocking)

    def release(self) -> None:
        self._lock.release()
        with self._guard:
            waiting, self._waiting = self._waiting, []
        for loop, freed in waiting:
            with contextlib.suppress(RuntimeError):  # its loop closed (shutdown): nobody is waiting any more
                loop.call_soon_threadsafe(_wake, freed)

    async def until_free(self) -> None:
        """Returns once no writer of this process holds the lock (another may take it before the caller does)."""
        loop = asyncio.get_running_loop()
        freed: asyncio.Future[None] = loop.create_future()
        with self._guard:
            if not self._lock.locked():  # let go between the caller's try and now
                return
            self._waiting.append((loop, freed))
        await freed


def _wake(freed: asyncio.Future[None]) -> None:
    if not freed.done():  # its request may have been cancelled meanwhile
        freed.set_result(None)
