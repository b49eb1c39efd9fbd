"""What PostgreSQL is sent for each command of the slash mix: statements, statements parsed afresh, round trips.

On PostgreSQL every round trip of a unit of work is a wait on a worker thread, and each wait ends by taking the
interpreter back from the event loop: under load, the fewer the better. This runs the real message bus and
PostgreSQL unit of work on a throwaway database (as a writer thread runs them), with bench_slash.py's mix
(`the_mix`: 60% new problems with an area, 30% `again`, 10% `list`), and reads what went over the wire from libpq's own protocol trace
(PQtrace): Bind messages are statements, Parse messages statements psycopg hadn't prepared on the server yet, and
each Sync or simple Query (BEGIN, COMMIT) is a round trip.

    .venv/bin/python bench/pg_round_trips.py [--commands 1000]

Printed: per command kind, the messages per command, and the CPU per command in this process. No target: the
figures show where a command's round trips go (BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
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

KINDS = ("Query", "Parse", "Bind", "Sync")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    ws = c.WorkspaceRef(platform=Platform.SLACK, external_id="T1")
    actor = c.Actor("U1", is_admin=False)

    warm = the_mix(300, rng, seeded=50)  # problems to repeat, and psycopg's statements prepared, as in a server
    timed = the_mix(args.commands, rng, seeded=150)

    def command(i: int, text: str) -> c.Command:
        return parse_problem(text, ws, actor, f"d{i}")

    with tempfile.TemporaryDirectory() as folder, migrated_engine("postgres", Path(folder)) as engine:
        trace = open(Path(folder) / "trace.log", "w+")  # noqa: SIM115 - libpq writes to its descriptor
        event.listen(engine, "connect", lambda dbapi, _record: dbapi.pgconn.trace(trace.fileno()))
        engine.dispose()  # every connection from here on is traced
        bus = MessageBus(SqlUnitOfWorkFactory(engine))
        for i, request in enumerate(warm):
            bus.run(command(i, request.text))
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        commands: Counter[str] = Counter()
        cpu: Counter[str] = Counter()
        for i, request in enumerate(timed):
            todo = command(len(warm) + i, request.text)
            kind = type(todo).__name__
            trace.flush()
            start = os.fstat(trace.fileno()).st_size
            began = time.process_time()
            bus.run(todo)
            cpu[kind] += time.process_time() - began
            trace.flush()
            trace.seek(start)
            for line in trace.read().splitlines():
                parts = line.split("\t")
                if len(parts) > 3 and parts[1] == "F":
                    counts[kind][parts[3].split(" ")[0]] += 1
            commands[kind] += 1
        trace.close()

    print(f"{args.commands} commands of the slash mix, PostgreSQL, per command (libpq's protocol trace):")
    print("| command | n | statements | parsed afresh | round trips | CPU (trace on) |")
    print("|---|---|---|---|---|---|")
    for kind, n in commands.most_common():
        sent = counts[kind]
        trips = sent["Sync"] + sent["Query"]
        print(
            f"| {kind} | {n} | {sent['Bind'] / n:.2f} | {sent['Parse'] / n:.2f} | {trips / n:.2f} "
            f"| {cpu[kind] / n * 1000:.2f} ms |"
        )
    total = sum(commands.values())
    everything: Counter[str] = sum(counts.values(), Counter())
    print(
        f"| all | {total} | {everything['Bind'] / total:.2f} | {everything['Parse'] / total:.2f} "
        f"| {(everything['Sync'] + everything['Query']) / total:.2f} | {sum(cpu.values()) / total * 1000:.2f} ms |"
    )


if __name__ == "__main__":
    main()
