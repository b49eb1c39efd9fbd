"""Resident memory of a real `tally serve` process under a long run of signed slash commands: does it stay small,
and does it stop growing once its bounded caches are full?

`tally serve` runs as a subprocess (`python -m adapters.cli serve`, the tree under test), on a fresh temp SQLite
database (and, with --postgres, a throwaway PostgreSQL one), with Slack pointed at bench_slash's lean fake Web API
on 127.0.0.1 in this process. The load is bench_slash's: a closed loop of correctly signed /problem commands,
60% new problems (distinct texts), 30% `again <id>` of a seeded problem, 10% `list`, at concurrency 20. VmRSS
(and VmHWM, the peak) is read from /proc/<pid>/status after start and at every checkpoint, once the background
posts have drained and the process has been idle for a moment.

Anchor, in the same run: bench_slash's bare slack-bolt AsyncApp, served by aiohttp's run_app as `tally serve`
is, under the same load. Targets: under 250 MB (10^6 bytes) at every mark, and less than 5% growth between the
first and last mark (20,000 and 100,000 commands: by 20,000 the delivery-id cache, bounded at 20,000, is full).

    flock /tmp/bench.lock .venv/bin/python bench/bench_memory.py [--marks 20000,100000] [--postgres]
    flock /tmp/bench.lock .venv/bin/python bench/bench_memory.py --marks 5000,20000 --trace /tmp/trace

--trace DIR runs Tally under tracemalloc (slower) and prints what grew, by source line and by object type,
between the first and last mark (bench/memory_trace.py). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import aiohttp
import figures
import memory_trace
import tally_process as tp
from bench_slash import (
    AREAS,
    REPO_UNDER_TEST,
    SEED_PER_AREA,
    FakeSlack,
    Loader,
    Request,
    closed_loop,
    database,
    problem_text,
    the_mix,
    tree_version,
)

TARGET_MB = 250.0
TARGET_GROWTH = 0.05
SETTLE = 2.0  # seconds idle before a reading: the background posts and the access log are done


def progress(message: str) -> None:
    print(f"[memory {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Run:
    """One server's readings: KiB at each label ("start", then the command counts), and what the load saw."""

    server: str  # "Tally (sqlite)", "Tally (postgres)", "bare Bolt"
    rss: dict[str, int] = field(default_factory=dict)
    peak: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    questions: int = 0
    cards_expected: int = 0
    cards_posted: int = 0
    seconds: float = 0.0

    def mb(self, label: str) -> float:
        return self.rss[label] * 1024 / 1e6


def checkpoints(marks: list[int], step: int) -> list[int]:
    """Every `step` commands up to the last mark, and the marks themselves."""
    return sorted(set(range(step, marks[-1] + 1, step)) | set(marks)) if step > 0 else marks


async def load_and_read(
    run: Run, pid: int, port: int, fake: FakeSlack, args: argparse.Namespace, trace: memory_trace.Snapshots | None
) -> None:
    """Seed (Tally only), then drive the mix to each checkpoint, reading the process's memory at each."""
    anchor = run.server == "bare Bolt"
    traced = {str(args.marks[0]), str(args.marks[-1])} if trace is not None else set()
    await asyncio.sleep(SETTLE)
    read(run, pid, "start")
    rng = random.Random(args.seed)
    connector = aiohttp.TCPConnector(limit=args.concurrency * 2)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
        loader = Loader(f"http://127.0.0.1:{port}/slack/events", fake, session, anchor=anchor)
        seeds = [Request("new", problem_text(rng, 1 + i % AREAS)) for i in range(AREAS * SEED_PER_AREA)]
        if not anchor:  # the targets of `again`, one at a time, untimed
            seeded = await closed_loop(loader, seeds, 1)
            if seeded.errors or seeded.questions:
                raise RuntimeError(f"seeding failed: {dict(seeded.errors)} {seeded.error_samples}")
            await fake.wait_for_posts(len(seeds))
        done = 0
        for point in checkpoints(args.marks, args.step):
            before = fake.calls["chat.postMessage"]
            result = await closed_loop(loader, the_mix(point - done, rng, len(seeds)), args.concurrency)
            done = point
            run.sent += len(result.all)
            run.seconds += result.seconds
            run.errors += sum(result.errors.values())
            run.error_samples += result.error_samples[: 5 - len(run.error_samples)]
            run.questions += result.questions
            run.cards_expected += result.cards_expected
            if not anchor:
                run.cards_posted += await fake.wait_for_posts(before + result.cards_expected) - before
            await asyncio.sleep(SETTLE)
            read(run, pid, str(point))
            if trace is not None and str(point) in traced:
                trace.take(str(point))
            progress(
                f"{run.server}: {point:,}/{args.marks[-1]:,} commands, RSS {run.mb(str(point)):.1f} MB "
                f"(peak {run.peak[str(point)] * 1024 / 1e6:.1f}), {len(result.all) / result.seconds:.0f} req/s, "
                f"errors {run.errors}, cards {run.cards_posted}/{run.cards_expected}"
            )


def read(run: Run, pid: int, label: str) -> None:
    memory = tp.memory_kib(pid)
    run.rss[label], run.peak[label] = memory["VmRSS"], memory["VmHWM"]
    if label == "start":
        progress(f"{run.server}: started, RSS {run.mb('start'):.1f} MB")


