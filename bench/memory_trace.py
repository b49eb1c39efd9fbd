"""bench_memory's diagnosis (--trace DIR): `tally serve` under tracemalloc, a snapshot and a count of live objects
by type at every checkpoint, and what grew between two of them, by source line, so growth is found, not guessed."""

from __future__ import annotations

import json
import os
import signal
import time
import tracemalloc
from collections import Counter
from pathlib import Path

# Runs adapters.cli.main as `-m adapters.cli` would, with tracemalloc on and SIGUSR1 dumping a snapshot.
RUNNER = """
import collections, gc, json, os, signal, sys, tracemalloc
tracemalloc.start(int(os.environ.get("TALLY_BENCH_TRACE_FRAMES", "1")))
OUT = os.environ["TALLY_BENCH_TRACE_DIR"]
taken = 0
def dump(signum, frame):
    global taken
    taken += 1
    gc.collect()
    tracemalloc.take_snapshot().dump(os.path.join(OUT, f"snap-{taken}.pickle"))
    counts = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
    with open(os.path.join(OUT, f"snap-{taken}.tmp"), "w") as f:
        json.dump(dict(counts), f)
    os.replace(os.path.join(OUT, f"snap-{taken}.tmp"), os.path.join(OUT, f"snap-{taken}.json"))
signal.signal(signal.SIGUSR1, dump)
from adapters.cli import main
sys.exit(main(sys.argv[1:]))
"""


def runner(out: Path, frames: int) -> tuple[str, ...]:
    """The interpreter arguments for tally_process.start_tally; the environment it reads is set here."""
    out.mkdir(parents=True, exist_ok=True)
    os.environ["TALLY_BENCH_TRACE_DIR"] = str(out)
    os.environ["TALLY_BENCH_TRACE_FRAMES"] = str(frames)
    return ("-c", RUNNER)


class Snapshots:
    """Asks the traced process for a snapshot (SIGUSR1) and waits for it, keeping which checkpoint it was."""

    def __init__(self, pid: int, out: Path) -> None:
        self.pid, self.out = pid, out
        self.taken: list[tuple[str, Path]] = []

    def take(self, label: str, limit: float = 300.0) -> None:
        n = len(self.taken) + 1
        os.kill(self.pid, signal.SIGUSR1)
        done = self.out / f"snap-{n}.json"
        started = time.monotonic()
        while not done.exists():
            if time.monotonic() - started > limit:
                raise RuntimeError(f"no snapshot from {self.pid} within {limit:.0f} s")
            time.sleep(0.1)
        self.taken.append((label, self.out / f"snap-{n}"))

    def report(self, first: str, last: str, top: int = 25) -> str:
        """What grew between two checkpoints: tracemalloc by line (and traceback), live objects by type."""
        paths = dict(self.taken)
        old, new = paths[first], paths[last]
        before = tracemalloc.Snapshot.load(f"{old}.pickle")
        after = tracemalloc.Snapshot.load(f"{new}.pickle")
        frames = len(after.traces[0].traceback) if after.traces else 1
        lines = [f"tracemalloc, {first} -> {last}: traced {_mb(before)} -> {_mb(after)} MB; top growth by line"]
        for stat in after.compare_to(before, "lineno")[:top]:
            lines.append(f"  {stat.size_diff / 1e6:+8.3f} MB {stat.count_diff:+8d} blocks  {stat.traceback[0]}")
        if frames > 1:
            lines.append("top growth by traceback (innermost last):")
            for stat in after.compare_to(before, "traceback")[:5]:
                lines.append(f"  {stat.size_diff / 1e6:+8.3f} MB {stat.count_diff:+8d} blocks")
                lines += [f"      {frame}" for frame in stat.traceback.format()[-2 * frames :] if frame.strip()]
        counts_before = Counter(json.loads(Path(f"{old}.json").read_text()))
        counts_after = Counter(json.loads(Path(f"{new}.json").read_text()))
        grown = Counter({k: counts_after[k] - counts_before.get(k, 0) for k in counts_after})
        lines.append(f"live objects (gc-tracked) by type, {first} -> {last}, most grown:")
        lines += [f"  {diff:+8d}  {name} ({counts_after[name]})" for name, diff in grown.most_common(top) if diff > 0]
        return "\n".join(lines)


def _mb(snapshot: tracemalloc.Snapshot) -> str:
    return f"{sum(t.size for t in snapshot.traces) / 1e6:.1f}"
