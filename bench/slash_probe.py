"""Timing probes for bench_slash.py --probe, installed in the server process only (no code outside bench/ changes).

- every `asyncio.to_thread` call: how long it queued for a worker thread, and how long it ran there;
- every SQL statement (SQLAlchemy cursor events, on every engine): time by statement kind, e.g.
  `BEGIN IMMEDIATE` (on SQLite, the wait for the write lock) or `UPDATE workspaces` (on PostgreSQL, the
  wait for the workspace row's lock is inside it);
- every COMMIT (DefaultDialect.do_commit).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import re
import threading
import time
from collections import defaultdict
from typing import Any

_lock = threading.Lock()
_samples: dict[str, list[float]] = defaultdict(list)
_WORDS = re.compile(r"\s+")


def _add(key: str, ms: float) -> None:
    with _lock:
        _samples[key].append(ms)


def _kind(statement: str) -> str:
    words = _WORDS.split(statement.strip(), 8)
    head = words[0].upper()
    if head == "BEGIN":
        return " ".join(words[:2]).upper()
    if head in ("UPDATE",):
        return f"UPDATE {words[1]}"
    if head == "INSERT":
        return f"INSERT {words[2]}"
    if head in ("SELECT", "WITH"):
        low = statement.lower()
        match = re.search(r"\bfrom\s+(\w+)", low)
        return f"SELECT {match.group(1) if match else '?'}"
    return head


def install() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.engine.default import DefaultDialect

    @event.listens_for(Engine, "before_cursor_execute")
    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        conn.info.setdefault("probe_started", []).append(time.perf_counter())

    @event.listens_for(Engine, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        started = conn.info["probe_started"].pop()
        _add("sql " + _kind(statement), (time.perf_counter() - started) * 1000)

    commit = DefaultDialect.do_commit

    def do_commit(self, dbapi_connection):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return commit(self, dbapi_connection)
        finally:
            _add("sql COMMIT", (time.perf_counter() - started) * 1000)

    DefaultDialect.do_commit = do_commit  # type: ignore[method-assign]

    async def to_thread(func, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        loop = asyncio.get_running_loop()
        ctx = contextvars.copy_context()
        queued = time.perf_counter()
        name = getattr(func, "__qualname__", repr(func))

        def timed() -> Any:
            started = time.perf_counter()
            _add(f"to_thread queue ({name})", (started - queued) * 1000)
            try:
                return ctx.run(func, *args, **kwargs)
            finally:
                _add(f"to_thread run ({name})", (time.perf_counter() - started) * 1000)

        return await loop.run_in_executor(None, functools.partial(timed))

    asyncio.to_thread = to_thread  # type: ignore[assignment]


def clear() -> None:
    with _lock:
        _samples.clear()


def summary() -> list[tuple[str, int, float, float, float, float]]:
    """(what, count, total ms, p50, p99, max), the most total time first."""
    out = []
    with _lock:
        items = {k: sorted(v) for k, v in _samples.items()}
    for key, xs in items.items():
        n = len(xs)
        out.append((key, n, sum(xs), xs[n // 2], xs[min(n - 1, int(0.99 * n))], xs[-1]))
    return sorted(out, key=lambda row: -row[2])
