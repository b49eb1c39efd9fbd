"""Reads a py-spy raw (collapsed) profile from bench_slash.py --profile and prints where the samples go.

    .venv/bin/python bench/spy_summary.py PROFILE.txt [--top 25] [--match TEXT]

Per thread kind (the event loop, the to_thread workers): samples; then the functions with the most
inclusive samples (a function counted once per stack), and the leaves (self samples).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter, defaultdict
from pathlib import Path

FRAME = re.compile(r"^(?P<fn>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")


def short(frame: str, lines: bool) -> str:
    m = FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    path = m.group("file")
    for marker in ("site-packages/", "python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{m.group('fn')} ({path})" if not lines else frame.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default="", help="only stacks containing this text")
    parser.add_argument("--lines", action="store_true", help="keep line numbers")
    args = parser.parse_args()
    totals: Counter = Counter()
    inclusive: dict[str, Counter] = defaultdict(Counter)
    leaves: dict[str, Counter] = defaultdict(Counter)
    for raw in Path(args.profile).read_text().splitlines():
        stack, _, count = raw.rstrip("\n").rpartition(" ")
        if not stack or (args.match and args.match not in stack):
            continue
        n = int(count)
        frames = stack.split(";")
        thread = "event loop" if "MainThread" in frames[0] else "worker threads"
        totals[thread] += n
        seen = {short(f, args.lines) for f in frames[1:]}
        for f in seen:
            inclusive[thread][f] += n
        if len(frames) > 1:
            leaves[thread][short(frames[-1], args.lines)] += n
    all_samples = sum(totals.values())
    print(f"{all_samples} samples: " + ", ".join(f"{k} {v} ({100 * v / all_samples:.0f}%)" for k, v in totals.items()))
    for thread, total in totals.most_common():
        print(f"\n== {thread}: {total} samples; inclusive")
        for f, n in inclusive[thread].most_common(args.top):
            print(f"  {100 * n / total:5.1f}%  {f}")
        print(f"-- {thread}: leaves (self)")
        for f, n in leaves[thread].most_common(args.top // 2):
            print(f"  {100 * n / total:5.1f}%  {f}")


if __name__ == "__main__":
    main()
