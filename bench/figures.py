"""The figures every bench script reports, in one shape, so that `make bench` can print one table: figure, target,
anchor, verdict. Each script prints its own; when TALLY_BENCH_RESULTS names a file, it also appends them there,
one JSON object per line, for bench/all.py to gather."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS = "TALLY_BENCH_RESULTS"


@dataclass(frozen=True)
class Figure:
    bench: str  # which script: "slash", "teams", "digest", "memory", "startup"
    name: str  # what was measured, e.g. "SQLite c=20 p99"
    value: str  # as measured, with its unit, e.g. "166 ms"
    target: str  # e.g. "< 100 ms", "<= 3x anchor"
    anchor: str  # the anchor measured in the same run, e.g. "bare Bolt 12.6 ms"; "-" when there is none
    met: bool

    @property
    def verdict(self) -> str:
        return "met" if self.met else "MISSED"


def table(figures: Iterable[Figure]) -> str:
    """A Markdown table, ready for BENCHMARKS.md."""
    lines = ["| bench | figure | measured | target | anchor | verdict |", "|---|---|---|---|---|---|"]
    lines += [f"| {f.bench} | {f.name} | {f.value} | {f.target} | {f.anchor} | {f.verdict} |" for f in figures]
    return "\n".join(lines)


def record(figures: Iterable[Figure]) -> list[Figure]:
    """Print the figures, and append them to $TALLY_BENCH_RESULTS when it is set."""
    kept = list(figures)
    print(table(kept), flush=True)
    path = os.environ.get(RESULTS)
    if path:
        with Path(path).open("a", encoding="utf-8") as out:
            for figure in kept:
                out.write(json.dumps(asdict(figure)) + "\n")
    return kept


def read(path: str | Path) -> list[Figure]:
    """What the scripts appended, in order; a missing file is no figures."""
    source = Path(path)
    if not source.exists():
        return []
    return [Figure(**json.loads(line)) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
