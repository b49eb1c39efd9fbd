"""How long do forums' weekly digests take on a large organisation, and does the time follow the week or the history?

Generates the organisation of bench/org_data.py (50 forums, 20,000 problems, ~5,000 ideas, 200,000 votes) twice: with
`--small` occurrences spread evenly over two years, and with `--occurrences` (ten times as many): the small one's
rows exactly, and the rest in the history before its last RECENT_WEEKS weeks (twice the 26 the digest reads), so the
two hold the same rows wherever a digest looks and the large one ten times the history (issue 10's ratio target).
On each it measures, in the same run as the anchor (a `count(*)` of one forum's occurrences in the digest's week,
the floor of any query that reads them): one forum's digest without its chart (`--runs` times), all 50 forums'
digests one after the other, and, on the large one, the duplicate check (a new report's candidates in its area,
then `most_similar`). The large one is the organisation the absolute targets are measured on.

With `--uniform`, also the earlier comparison, printed after the table as information, not a target: a large
organisation with all its occurrences spread evenly over the two years, so ten times the rows in the digest's weeks
too (the work follows those rows, so that ratio is theirs, not the history's).

    flock /tmp/bench.lock .venv/bin/python bench/bench_digest.py [--runs 10] [--postgres] [--sqlite-dir DIR] [--uniform]

PostgreSQL databases are made for the run and dropped after; with `--sqlite-dir` the SQLite ones are kept there and
reused by the next run (so profiling needn't wait for the generator).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import Figure, record  # noqa: E402
from bench.org_data import Org, Shape, generate, title  # noqa: E402
from bench.org_explain import explain  # noqa: E402
from bot.dedupe import most_similar  # noqa: E402
from digests.builder import HISTORY, build_digest  # noqa: E402
from digests.model import Digest  # noqa: E402
from digests.weeks import IsoWeek  # noqa: E402
from storage.engine import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.uow import SqlUnitOfWorkFactory  # noqa: E402
from tests.databases import postgres_database  # noqa: E402

WEEK = IsoWeek(2026, 47)
FORUM = "forum-03"  # four process areas, as the typical forum has
GENERATE_TARGET_S = 120
ONE_TARGET_MS = 300
ALL_TARGET_S = 10
RATIO_TARGET = 1.5
DEDUPE_TARGET_MS = 5
RECENT_WEEKS = 2 * HISTORY  # the weeks the small and the large organisation share, row for row


@dataclass(frozen=True)
class Measured:
    occurrences: int
    anchor_ms: float
    one: list[float]  # ms, one forum's digest
    everyone: float  # s, all forums' digests one after the other
    slowest: tuple[str, float]  # the slowest forum in that loop, ms


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def digest(factory: SqlUnitOfWorkFactory, org: Org, slug: str) -> Digest:
    """As the scheduler builds one: its own unit of work, the forum and the workspace read first."""
    with factory(write=False) as uow:
        ws = uow.workspaces.get(org.workspace_id)
        forum = uow.forums.get(org.workspace_id, slug)
        default = uow.forums.default(org.workspace_id)
        assert ws is not None and forum is not None
        return build_digest(uow, ws, forum, WEEK, unassigned=forum.id == default.id)


def anchor(engine: Engine, org: Org, slug: str) -> float:
    """count(*) of the forum's occurrences in the digest's week, read as the digest reads its weeks (problem by
    problem): the floor of any query that reads them."""
    areas = ", ".join(map(str, org.area_ids[slug]))
    query = text(
        "select count(*) from occurrence where workspace_id = :ws and occurred_on between :monday and :sunday"
        f" and problem_id in (select id from problem where workspace_id = :ws and area_id in ({areas}))"
    )
    params = {"ws": org.workspace_id, "monday": WEEK.monday, "sunday": WEEK.sunday}
    with engine.connect() as conn:
        return timed(lambda: conn.execute(query, params).scalar())


@dataclass(frozen=True)
class Site:
    """One generated organisation in its database."""

    engine: Engine
    org: Org
    factory: SqlUnitOfWorkFactory


def measure(sites: dict[str, Site], runs: int) -> dict[str, Measured]:
    """One forum's digest on each organisation in turn, `runs` rounds, so that warming up and the load of a shared
    machine fall on all of them alike (the ratio compares them); then all forums' digests on each."""
    anchors: dict[str, list[float]] = {which: [] for which in sites}
    one: dict[str, list[float]] = {which: [] for which in sites}
    for site in sites.values():
        digest(site.factory, site.org, FORUM)  # warm: imports, statement caches, the database's own caches
    for _ in range(runs):
        for which, site in sites.items():
            anchors[which].append(anchor(site.engine, site.org, FORUM))
            one[which].append(timed(lambda s=site: digest(s.factory, s.org, FORUM)))  # type: ignore[misc]
    measured = {}
    for which, site in sites.items():
        started = time.perf_counter()
        each = {
            slug: timed(lambda s=slug, t=site: digest(t.factory, t.org, s))  # type: ignore[misc]
            for slug in site.org.forum_slugs
        }
        everyone = time.perf_counter() - started
        slowest = max(each.items(), key=lambda kv: kv[1])
        occurrences = site.org.rows["occurrence"]
        measured[which] = Measured(occurrences, statistics.median(anchors[which]), one[which], everyone, slowest)
    return measured


