"""Where a digest's time goes on the generated organisation: each statement it runs, timed, and the plans of the
slowest, so a regression shows which query began reading the history. Used by `bench_digest.py --explain`."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


def explain(engine: Engine, build: Callable[[], object], slowest: int = 3) -> None:
    """Runs `build` once with every statement timed; prints them, then the plans of the `slowest`, to stderr."""
    ran: list[tuple[float, str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        conn.info["tally_started"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        ran.append(((time.perf_counter() - conn.info.pop("tally_started")) * 1000, statement, params))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        started = time.perf_counter()
        build()
        total = (time.perf_counter() - started) * 1000
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    print(f"  one digest: {total:.1f} ms, of which SQL {sum(ms for ms, _, _ in ran):.1f} ms", file=sys.stderr)
    for ms, statement, _ in ran:
        print(f"    {ms:7.2f} ms  {' '.join(statement.split())[:110]}", file=sys.stderr)
    prefix = "EXPLAIN ANALYZE " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    with engine.connect() as conn:
        for ms, statement, params in sorted(ran, key=lambda r: r[0], reverse=True)[:slowest]:
            print(f"  plan of the {ms:.2f} ms statement {' '.join(statement.split())[:70]}…", file=sys.stderr)
            for row in conn.exec_driver_sql(prefix + statement, params):
                print(f"      {row[-1]}", file=sys.stderr)
