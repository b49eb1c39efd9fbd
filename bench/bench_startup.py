"""Start-up: how long from launching `tally serve` until /healthz answers 200, on a fresh database (migrations
run) and on one already migrated: a restart or a deploy is that long without an answer to Slack or Teams.

Each run launches `python -m adapters.cli serve` (the tree under test; `tally serve` is its console script) as a
subprocess with single-workspace Slack settings, and polls GET /healthz every 5 ms from the moment before the
launch; then stops it with SIGTERM. A run is: a fresh temp SQLite database, the same database again
(migrated), and the anchor, in turn, so the machine's noise falls on all three alike. The anchor: a bare aiohttp
server (`python -c "from aiohttp import web; ..."`, one /healthz handler) timed the same way. Also printed, as a
diagnosis: the time a fresh interpreter takes to import adapters.server (Tally's imports, no database) as `tally
serve` imports it (the garbage collector off), leaving by os._exit: no start waits for the interpreter's teardown.

    flock /tmp/bench.lock .venv/bin/python bench/bench_startup.py [--runs 7] [--postgres]

Target: every start within 3 s. Figures: median and max over the runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import IO

import figures
import tally_process as tp
from bench_slash import REPO_UNDER_TEST, database, tree_version

TARGET_SECONDS = 3.0
NO_SLACK_API = "http://127.0.0.1:9/api/"  # nothing calls Slack before the first request; nothing listens here


def progress(message: str) -> None:
    print(f"[startup {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def time_start(launch: Callable[[int, IO[str]], subprocess.Popen], log: IO[str], health: bool = True) -> float:
    """Seconds from just before the launch until the server answers; the server is stopped afterwards."""
    port = tp.free_port()
    started = time.perf_counter()
    process = launch(port, log)
    try:
        return tp.wait_ready(process, port, health=health, started=started)
    finally:
        if tp.stop(process) not in (0, -15):
            progress(f"warning: the server on port {port} exited with {process.returncode}")


# adapters/cli.py turns the collector off while `tally serve` imports; os._exit skips the teardown (0.3 s or so).
IMPORT_AS_SERVE = "import gc, os; gc.disable(); import adapters.server; os._exit(0)"


def time_import() -> float:
    """A fresh interpreter importing what `tally serve` imports, then leaving: the imports' share of a start."""
    env = tp.tally_env("sqlite://", NO_SLACK_API)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", IMPORT_AS_SERVE], env=env, check=True, cwd=str(REPO_UNDER_TEST))
    return time.perf_counter() - started


def tally_launcher(url: str) -> Callable[[int, IO[str]], subprocess.Popen]:
    return lambda port, log: tp.start_tally(url, NO_SLACK_API, port, log)


def measure(args: argparse.Namespace, tmp: Path) -> dict[str, list[float]]:
    """The seconds of every run, per kind: "<db> fresh", "<db> migrated", "anchor", "import"."""
    times: dict[str, list[float]] = {}
    kinds = ["sqlite", "postgres"] if args.postgres else ["sqlite"]
    with (tmp / "servers.log").open("w") as log:
        for run in range(1, args.runs + 1):
            for kind in kinds:
                with database(kind, tmp) as url:  # a new file, or a throwaway PostgreSQL database
                    times.setdefault(f"{kind} fresh", []).append(time_start(tally_launcher(url), log))
                    times.setdefault(f"{kind} migrated", []).append(time_start(tally_launcher(url), log))
            times.setdefault("anchor", []).append(time_start(tp.start_aiohttp, log))
            times.setdefault("import", []).append(time_import())
            progress(f"run {run}/{args.runs}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()))
    return times


def summary(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f} s / {max(xs):.2f} s"


def figures_of(times: dict[str, list[float]]) -> list[figures.Figure]:
    anchor = f"bare aiohttp {summary(times['anchor'])}"
    out = []
    for kind, xs in times.items():
        if kind in ("anchor", "import"):
            continue
        db, state = kind.split()
        what = "fresh database, migrations run" if state == "fresh" else "already migrated"
        out.append(
            figures.Figure(
                "startup",
                f"{db} {what}: to /healthz 200, median / max of {len(xs)}",
                summary(xs),
                f"< {TARGET_SECONDS:.0f} s (max)",
                anchor,
                max(xs) < TARGET_SECONDS,
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--postgres", action="store_true", help="also start on PostgreSQL (a throwaway database)")
    args = parser.parse_args()
    print(
        f"{date.today()}  Tally tree: {REPO_UNDER_TEST} ({tree_version(REPO_UNDER_TEST)})  {args.runs} runs, "
        f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        times = measure(args, Path(tmp))
    print("\n| what | median | max | runs |\n|---|---|---|---|")
    for kind, xs in times.items():
        name = {"anchor": "bare aiohttp (anchor)", "import": "import adapters.server (diagnosis)"}.get(kind, kind)
        print(f"| {name} | {statistics.median(xs):.2f} s | {max(xs):.2f} s | {len(xs)} |")
    figures.record(figures_of(times))


if __name__ == "__main__":
    main()
