"""Capture as an area fills: the CPU of one new report, in-process, against an area with many open problems.

Each new report is checked against its area's newest 500 open problems ("same as #n?"), and the duplicate check's
window is checked against the database's in the report's own transaction (storage/open_problems.py). An area that
is never cleaned up holds thousands. This runs the real message bus and SQLite unit of work, as the event loop runs
a capture (a unit of work that must not wait), with no HTTP: reports with distinct texts in 12 areas, each holding
`--open` open problems first. Anchor, in the same run: the same reports in areas of 300 open problems.

    flock /tmp/bench.lock .venv/bin/python bench/bench_capture_area.py [--open 4000] [--reports 600]

Printed: CPU per report (process time), and SQLite's five costliest statements per report, by their first words.
No target: the figures show how capture's cost follows an area's size (BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))

AREAS = 12
WORDS = (Path(__file__).parent / "bench_slash.py").read_text().split('WORDS = """')[1].split('"""')[0].split()


def measure(open_per_area: int, reports: int, seed: int) -> tuple[float, dict[str, float]]:
    """CPU ms per report, and per statement kind the ms per report, in a fresh database."""
    import storage.db
    import storage.prepared
    from bot import commands as c
    from bot.bus import MessageBus
    from bot.grammar import parse_problem
    from storage.engine import make_engine
    from storage.migrate import upgrade
    from storage.model import Platform, Problem
    from storage.uow import SqlUnitOfWorkFactory

    rnd = random.Random(seed)

    def text() -> str:
        return " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(4, 9)))

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/capture.db")
        upgrade(engine)
        units = SqlUnitOfWorkFactory(engine)
        bus = MessageBus(units)
        ws, actor = c.WorkspaceRef(Platform.SLACK, "T1"), c.Actor("U1")
        for area in range(1, AREAS + 1):
            bus.run(parse_problem(f"{text()} #area-{area}", ws, actor, None))
        with units() as uow:
            workspace = uow.workspaces.find(Platform.SLACK, "T1")
            assert workspace is not None
            areas = uow.areas.list(workspace.id)
            for n in range(open_per_area * AREAS):
                if n % 10_000 == 0:
                    print(f"  filling: {n:,} / {open_per_area * AREAS:,} open problems", file=sys.stderr)
                number = uow.workspaces.next_problem_number(workspace.id)
                uow.problems.add(Problem(workspace.id, number, text(), area_id=areas[n % AREAS].id))
            uow.commit()
        spent: dict[str, float] = defaultdict(float)
        run = storage.prepared.run

        def timed(prepared, connection, params):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return run(prepared, connection, params)
            finally:
                kind = " ".join(prepared.compiled(connection.dialect).sql.split()[:5])
                spent[kind] += time.perf_counter() - started

        storage.db.run = timed  # the bench's own probe: the statements are timed, not changed
        try:
            started = time.process_time()
            for n in range(reports):
                command = parse_problem(f"{text()} #area-{rnd.randint(1, AREAS)}", ws, actor, f"d{n}")
                result = bus.run(command, wait=False)
                assert not result.failed, result
            cpu = (time.process_time() - started) * 1000 / reports
        finally:
            storage.db.run = run
        engine.dispose()
    return cpu, {kind: seconds * 1000 / reports for kind, seconds in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open", type=int, default=4000, help="open problems in each of the 12 areas")
    parser.add_argument("--reports", type=int, default=600)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    import storage.engine

    storage.engine.STEP_BUDGET = 10**9  # measured whole: on the event loop a longer one would move to a thread
    rows = []
    for open_per_area in (300, args.open):
        print(f"[capture] {open_per_area:,} open problems per area", file=sys.stderr)
        rows.append((open_per_area, *measure(open_per_area, args.reports, args.seed)))
    print(f"\n{args.reports} new reports, 12 areas, SQLite, in-process (no HTTP)\n")
    print("| open problems per area | CPU per report | costliest statements, ms per report |")
    print("|---|---|---|")
    for open_per_area, cpu, kinds in rows:
        top = sorted(kinds.items(), key=lambda kv: -kv[1])[:5]
        shown = "; ".join(f"{kind}: {ms:.3f}" for kind, ms in top)
        label = f"{open_per_area:,}" + (" (anchor)" if open_per_area == 300 else "")
        print(f"| {label} | {cpu:.3f} ms | {shown} |")
    print(f"\n{args.open:,} against 300: {rows[1][1] / rows[0][1]:.2f}x the CPU per report")


if __name__ == "__main__":
    main()
