"""Work that outlives a request (posts, notifications): tracked, so shutdown waits for it to finish."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("tally.tasks")


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(self._guarded(work, what))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @staticmethod
    async def _guarded(work: Coroutine[Any, Any, Any], what: str) -> None:
        try:
            await work
        except Exception:  # noqa: BLE001 - nobody awaits this task: log it, never lose it silently
            log.exception("background work failed: %s", what)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for everything still running (at shutdown, and in tests)."""
        while self._tasks:
            done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            if pending and not done:
                log.warning("%d background tasks still running at shutdown; cancelling them", len(pending))
                for task in pending:
                    task.cancel()
                return

    def __len__(self) -> int:
        return len(self._tasks)
