"""A card replaced in place (a vote's count) shows the newest committed change, whatever order answers come in.

The core stamps each outcome with the order its changes were committed in (`Outcome.sequence`). Answers come back
from worker threads in any order, so each platform's outbox notes the newest stamp per message as the answer
arrives, and sends a replacement only while no newer one has been noted, one at a time per message.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable

NEWEST_KEPT = 10_000  # messages whose newest committed answer is remembered (a vote's card: a few bytes each)


class NewestOnly:
    """Kept after a replacement is sent: an older answer can still come back later from another worker thread."""

    def __init__(self, kept: int = NEWEST_KEPT) -> None:
        self.kept = kept
        self._newest: OrderedDict[Hashable, int] = OrderedDict()
        self._sending: dict[Hashable, asyncio.Lock] = {}

    def note(self, message: Hashable, stamp: int) -> None:
        """As the answer arrives, before anything is sent for it."""
        if not stamp:
            return
        self._newest[message] = max(stamp, self._newest.get(message, 0))
        self._newest.move_to_end(message)
        while len(self._newest) > self.kept:
            self._newest.popitem(last=False)

    async def send(self, message: Hashable, stamp: int, replace: Callable[[], Awaitable[object]]) -> bool:
        """Runs `replace` unless a newer answer for the message was noted; False when it was skipped."""
        if not stamp:
            await replace()
            return True
        lock = self._sending.setdefault(message, asyncio.Lock())
        try:
            async with lock:
                if self._newest.get(message, stamp) > stamp:
                    return False
                await replace()
                return True
        finally:
            if not lock.locked():
                self._sending.pop(message, None)
