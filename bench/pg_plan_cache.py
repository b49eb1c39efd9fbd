"""How PostgreSQL's plan cache setting moves a command's time as the database grows.

psycopg prepares a statement on the server at its fifth run; PostgreSQL then plans it for its values for five runs
and may switch to one generic plan for any values. Tally sets `plan_cache_mode = force_custom_plan` on each
connection (storage/engine.py). This runs the real message bus and PostgreSQL unit of work, in process, with
bench_slash.py's mix (`the_mix`: 60% new problems in 12 areas, 30% `again`, 10% `list`) on a throwaway database,
and times 500 commands at each size, with the setting given (`tally` leaves Tally's own; anything else is SET on each connection
after it, e.g. PostgreSQL's default, `auto`, as the anchor).

    .venv/bin/python bench/pg_plan_cache.py --mode auto --sizes 1000,12000
    .venv/bin/python bench/pg_plan_cache.py --mode tally --sizes 1000,12000

Printed: wall and CPU time per command at each size. No target (BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_slash import the_mix  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bot import commands as c  # noqa: E402
from bot.bus import MessageBus  # noqa: E402
from bot.grammar import parse_problem  # noqa: E402
from storage.model import Platform  # noqa: E402
from storage.uow import SqlUnitOfWorkFactory  # noqa: E402
from tests.databases import migrated_engine  # noqa: E402

MODES = ("tally", "auto", "force_custom_plan", "force_generic_plan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=MODES, default="tally")
    parser.add_argument("--sizes", default="1000,12000", help="commands run before each timing, comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    ws = c.WorkspaceRef(platform=Platform.SLACK, external_id="T1")
    actor = c.Actor("U1", is_admin=False)
    sent = 0

    def run(bus: MessageBus, commands: int) -> None:
        """`commands` of the mix, whose repeats name any problem reported so far (about 60% of those sent)."""
        nonlocal sent
        for request in the_mix(commands, rng, seeded=max(1, sent * 3 // 5)):
            sent += 1
            bus.run(parse_problem(request.text, ws, actor, f"d{sent}"))

    with tempfile.TemporaryDirectory() as folder, migrated_engine("postgres", Path(folder)) as engine:
        if args.mode != "tally":

            def setting(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
                dbapi_connection.execute(f"SET plan_cache_mode = {args.mode}")
                dbapi_connection.commit()

            event.listen(engine, "connect", setting)
            engine.dispose()
        bus = MessageBus(SqlUnitOfWorkFactory(engine))
        for size in (int(s) for s in args.sizes.split(",")):
            while sent < size:
                run(bus, min(500, size - sent))
            started, cpu = time.perf_counter(), time.process_time()
            run(bus, 500)
            wall_ms = (time.perf_counter() - started) / 500 * 1000
            cpu_ms = (time.process_time() - cpu) / 500 * 1000
            print(f"plan_cache_mode {args.mode} at {size:,} commands: {wall_ms:.2f} ms a command, {cpu_ms:.2f} ms CPU")


if __name__ == "__main__":
    main()