async def measure(server: str, kind: str, args: argparse.Namespace, tmp: Path) -> tuple[Run, str]:
    """One server from start to stop; returns its readings, and the tracemalloc report when tracing."""
    fake = FakeSlack()
    await fake.start()
    run = Run(server if server == "bare Bolt" else f"Tally ({kind})")
    port = tp.free_port()
    report = ""
    with (tmp / f"{server}-{kind}.log".replace(" ", "-")).open("w") as log:
        if server == "bare Bolt":
            process = tp.start_bolt(fake.api_url, port, log)
            await asyncio.to_thread(tp.wait_ready, process, port, False)
            try:
                await load_and_read(run, process.pid, port, fake, args, None)
            finally:
                await asyncio.to_thread(tp.stop, process)
        else:
            with database(kind, tmp) as url:
                runner = ("-m", "adapters.cli")
                if args.trace is not None:
                    runner = memory_trace.runner(args.trace / kind, args.trace_frames)
                process = tp.start_tally(url, fake.api_url, port, log, runner)
                trace = memory_trace.Snapshots(process.pid, args.trace / kind) if args.trace is not None else None
                try:
                    await asyncio.to_thread(tp.wait_ready, process, port)
                    await load_and_read(run, process.pid, port, fake, args, trace)
                finally:
                    await asyncio.to_thread(tp.stop, process)
                if trace is not None:
                    report = trace.report(str(args.marks[0]), str(args.marks[-1]))
    assert fake.runner is not None
    await fake.runner.cleanup()
    return run, report


def figures_of(runs: list[Run], anchor: Run | None, marks: list[int]) -> list[figures.Figure]:
    """Per Tally run: RSS after start and at each mark under 250 MB, growth first -> last mark under 5%, no errors."""
    out = []
    first, last = str(marks[0]), str(marks[-1])
    for run in runs:
        db = run.server.removeprefix("Tally (").removesuffix(")")
        for label in ("start", *map(str, marks)):
            when = "after start" if label == "start" else f"after {int(label):,} commands"
            base = f"bare Bolt {anchor.mb(label):.1f} MB" if anchor and label in anchor.rss else "-"
            out.append(
                figures.Figure(
                    "memory",
                    f"{db} RSS {when}",
                    f"{run.mb(label):.1f} MB",
                    f"< {TARGET_MB:.0f} MB",
                    base,
                    run.mb(label) < TARGET_MB,
                )
            )
        if first != last:
            growth = run.rss[last] / run.rss[first] - 1
            base = "-"
            if anchor and first in anchor.rss and last in anchor.rss:
                base = f"bare Bolt {100 * (anchor.rss[last] / anchor.rss[first] - 1):+.1f}%"
            out.append(
                figures.Figure(
                    "memory",
                    f"{db} RSS growth {int(first):,} -> {int(last):,} commands",
                    f"{100 * growth:+.1f}%",
                    f"< {100 * TARGET_GROWTH:.0f}%",
                    base,
                    growth < TARGET_GROWTH,
                )
            )
        ok = run.errors == 0 and run.cards_posted == run.cards_expected
        out.append(
            figures.Figure(
                "memory",
                f"{db} errors / cards missing in {run.sent:,} commands",
                f"{run.errors} / {run.cards_expected - run.cards_posted}",
                "0 / 0",
                f"bare Bolt {anchor.errors} errors" if anchor else "-",
                ok,
            )
        )
    return out


def print_readings(runs: list[Run]) -> None:
    labels = list(dict.fromkeys(label for run in runs for label in run.rss))
    print("\n| server | " + " | ".join(labels) + " | peak (VmHWM) | req/s | errors |")
    print("|---|" + "---|" * (len(labels) + 3))
    for run in runs:
        cells = [f"{run.mb(label):.1f}" if label in run.rss else "-" for label in labels]
        rate = f"{run.sent / run.seconds:.0f}" if run.seconds else "-"
        print(
            f"| {run.server} | " + " | ".join(cells) + f" | {max(run.peak.values()) * 1024 / 1e6:.1f} | {rate} | "
            f"{run.errors} |"
        )
    print("(RSS in MB, 10^6 bytes; columns: after start, then after that many commands)")
    for run in runs:
        if run.error_samples:
            print(f"  {run.server} errors: {run.error_samples}")


async def main_async(args: argparse.Namespace) -> None:
    kinds = ["sqlite", "postgres"] if args.postgres else ["sqlite"]
    runs: list[Run] = []
    anchor = None
    reports = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_anchor:
            anchor, _ = await measure("bare Bolt", "", args, Path(tmp))
        for kind in kinds:
            run, report = await measure("tally", kind, args, Path(tmp))
            runs.append(run)
            if report:
                reports.append(f"--- {run.server}\n{report}")
            elif args.trace is None:  # as each database finishes: a long run stopped later keeps these
                figures.record(figures_of([run], anchor, args.marks))
    print_readings(([anchor] if anchor else []) + runs)
    for report in reports:
        print(report)
    if args.trace is not None:  # tracemalloc and its snapshots inflate RSS: no verdicts from a traced run
        print("(traced run: tracemalloc's own memory is in these readings, so no figures are recorded)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--marks", default="20000,100000", help="command counts to report (first, last: growth)")
    parser.add_argument("--step", type=int, default=10000, help="also read (and report progress) every N commands")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--postgres", action="store_true", help="also run Tally on PostgreSQL")
    parser.add_argument("--no-anchor", action="store_true", help="skip the bare Bolt anchor")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--trace", type=Path, help="run Tally under tracemalloc; snapshots go in this folder")
    parser.add_argument("--trace-frames", type=int, default=1, help="frames tracemalloc keeps per allocation")
    args = parser.parse_args()
    args.marks = sorted(int(m) for m in args.marks.split(","))
    print(
        f"{date.today()}  Tally tree: {REPO_UNDER_TEST} ({tree_version(REPO_UNDER_TEST)})  marks {args.marks}, "
        f"concurrency {args.concurrency}, cores {os.cpu_count()}",
        flush=True,
    )
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