def duplicate_check(engine: Engine, org: Org, runs: int) -> tuple[list[float], int, int]:
    """New reports in random areas: their candidates from the database, then the word comparison. Also the
    open problems in all, and the most candidates one check read."""
    rng = random.Random(5)
    areas = [a for ids in org.area_ids.values() for a in ids]
    samples, most = [], 0
    with SqlUnitOfWorkFactory(engine)(write=False) as uow:
        # One report in every area first: a server that has been up a while has every open problem's words cached.
        for n, area in enumerate(areas + [rng.choice(areas) for _ in range(runs)]):
            wording = title(rng)
            started = time.perf_counter()
            candidates = uow.problems.open_in_area(org.workspace_id, area)
            most_similar(wording, candidates)
            if n >= len(areas):
                samples.append((time.perf_counter() - started) * 1000)
            most = max(most, len(candidates.problems))
        open_problems = uow.session.execute(  # type: ignore[attr-defined]
            text("select count(*) from problem where workspace_id = :ws and status in ('open', 'investigating')"),
            {"ws": org.workspace_id},
        ).scalar_one()
    return samples, int(open_problems), most


def recent(engine: Engine, org: Org) -> tuple[int, int, int]:
    """Rows, occurrences and the sum of their problem ids in the recent weeks: equal in the small and the large
    organisation (and so is the measured forum's digest), or the ratio would compare different weeks."""
    query = text(
        "select count(*), coalesce(sum(count), 0), coalesce(sum(problem_id), 0) from occurrence"
        " where workspace_id = :ws and occurred_on >= :first"
    )
    with engine.connect() as conn:
        rows = conn.execute(query, {"ws": org.workspace_id, "first": WEEK.previous(RECENT_WEEKS - 1).monday}).one()
    return int(rows[0]), int(rows[1]), int(rows[2])


def kept_name(shape: Shape) -> str:
    spread = "even" if shape.base is None else f"history-{shape.base}-{shape.recent_weeks}w"
    return f"org-v2-{shape.occurrences}-{spread}.db"  # v2: each table's own random stream


@contextmanager
def database(kind: str, keep: Path | None, shape: Shape) -> Iterator[tuple[str, bool]]:
    """A URL, and whether it already holds the organisation (a kept SQLite file)."""
    if kind == "postgres":
        with postgres_database() as url:
            yield url, False
        return
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
        path = keep / kept_name(shape)
        yield f"sqlite:///{path}", path.exists()
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'org.db'}", False


def organisation(engine: Engine, shape: Shape, ready: bool) -> Org:
    upgrade(engine)  # a kept database gets this branch's migrations too
    if ready:
        with engine.connect() as conn:
            org = Org(conn.execute(text("select id from workspace where external_id = 'T0ORG'")).scalar_one(), [], {})
            for slug, areas in conn.execute(text("select slug, area_ids from forum order by id")):
                org.forum_slugs.append(slug)
                org.area_ids[slug] = [int(a) for a in (areas if isinstance(areas, list) else json.loads(areas))]
        return org
    org = generate(engine, shape, WEEK)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))  # what autovacuum does to a table this size soon after
    return org


