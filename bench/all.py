"""`make bench`: every bench script in turn, then one table of all their figures (figure, target, anchor, verdict)
and how many targets were met, so one command says where Tally stands against its performance targets.

Each script runs as its own process with TALLY_BENCH_RESULTS naming a temp file, where bench/figures.record
appends what it measured; its own output passes straight through. Missing scripts are skipped with a note.
Options are passed to a script only when its --help lists them, so scripts can change without breaking this.

    flock /tmp/bench.lock .venv/bin/python bench/all.py            # full sizes, SQLite and PostgreSQL
    flock /tmp/bench.lock .venv/bin/python bench/all.py --quick    # small sizes, SQLite only: a smoke run

Take the lock around the whole run (as above), not inside: the scripts here do not take it.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import figures

BENCH = Path(__file__).resolve().parent

# Per script: the options for a full run, and for --quick. An option is passed only if the script accepts it.
SCRIPTS: dict[str, tuple[list[str], list[str]]] = {
    "bench_slash.py": (["--requests", "2000", "--concurrency", "1,20"], ["--requests", "200", "--concurrency", "1,20"]),
    "bench_teams.py": ([], ["--requests", "200"]),
    "bench_digest.py": ([], ["--occurrences", "200000", "--small", "20000", "--runs", "3"]),
    "bench_memory.py": (["--marks", "20000,100000"], ["--marks", "2000,5000", "--step", "0"]),
    "bench_startup.py": (["--runs", "7"], ["--runs", "2"]),
}


def accepted(script: Path) -> str:
    """The script's --help text: which options it takes today."""
    done = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, check=False)
    return done.stdout


def options(wanted: list[str], help_text: str) -> tuple[list[str], list[str]]:
    """The options (with their values) the script accepts, and the ones it does not."""
    kept: list[str] = []
    dropped: list[str] = []
    i = 0
    while i < len(wanted):
        name = wanted[i]
        has_value = i + 1 < len(wanted) and not wanted[i + 1].startswith("--")
        group = wanted[i : i + 2] if has_value else [name]
        takes = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", help_text) is not None
        (kept if takes else dropped).extend(group)
        i += len(group)
    return kept, dropped


def run_all(args: argparse.Namespace, results: Path) -> list[str]:
    """Runs every script; returns the notes (skipped, failed, recorded nothing) for the summary."""
    notes = []
    env = {**os.environ, figures.RESULTS: str(results)}
    postgres = args.postgres if args.postgres is not None else not args.quick
    for name, (full, quick) in SCRIPTS.items():
        if args.only and name.removeprefix("bench_").removesuffix(".py") not in args.only.split(","):
            continue
        script = BENCH / name
        if not script.exists():
            notes.append(f"{name}: skipped, there is no such script")
            continue
        help_text = accepted(script)
        kept, dropped = options((quick if args.quick else full) + (["--postgres"] if postgres else []), help_text)
        if dropped:
            notes.append(f"{name}: does not take {' '.join(dropped)}; ran without")
        print(f"\n=== {name} {' '.join(kept)}", flush=True)
        before = len(figures.read(results))
        started = time.perf_counter()
        code = subprocess.run([sys.executable, str(script), *kept], env=env, check=False).returncode
        took = time.perf_counter() - started
        print(f"=== {name}: exit {code} after {took:.0f} s", flush=True)
        if code != 0:
            notes.append(f"{name}: FAILED with exit code {code}")
        elif len(figures.read(results)) == before:
            notes.append(f"{name}: recorded no figures (see its own output above)")
    return notes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a fast smoke run")
    parser.add_argument(
        "--postgres",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="pass --postgres to the scripts that take it (default: yes, but not with --quick)",
    )
    parser.add_argument("--only", default="", help="comma-separated names, e.g. memory,startup")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "figures.jsonl"
        notes = run_all(args, results)
        found = figures.read(results)
    print("\n## All figures\n")
    print(figures.table(found))
    met = sum(f.met for f in found)
    print(f"\n{met} met, {len(found) - met} missed, of {len(found)} figures")
    for note in notes:
        print(f"- {note}")
    return 1 if any("FAILED" in note for note in notes) else 0


if __name__ == "__main__":
    sys.exit(main())
