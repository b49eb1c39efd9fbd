"""`problem …` in Teams under load: a closed loop of message activities over real HTTP into `/api/messages`.

bench_slash.py's mix (60% new problems, 30% `again <id>` of a seeded problem, 10% `list`) as Teams messages
shaped as tests/e2e/payloads/teams: half in channels (`<at>Tally</at> problem …`), half in 40 personal chats.
Tally runs in its own process as `tally serve` does without credentials (Emulator mode, no JWT) and replies
to a lean fake Bot Connector on 127.0.0.1 in this process. After each run the script waits for the replies
and checks each: a card for a new problem (or "same as?"), "Logged …" for `again`, a card for `list`, no
apology; a channel's private answers (sent to the person's 1:1 chat) are checked by kind and count.

Anchor, in the same run: a bare botbuilder bot (botbuilder-integration-aiohttp's CloudAdapter with
ConfigurationBotFrameworkAuthentication and no app id or password; an ActivityHandler whose
on_message_activity replies "Got it."), served the same way, under the same load, to the same fake.

    .venv/bin/python bench/bench_teams.py [--requests 2000] [--concurrency 1,20] [--postgres]

Diagnostics: `--servers tally` skips the anchor; `--profile DIR` records the Tally process with py-spy
(read it with bench/spy_summary.py). Results: BENCHMARKS.md, "Teams `problem …` under load".
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_slash as slash  # noqa: E402 - beside this script: its load, databases, rows and process helpers
from figures import Figure, record  # noqa: E402
from teams_load import ANCHOR_TEXT, FakeConnector, TeamsLoader  # noqa: E402

ANCHOR = "bare CloudAdapter"
P99_MS = 250.0


# --- the servers under test, each in its own process -------------------------------------------


def bare_bot_app() -> web.Application:
    """The anchor: botbuilder's own cost per turn (parsing, CloudAdapter, a ConnectorClient, one reply)."""
    from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
    from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

    class Config:
        APP_ID, APP_PASSWORD, APP_TYPE, APP_TENANTID = "", "", "MultiTenant", ""

    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(Config()))

    class Bare(ActivityHandler):
        async def on_message_activity(self, turn_context: TurnContext) -> None:
            await turn_context.send_activity(MessageFactory.text(ANCHOR_TEXT))

    bot = Bare()

    async def messages(request: web.Request) -> web.Response:
        return await adapter.process(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


def serve(target: str, db_url: str, log_path: str, conn: Any) -> None:
    """The child process: serve until the parent says stop, then shut down as `tally serve` does."""
    asyncio.run(_serve(target, db_url, log_path, conn))


async def _serve(target: str, db_url: str, log_path: str, conn: Any) -> None:
    import adapters
    from adapters.config import Settings
    from adapters.logs import configure_logging
    from adapters.server import PathOnlyAccessLogger, create_app

    settings = Settings(database_url=db_url)  # no Slack, no app id: Teams in Emulator mode
    log_file = open(log_path, "a", buffering=1)  # noqa: SIM115 - open for the process's life
    configure_logging(False, settings.secret_values(), stream=log_file)
    app = create_app(settings) if target == "tally" else bare_bot_app()
    runner = web.AppRunner(app, access_log_class=PathOnlyAccessLogger)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    conn.send(("ready", runner.addresses[0][1], os.getpid(), str(Path(adapters.__file__).parent.parent)))
    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def on_message() -> None:
        if conn.recv() == "stop" and not stop.done():
            stop.set_result(None)

    loop.add_reader(conn.fileno(), on_message)
    await stop
    loop.remove_reader(conn.fileno())
    started = time.perf_counter()
    await runner.cleanup()
    conn.send(("stopped", time.perf_counter() - started, []))
    log_file.close()


def start_server(target: str, db_url: str, log_path: str) -> slash.Server:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=serve, args=(target, db_url, log_path, child), daemon=True)
    process.start()
    if not parent.poll(120):
        process.kill()
        raise RuntimeError(f"{target} did not start; see {log_path}")
    _, port, pid, tree = parent.recv()
    return slash.Server(process, parent, port, pid, tree)


# --- one measured run ---------------------------------------------------------------------------


async def measure(target: str, kind: str, concurrency: int, args: argparse.Namespace, tmp: Path) -> slash.Row:
    fake = FakeConnector()
    await fake.start()
    log_path = tmp / f"{target}-{kind}-c{concurrency}.log"
    rng = random.Random(args.seed)
    with slash.database(kind, tmp) as url:
        server = start_server(target, url, str(log_path))
        if server.tree != str(slash.REPO_UNDER_TEST):
            print(f"  warning: the server runs {server.tree}, not {slash.REPO_UNDER_TEST}", flush=True)
        spy = None
        try:
            connector = aiohttp.TCPConnector(limit=max(concurrency, 1) * 2)
            async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
                url_ = f"http://127.0.0.1:{server.port}/api/messages"
                seeder = TeamsLoader(url_, fake, session, anchor=target == "bare")
                seeds = [
                    slash.Request("new", slash.problem_text(rng, 1 + i % slash.AREAS))
                    for i in range(slash.AREAS * slash.SEED_PER_AREA)
                ]
                seeded = await slash.closed_loop(seeder, seeds, 1)
                await fake.wait_for_replies(len(seeds))
                seeder.check(seeded, fake.private)
                if seeded.errors or seeded.questions:
                    raise RuntimeError(f"seeding failed: {seeded.errors} {seeded.error_samples} {seeded.questions}")
                loader = TeamsLoader(url_, fake, session, anchor=target == "bare")
                before, private = fake.answered, len(fake.private)
                if args.profile is not None and target == "tally":
                    spy = slash.start_py_spy(server.pid, args.profile / f"{kind}-c{concurrency}")
                cpu = slash.cpu_seconds(server.pid)
                result = await slash.closed_loop(loader, slash.the_mix(args.requests, rng, len(seeds)), concurrency)
                ended = time.perf_counter()
            received = await fake.wait_for_replies(before + result.cards_expected) - before
            cpu = slash.cpu_seconds(server.pid) - cpu
            loader.check(result, fake.private[private:])
            if fake.calls["second reply"]:
                result.error("second reply", str(fake.calls["second reply"]))
            drain = max(0.0, fake.last - ended) * 1000
        finally:
            if spy is not None:
                slash.stop_py_spy(spy)
            server.stop()
            assert fake.runner is not None
            await fake.runner.cleanup()
    warnings = sum(1 for line in log_path.read_text().splitlines() if "WARNING" in line or "ERROR" in line)
    return slash.Row(kind, target, concurrency, result, received, drain, warnings, 1000 * cpu / args.requests)


