"""How long does a forum's weekly digest take to build, and its chart to draw, on a busy workspace?

Seeds a workspace with `--problems` problems across 8 areas, each tallied on most days for 26 weeks (the history
the SPC reads), plus ideas with votes; then builds the digest for the last week `--runs` times, and draws its
chart. Anchor, measured in the same run: one `SELECT count(*)` over all the workspace's occurrences, the floor of
any query that reads them.

    .venv/bin/python bench/bench_digest.py [--problems 200] [--runs 20] [--postgres]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digests.builder import HISTORY, build_digest  # noqa: E402
from digests.chart import digest_chart  # noqa: E402
from digests.weeks import IsoWeek  # noqa: E402
from storage.engine import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.model import Idea, Occurrence, Platform, Problem, WorkspaceDefaults  # noqa: E402
from storage.uow import SqlUnitOfWorkFactory  # noqa: E402
from tests.databases import database_url  # noqa: E402

WEEK = IsoWeek(2026, 47)


def seed(engine, problems: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    rng = random.Random(47)
    first = WEEK.previous(HISTORY - 1).monday
    rows = 0
    with SqlUnitOfWorkFactory(engine)() as uow:
        ws = uow.workspaces.get_or_create(Platform.SLACK, "T0BENCH", WorkspaceDefaults())
        areas = [uow.areas.add(ws.id, f"Area {a}", f"area-{a}") for a in range(8)]
        for n in range(1, problems + 1):
            problem = uow.problems.add(
                Problem(
                    ws.id,
                    n,
                    f"Problem {n}",
                    area_id=areas[n % 8].id,
                    effort_minutes=5 + n % 40,
                    failure_demand=n % 3 == 0,
                )
            )
            for day in range(HISTORY * 7):
                if rng.random() < 0.7:
                    when = first + timedelta(days=day)
                    uow.occurrences.add(
                        Occurrence(ws.id, problem.id, when, rng.randint(1, 4), effort_minutes=5 + n % 40)
                    )
                    rows += 1
        for n in range(1, 51):
            idea = uow.ideas.add(Idea(ws.id, n, f"Idea {n}"))
            for v in range(n % 7):
                uow.ideas.vote(ws.id, idea.id, f"U{v}")
        uow.forums.default(ws.id)
        uow.commit()
    return ws.id, rows


def ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    return f"median {statistics.median(ordered):7.1f} ms   max {ordered[-1]:7.1f} ms"


def run(kind: str, problems: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, database_url(kind, Path(tmp)) as url:
        engine = make_engine(url)
        upgrade(engine)
        started = time.perf_counter()
        ws_id, rows = seed(engine, problems)
        print(f"{kind}: seeded {problems} problems, {rows:,} occurrence rows in {time.perf_counter() - started:.1f} s")
        factory = SqlUnitOfWorkFactory(engine)
        anchor, build, chart = [], [], []
        for _ in range(runs):
            t = time.perf_counter()
            with engine.connect() as conn:
                conn.execute(text("select count(*) from occurrence where workspace_id = :w"), {"w": ws_id}).scalar()
            anchor.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            with factory(write=False) as uow:
                ws = uow.workspaces.get(ws_id)
                forum = uow.forums.list(ws_id)[0]
                digest = build_digest(uow, ws, forum, WEEK, unassigned=True)
            build.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            png = digest_chart(digest)
            chart.append((time.perf_counter() - t) * 1000)
        print(f"  anchor: count(*) of the occurrences   {ms(anchor)}")
        print(f"  build_digest (26 weeks, SPC on {len(digest.top)} top + every problem and area)   {ms(build)}")
        print(f"  digest_chart ({len(png or b''):,} bytes)   {ms(chart)}")
        print(
            f"  this week: {digest.occurrences:,} occurrences, {digest.staff_hours:.1f} h, {len(digest.signals)} signals"
        )
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--problems", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL too")
    args = parser.parse_args()
    for kind in ("sqlite", "postgres") if args.postgres else ("sqlite",):
        run(kind, args.problems, args.runs)


if __name__ == "__main__":
    main()