def run(kind: str, args: argparse.Namespace, notes: list[str]) -> list[Figure]:
    label = "SQLite" if kind == "sqlite" else "PostgreSQL"
    figures: list[Figure] = []
    generated: list[Figure] = []  # the large organisation's, listed with its figures
    windows: dict[str, tuple[int, int, int, str]] = {}
    shapes = {
        "small": Shape(occurrences=args.small),
        "large": Shape(occurrences=args.occurrences, base=args.small, recent_weeks=RECENT_WEEKS),
    }
    if args.uniform:
        shapes["uniform"] = Shape(occurrences=args.occurrences)
    with ExitStack() as stack:
        sites: dict[str, Site] = {}
        for which, shape in shapes.items():
            url, ready = stack.enter_context(database(kind, args.sqlite_dir, shape))
            engine = make_engine(url)
            stack.callback(engine.dispose)
            org = organisation(engine, shape, ready)
            org.rows.setdefault("occurrence", shape.occurrences)  # a kept database's
            sites[which] = Site(engine, org, SqlUnitOfWorkFactory(engine))
            windows[which] = (*recent(engine, org), repr(digest(sites[which].factory, org, FORUM)))
            print(f"{label} ({which}): last {RECENT_WEEKS} weeks {windows[which][0]:,} rows", file=sys.stderr)
            if not ready:
                rows = ", ".join(f"{n:,} {t}" for t, n in org.rows.items())
                print(f"{label} ({which}): generated {rows} in {org.seconds:.1f} s", file=sys.stderr)
                if which == "large":
                    generated.append(
                        Figure("digest", f"{label} generate the organisation ({org.total_rows:,} rows)",
                               f"{org.seconds:.0f} s", f"< {GENERATE_TARGET_S} s", "-", org.seconds < GENERATE_TARGET_S)
                    )  # fmt: skip
        if windows["small"] != windows["large"]:
            raise SystemExit(f"{label}: the recent weeks or {FORUM}'s digest differ between the organisations")
        results = measure(sites, args.runs)
        for which, site in sites.items():
            if args.explain:
                print(f"{label}, {site.org.rows['occurrence']:,} occurrences ({which}), {FORUM}:", file=sys.stderr)
                explain(site.engine, lambda s=site: digest(s.factory, s.org, FORUM))  # type: ignore[misc]
            if which == "uniform":
                continue
            measured = results[which]
            if which == "large":
                figures += generated
            size = f"{measured.occurrences:,} occurrences"
            one = f"{statistics.median(measured.one):.0f} ms (max {max(measured.one):.0f} ms)"
            figures += [
                Figure("digest", f"{label} {size}: one forum's digest, median (max)", one, f"< {ONE_TARGET_MS} ms",
                       f"count(*) of its week {measured.anchor_ms:.1f} ms", max(measured.one) < ONE_TARGET_MS),
                Figure("digest", f"{label} {size}: all {len(site.org.forum_slugs)} forums' digests",
                       f"{measured.everyone:.2f} s (slowest {measured.slowest[0]} {measured.slowest[1]:.0f} ms)",
                       f"< {ALL_TARGET_S} s", "-", measured.everyone < ALL_TARGET_S),
            ]  # fmt: skip
            if which == "large":
                samples, open_problems, most = duplicate_check(site.engine, site.org, args.runs * 10)
                ordered = sorted(samples)
                p95 = ordered[int(len(ordered) * 0.95) - 1]
                figures.append(
                    Figure("digest", f"{label} duplicate check vs {open_problems:,} open problems, p50 / p95 (max)",
                           f"{statistics.median(ordered):.2f} / {p95:.2f} ms ({ordered[-1]:.2f} ms)",
                           f"< {DEDUPE_TARGET_MS} ms", f"up to {most} candidates in an area", p95 < DEDUPE_TARGET_MS)
                )  # fmt: skip
        forums = len(sites["small"].org.forum_slugs)
    small, large = results["small"], results["large"]
    ratio = statistics.median(large.one) / statistics.median(small.one)
    figures.append(
        Figure("digest", f"{label} one forum's digest at {large.occurrences:,} / at {small.occurrences:,}",
               f"{ratio:.2f}x", f"<= {RATIO_TARGET}x",
               f"ten times the history, same last {RECENT_WEEKS} weeks; count(*) anchor "
               f"{large.anchor_ms / small.anchor_ms:.2f}x", ratio <= RATIO_TARGET)
    )  # fmt: skip
    if "uniform" in results:
        uniform = results["uniform"]
        notes.append(
            f"Information, not a target: {label}, {uniform.occurrences:,} occurrences spread evenly over the two years"
            f" (ten times the rows in the digest's 26 weeks too: {windows['uniform'][0]:,} against"
            f" {windows['small'][0]:,} in the last {RECENT_WEEKS} weeks): one forum's digest median"
            f" {statistics.median(uniform.one):.0f} ms (max {max(uniform.one):.0f} ms), all {forums} forums"
            f" {uniform.everyone:.2f} s; at {uniform.occurrences:,} spread evenly / at {small.occurrences:,}"
            f" {statistics.median(uniform.one) / statistics.median(small.one):.2f}x"
            f" (count(*) anchor {uniform.anchor_ms / small.anchor_ms:.2f}x)"
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--occurrences", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000, help="occurrences of the smaller organisation")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL too")
    parser.add_argument("--sqlite-dir", type=Path, help="keep the SQLite databases here, and reuse them")
    parser.add_argument("--explain", action="store_true", help="time each statement of one digest, show plans")
    parser.add_argument(
        "--uniform",
        action="store_true",
        help="also the large organisation with its occurrences spread evenly (ten times the digest's rows too):"
        " its ratio printed as information, not a target",
    )
    args = parser.parse_args()
    figures: list[Figure] = []
    notes: list[str] = []
    for kind in ("sqlite", "postgres") if args.postgres else ("sqlite",):
        figures += run(kind, args, notes)
    record(figures)
    for note in notes:
        print(f"\n{note}", flush=True)


if __name__ == "__main__":
    main()