# --- the report ---------------------------------------------------------------------------------


def print_rows(rows: list[slash.Row]) -> None:
    print(
        "\n| database | server | c | requests | p50 | p95 | p99 | max | req/s | server CPU / request | errors | "
        "'same as?' | replies received / expected |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        name = f"{ANCHOR} (anchor)" if r.target == "bare" else "Tally"
        print(
            f"| {r.db} | {name} | {r.concurrency} | {len(r.result.all)} | {r.pct(0.5):.1f} ms | {r.pct(0.95):.1f} ms | "
            f"{r.pct(0.99):.1f} ms | {max(r.result.all):.1f} ms | {r.rps:.0f} | {r.cpu_ms:.1f} ms | {r.errors} | "
            f"{r.result.questions if r.target == 'tally' else '-'} | {r.cards_posted} / {r.result.cards_expected} |"
        )
    print("\nper kind (Tally), p50 / p99 ms:")
    for r in rows:
        if r.target == "tally":
            kinds = {kind: sorted(xs) for kind, xs in r.result.latencies.items() if xs}
            parts = [
                f"{k} ({len(xs)}) {xs[len(xs) // 2]:.1f} / {xs[int(0.99 * (len(xs) - 1))]:.1f}"
                for k, xs in kinds.items()
            ]
            logged = f"; {r.warnings} warning/error log lines" if r.warnings else ""
            print(f"  {r.db} c={r.concurrency}: " + ", ".join(parts) + logged)
    for r in rows:
        if r.result.error_samples:
            print(f"  {r.db} {r.target} c={r.concurrency} errors {dict(r.result.errors)}: {r.result.error_samples}")


def figures(rows: list[slash.Row]) -> list[Figure]:
    """The targets, each beside the bare bot's figure from the same run."""
    out = []
    for r in (r for r in rows if r.target == "tally"):
        bare = next((b for b in rows if (b.target, b.db, b.concurrency) == ("bare", r.db, r.concurrency)), None)
        where = f"{ {'sqlite': 'SQLite', 'postgres': 'PostgreSQL'}.get(r.db, r.db) } c={r.concurrency}"
        replies = f"{r.errors} ({r.cards_posted} / {r.result.cards_expected} replies)"
        out.append(Figure("teams", f"{where} errors", replies, "0", "-", r.errors == 0))
        p50, p99 = r.pct(0.5), r.pct(0.99)
        if bare is not None:
            anchor, met = f"{ANCHOR} {bare.pct(0.5):.1f} ms", p50 <= 0.5 * bare.pct(0.5)
            out.append(Figure("teams", f"{where} p50", f"{p50:.1f} ms", "<= 0.5x anchor", anchor, met))
            if r.concurrency > 1:
                anchor, met = f"{ANCHOR} {bare.rps:.0f} req/s", r.rps >= 2 * bare.rps
                out.append(Figure("teams", f"{where} throughput", f"{r.rps:.0f} req/s", ">= 2x anchor", anchor, met))
        anchor = f"{ANCHOR} {bare.pct(0.99):.1f} ms" if bare is not None else "-"
        out.append(Figure("teams", f"{where} p99", f"{p99:.1f} ms", f"< {P99_MS:.0f} ms", anchor, p99 < P99_MS))
    return out


async def run(args: argparse.Namespace) -> None:
    rows: list[slash.Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, concurrency, target in slash.runs(args):
            row = await measure(target, kind, concurrency, args, Path(tmp))
            rows.append(row)
            print(
                f"  done: {kind} {target} c={concurrency}: {row.rps:.0f} req/s, p50 {row.pct(0.5):.1f} ms, "
                f"p99 {row.pct(0.99):.1f} ms, CPU {row.cpu_ms:.1f} ms/request",
                flush=True,
            )
    print_rows(rows)
    print()
    record(figures(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", default="1,20", help="comma-separated levels, e.g. 1,20")
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL")
    parser.add_argument("--only-postgres", action="store_true", help="PostgreSQL only")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--servers", default="bare,tally", help="bare (the anchor), tally, or both")
    parser.add_argument("--profile", type=Path, help="record the Tally process with py-spy into this folder")
    args = parser.parse_args()
    slash.print_header(args.requests, args.concurrency)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
