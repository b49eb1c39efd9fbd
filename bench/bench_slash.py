"""/problem under load: a closed loop of signed slash commands over real HTTP into `tally serve`'s app.

The mix: 60% new problems (distinct texts over #area-1..#area-12), 30% `again <id>` of a seeded
problem, 10% `list`. Every request has a fresh trigger_id and a correct X-Slack-Signature. Tally runs
in its own process, as `tally serve` does (create_app(Settings(...)) on an aiohttp AppRunner/TCPSite on
127.0.0.1, INFO logging through Tally's redactor and its path-only access log, written to a file);
the load generator and a lean fake Slack Web API run in this process. After each run the script
waits for Tally's background posts and counts the cards (one chat.postMessage per new problem).

Anchor, in the same run: a bare slack-bolt AsyncApp (process_before_response=True, signing secret
set, a /problem handler that only acks with a short text), served the same way, under the same load.
`--servers bolt,floor,tally` adds a reference that is not a target: bare Bolt plus the least work a capture
needs (bench/slash_floor.py: the rows stored with the driver alone, the card posted before the answer).

    .venv/bin/python bench/bench_slash.py [--requests 2000] [--concurrency 1,20] [--postgres]
    PYTHONPATH=/tmp/before .venv/bin/python bench/bench_slash.py ...   # another tree's Tally

Only create_app, Settings, PathOnlyAccessLogger and configure_logging are imported from Tally, so
the script runs against older trees too. Diagnostics: `--servers tally` skips the anchor; `--probe`
times to_thread queueing and every SQL statement inside the Tally process (bench/slash_probe.py);
`--profile DIR` records the Tally process with py-spy (read it with bench/spy_summary.py).
Results and findings: BENCHMARKS.md, "/problem mix under load".
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing as mp
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
from aiohttp import web

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))  # last: a tree on PYTHONPATH wins

REPO_UNDER_TEST = Path(__import__("adapters").__file__).parent.parent  # PYTHONPATH's tree, else this one
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-bench-single-workspace-token"
POSTGRES_ADMIN_URL = os.environ.get("TALLY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
AREAS = 12
SEED_PER_AREA = 5
ANCHOR_TEXT = "Got it."
SERVER_NAMES = {"bolt": "bare Bolt (anchor)", "tally": "Tally", "floor": "floor (bench/slash_floor.py)"}
QUESTION = "Is it the same problem?"
TARGETS = {"p99": 100.0, "max": 500.0}  # issue 10: at concurrency 20

WORDS = """
printer scanner kiosk laptop headset phone queue rota shift letter decision appeal benefit housing
repair boiler damp mould window lift ramp parking permit licence council tax refund payment invoice
portal password login account address postcode appointment interpreter translation wheelchair
blue badge bin collection recycling garden waste pothole streetlight graffiti noise complaint
library card school admission transport meal carer assessment referral safeguarding visit
calendar booking reception counter ticket machine cashier receipt voucher parcel courier form
signature scanner upload attachment email inbox mailbox telephony voicemail callback transfer
hold music timeout spreadsheet database report dashboard export import template guidance leaflet
poster notice translation braille hearing loop induction training manual policy procedure
checklist audit inspection survey feedback escalation handover backlog duplicate missing delayed
broken frozen slow offline unavailable locked expired wrong lost illegible unclear confusing
incomplete overdue cancelled rejected returned misfiled unsigned unpaid unreadable outdated
""".split()


def sign(body: str, timestamp: int) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()


# --- the servers under test, each in its own process -------------------------------------------


def bare_bolt_app(api_url: str) -> web.Application:
    """The anchor: Bolt's own cost (signature check, parsing, dispatch) and nothing else."""
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    bolt = AsyncApp(
        signing_secret=SIGNING_SECRET,
        client=AsyncWebClient(token=BOT_TOKEN, base_url=api_url),
        process_before_response=True,
    )

    @bolt.command("/problem")
    async def problem(ack) -> None:  # type: ignore[no-untyped-def]
        await ack(ANCHOR_TEXT)

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", events)
    return app


def serve(target: str, db_url: str, api_url: str, log_path: str, probe: bool, conn: Any) -> None:
    """The child process: serve until the parent says stop, then shut down as `tally serve` does."""
    if probe:
        sys.path.insert(0, str(Path(__file__).parent))
        import slash_probe

        slash_probe.install()
    if os.environ.get("BENCH_GC_STATS"):  # diagnostics: how long the collector runs in the Tally process
        import gc

        gc_started, gc_born = [0.0], time.perf_counter()
        gc_total = [0.0, 0]

        def on_gc(phase: str, info: dict) -> None:
            if phase == "start":
                gc_started[0] = time.perf_counter()
            else:
                gc_total[0] += time.perf_counter() - gc_started[0]
                gc_total[1] += 1
                if info.get("generation") == 2:
                    took, at = 1000 * (time.perf_counter() - gc_started[0]), time.perf_counter() - gc_born
                    print(f"  gc gen2: {took:.1f} ms, {at:.1f} s after the server process began", file=sys.stderr)

        gc.callbacks.append(on_gc)
        import atexit

        atexit.register(lambda: print(f"  gc: {gc_total[1]} runs, {gc_total[0] * 1000:.0f} ms", file=sys.stderr))
    if os.environ.get("BENCH_BUSY_STATS"):  # diagnostics: why quick commands left the event loop
        from collections import Counter as _Counter

        import storage.ports

        reasons: _Counter = _Counter()
        original = storage.ports.Busy.__init__

        def counted(self, *a, **kw) -> None:  # type: ignore[no-untyped-def]
            reasons[str(a[0]) if a else ""] += 1
            original(self, *a, **kw)

        storage.ports.Busy.__init__ = counted  # type: ignore[method-assign]
        import atexit

        atexit.register(lambda: print(f"  busy: {dict(reasons)}", file=sys.stderr))
    if os.environ.get("BENCH_BUS_CPU"):  # diagnostics: the CPU (this thread's) of each command in the bus, by kind
        import atexit
        from collections import defaultdict as _dd

        import bot.bus

        spent: dict = _dd(lambda: [0.0, 0.0, 0])
        run = bot.bus.MessageBus.run

        def timed(self, command, wait=True):  # type: ignore[no-untyped-def]
            cpu, wall = time.thread_time(), time.perf_counter()
            try:
                return run(self, command, wait)
            finally:
                kind = spent[type(command).__name__]
                kind[0] += time.thread_time() - cpu
                kind[1] += time.perf_counter() - wall
                kind[2] += 1

        bot.bus.MessageBus.run = timed  # type: ignore[method-assign]
        atexit.register(
            lambda: [
                print(f"  bus {k}: {n} x {1000 * c / n:.3f} ms CPU, {1000 * w / n:.3f} ms wall", file=sys.stderr)
                for k, (c, w, n) in spent.items()
            ]
        )
    profile = os.environ.get("BENCH_CPROFILE")  # a deterministic profile of each server, written to PATH.<server>
    if profile:
        import cProfile

        with cProfile.Profile() as recorded:
            asyncio.run(_serve(target, db_url, api_url, log_path, probe, conn))
        recorded.dump_stats(f"{profile}.{target}")
        return
    asyncio.run(_serve(target, db_url, api_url, log_path, probe, conn))


async def _serve(target: str, db_url: str, api_url: str, log_path: str, probe: bool, conn: Any) -> None:
    import adapters
    from adapters.config import Settings
    from adapters.logs import configure_logging
    from adapters.server import PathOnlyAccessLogger, create_app

    settings = Settings(
        database_url=db_url, slack_signing_secret=SIGNING_SECRET, slack_bot_token=BOT_TOKEN, slack_api_url=api_url
    )
    log_file = open(log_path, "a", buffering=1)  # noqa: SIM115 - open for the process's life
    configure_logging(False, settings.secret_values(), stream=log_file)
    if target == "floor":
        sys.path.insert(0, str(Path(__file__).parent))
        from slash_floor import floor_app

        app = floor_app(api_url, db_url, SIGNING_SECRET, BOT_TOKEN)
    else:
        app = create_app(settings) if target == "tally" else bare_bolt_app(api_url)
    runner = web.AppRunner(app, access_log_class=PathOnlyAccessLogger)
    await runner.setup()  # Tally's cleanup contexts: migrations, engine, core, Slack
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    conn.send(("ready", port, os.getpid(), str(Path(adapters.__file__).parent.parent)))
    # The parent's messages arrive on the pipe: read it from the loop, not from a thread of the default
    # executor, which Tally's to_thread calls use.
    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def on_message() -> None:
        try:
            message = conn.recv()
        except EOFError:  # the parent is gone (killed): stop, rather than spin on a closed pipe
            message = "stop"
        if message == "clear" and probe:
            import slash_probe

            slash_probe.clear()
        elif message == "stop" and not stop.done():
            stop.set_result(None)

    loop.add_reader(conn.fileno(), on_message)
    await stop
    loop.remove_reader(conn.fileno())
    stats = []
    if probe:
        import slash_probe

        stats = slash_probe.summary()
    started = time.perf_counter()
    await runner.cleanup()  # the new Tally waits for its background posts here
    conn.send(("stopped", time.perf_counter() - started, stats))
    log_file.close()


@dataclass
class Server:
    process: Any
    conn: Any
    port: int
    pid: int
    tree: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def clear_probe(self) -> None:
        self.conn.send("clear")

    def stop(self) -> tuple[float, list]:
        """Returns the seconds shutdown took, and the probe's figures (if any)."""
        self.conn.send("stop")
        if not self.conn.poll(60):
            raise RuntimeError("server did not stop")
        _, seconds, stats = self.conn.recv()
        self.process.join(30)
        return float(seconds), stats


def start_server(target: str, db_url: str, api_url: str, log_path: str, probe: bool = False) -> Server:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=serve, args=(target, db_url, api_url, log_path, probe, child), daemon=True)
    process.start()
    if not parent.poll(120):
        process.kill()
        raise RuntimeError(f"{target} did not start; see {log_path}")
    _, port, pid, tree = parent.recv()
    return Server(process, parent, port, pid, tree)


async def timed_post(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str], kind: str, result: Result
) -> tuple[int, str] | None:
    """One request, its latency recorded under its kind: its status and answer, or None (a transport error)."""
    started = time.perf_counter()
    answered: tuple[int, str] | None = None
    try:
        async with session.post(url, data=body, headers=headers) as resp:
            answered = resp.status, await resp.text()
    except (TimeoutError, aiohttp.ClientError) as exc:
        result.error("transport", repr(exc))
    result.latencies[kind].append((time.perf_counter() - started) * 1000)
    return answered


async def serve_on_loopback(app: web.Application) -> tuple[web.AppRunner, int]:
    """A fake platform API on 127.0.0.1 and a free port, without an access log (it would cost the loop)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, runner.addresses[0][1]


def print_header(requests: int, concurrency: str) -> None:
    """Which tree was measured, and how: the first line of every run's output."""
    print(
        f"{date.today()}  Tally tree: {REPO_UNDER_TEST} ({tree_version(REPO_UNDER_TEST)})  "
        f"{requests} requests per run, concurrency {concurrency}, cores {os.cpu_count()}",
        flush=True,
    )


# --- a lean fake Slack Web API ------------------------------------------------------------------


@dataclass
class FakeSlack:
    """Answers what Tally calls (auth.test, chat.postMessage, response_urls ...) and counts it."""

    delay: float = 0.0
    calls: Counter = field(default_factory=Counter)
    last_post: float = 0.0
    runner: web.AppRunner | None = None
    port: int = 0
    _ts: int = 0

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, key: str) -> str:
        return f"http://127.0.0.1:{self.port}/respond/{key}"

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        body = await request.read()
        if body:
            if request.content_type == "application/json":
                args.update(json.loads(body))
            else:
                args.update(dict(parse_qsl(body.decode())))
        if self.delay:
            await asyncio.sleep(self.delay)
        self.calls[method] += 1
        if method == "chat.postMessage":
            self.last_post = time.perf_counter()
        return web.json_response(self.answer(method, args))

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        self._ts += 1
        ts = f"1700000000.{self._ts:06d}"
        if method == "auth.test":
            return {"ok": True, "user_id": "UTALLYBOT", "bot_id": "BTALLY", "team_id": "T0COUNCIL", "team": "Council"}
        if method in ("chat.postMessage", "chat.update"):
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts") or ts}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "conversations.info":
            return {"ok": True, "channel": {"id": args.get("channel"), "is_member": True, "is_private": False}}
        if method == "users.info":
            return {"ok": True, "user": {"id": args.get("user"), "is_admin": False, "is_owner": False}}
        return {"ok": True}

    async def respond(self, request: web.Request) -> web.Response:
        await request.read()
        self.calls["response_url"] += 1
        return web.Response(text="ok")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self.api)
        app.router.add_post("/respond/{key}", self.respond)
        self.runner, self.port = await serve_on_loopback(app)

    async def wait_for_posts(self, wanted: int, quiet: float = 5.0, limit: float = 120.0) -> int:
        """Until `wanted` chat.postMessage calls arrived, or none came for `quiet` seconds."""
        started = last_change = time.perf_counter()
        seen = self.calls["chat.postMessage"]
        while seen < wanted:
            await asyncio.sleep(0.05)
            now = time.perf_counter()
            if self.calls["chat.postMessage"] != seen:
                seen, last_change = self.calls["chat.postMessage"], now
            if now - last_change > quiet or now - started > limit:
                break
        return seen


# --- the load -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    kind: str  # new | again | list
    text: str


def problem_text(rng: random.Random, area: int) -> str:
    words = " ".join(rng.sample(WORDS, 4))
    return f"{words} {uuid.UUID(int=rng.getrandbits(128)).hex[:8]} #area-{area} x{rng.randint(1, 5)} {rng.choice((5, 10, 20))}m"


def the_mix(n: int, rng: random.Random, seeded: int, shares: tuple[float, float] = (0.6, 0.3)) -> list[Request]:
    new, again = round(shares[0] * n), round(shares[1] * n)
    kinds = ["new"] * new + ["again"] * again + ["list"] * (n - new - again)
    rng.shuffle(kinds)
    out = []
    for k in kinds:
        if k == "new":
            out.append(Request(k, problem_text(rng, rng.randint(1, AREAS))))
        elif k == "again":
            out.append(Request(k, f"again {rng.randint(1, seeded)}"))
        else:
            out.append(Request(k, "list"))
    return out


@dataclass
class Result:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"new": [], "again": [], "list": []})
    errors: Counter = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    questions: int = 0
    cards_expected: int = 0
    seconds: float = 0.0

    @property
    def all(self) -> list[float]:
        return [x for v in self.latencies.values() for x in v]

    def error(self, what: str, sample: str) -> None:
        self.errors[what] += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(f"{what}: {sample[:200]}")


class Loader:
    def __init__(self, url: str, fake: FakeSlack, session: aiohttp.ClientSession, anchor: bool) -> None:
        self.url, self.fake, self.session, self.anchor = url, fake, session, anchor
        self.sent = 0
        self.run_id = uuid.uuid4().hex[:8]

    def body(self, text: str) -> str:
        self.sent += 1
        n = self.sent
        return urlencode(
            {
                "token": "legacy-verification-token-not-used",
                "team_id": "T0COUNCIL",
                "team_domain": "council",
                "channel_id": f"C0DESK{n % 4}",
                "channel_name": f"desk-{n % 4}",
                "user_id": f"U0STAFF{n % 40:02d}",
                "user_name": f"staff{n % 40}",
                "command": "/problem",
                "text": text,
                "api_app_id": "A0TALLY",
                "is_enterprise_install": "false",
                "response_url": self.fake.response_url(f"{self.run_id}-{n}"),
                "trigger_id": f"{13345224609 + n}.738474920.{self.run_id}{n:08x}",  # fresh for every request
            }
        )

    async def send(self, request: Request, result: Result) -> None:
        body = self.body(request.text)
        ts = int(time.time())
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": sign(body, ts),
        }
        answered = await timed_post(self.session, self.url, body.encode(), headers, request.kind, result)
        if answered is not None:
            self.check(request, *answered, result)

    def check(self, request: Request, status: int, answer: str, result: Result) -> None:
        if status != 200:
            result.error(f"HTTP {status}", answer)
            return
        try:
            text = str(json.loads(answer).get("text") or "") if answer.strip() else ""
        except ValueError:
            text = answer
        if self.anchor:
            if text != ANCHOR_TEXT:
                result.error(request.kind, answer)
            return
        if "Sorry" in text or "went wrong" in text:
            result.error(request.kind, text)
        elif request.kind == "new":
            if not text:
                result.cards_expected += 1
            elif QUESTION in text:
                result.questions += 1
            else:
                result.error("new", text)
        elif request.kind == "again":
            if "Logged " not in answer:  # the card's footer: "Logged 1 more time on ..."
                result.error("again", text)
        elif not text:
            result.error("list", "(empty answer)")


async def closed_loop(loader: Loader, requests: list[Request], concurrency: int) -> Result:
    result = Result()
    queue = iter(requests)

    async def worker() -> None:
        for request in queue:  # one shared iterator: each worker takes the next request when its last returned
            await loader.send(request, result)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result


# --- databases ----------------------------------------------------------------------------------


@contextmanager
def database(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / f'tally-{uuid.uuid4().hex[:8]}.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"tally_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- one measured run ---------------------------------------------------------------------------


@dataclass
class Row:
    db: str
    target: str
    concurrency: int
    result: Result
    cards_posted: int = 0
    drain_ms: float = 0.0  # from the last answer to the last card seen
    warnings: int = 0
    cpu_ms: float = 0.0  # the server process's CPU time per request

    def pct(self, p: float) -> float:
        ordered = sorted(self.result.all)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    @property
    def rps(self) -> float:
        return len(self.result.all) / self.result.seconds

    @property
    def errors(self) -> int:
        return sum(self.result.errors.values())


async def measure(target: str, kind: str, concurrency: int, args: argparse.Namespace, tmp: Path) -> Row:
    fake = FakeSlack(delay=args.slack_ms / 1000)
    await fake.start()
    log_path = tmp / f"{target}-{kind}-c{concurrency}.log"
    rng = random.Random(args.seed)
    probe = args.probe and target == "tally"
    with database(kind, tmp) as url:
        server = start_server(target, url, fake.api_url, str(log_path), probe)
        if server.tree != str(REPO_UNDER_TEST):
            print(f"  warning: the server runs {server.tree}, not {REPO_UNDER_TEST}", flush=True)
        spy = None
        stats: list = []
        try:
            connector = aiohttp.TCPConnector(limit=max(concurrency, 1) * 2)
            timeout = aiohttp.ClientTimeout(total=60)
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
                loader = Loader(server.url, fake, session, anchor=target == "bolt")
                # Seed, untimed: SEED_PER_AREA problems in every area, the targets of `again`.
                seeds = [Request("new", problem_text(rng, 1 + i % AREAS)) for i in range(AREAS * SEED_PER_AREA)]
                seeded = await closed_loop(loader, seeds, 1)
                if target != "bolt":
                    if seeded.errors or seeded.questions:
                        raise RuntimeError(f"seeding failed: {seeded.errors} {seeded.error_samples} {seeded.questions}")
                    await fake.wait_for_posts(len(seeds))
                before = fake.calls["chat.postMessage"]
                if probe:
                    server.clear_probe()
                if args.profile is not None and target == "tally":
                    spy = start_py_spy(server.pid, args.profile / f"{kind}-c{concurrency}")
                cpu = cpu_seconds(server.pid)
                result = await closed_loop(loader, the_mix(args.requests, rng, len(seeds), args.mix), concurrency)
                ended = time.perf_counter()
            posted = await fake.wait_for_posts(before + result.cards_expected) - before
            cpu = cpu_seconds(server.pid) - cpu  # including the background posts after the last answer
            drain = max(0.0, fake.last_post - ended) * 1000 if posted else 0.0
        finally:
            if spy is not None:
                stop_py_spy(spy)
            _, stats = server.stop()
            assert fake.runner is not None
            await fake.runner.cleanup()
    warnings = sum(1 for line in log_path.read_text().splitlines() if "WARNING" in line or "ERROR" in line)
    if stats:
        print(f"  probe, {kind} c={concurrency} (ms): what, count, total, p50, p99, max")
        for what, count, total, p50, p99, top in stats[:18]:
            print(f"    {what:<60} {count:6d} {total:9.0f} {p50:8.2f} {p99:8.2f} {top:8.2f}")
    return Row(kind, target, concurrency, result, posted, drain, warnings, 1000 * cpu / args.requests)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), all its threads."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_py_spy(pid: int, out: Path) -> subprocess.Popen:
    py_spy = Path(sys.executable).parent / "py-spy"
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(py_spy),
        "record",
        "--pid",
        str(pid),
        "--rate",
        os.environ.get("BENCH_SPY_RATE", "100"),
        "--threads",
        "--format",
        "raw",
    ]
    if os.environ.get("BENCH_SPY_GIL"):  # only the thread holding the GIL: where the CPU goes, not the waits
        cmd.append("--gil")
    spy = subprocess.Popen([*cmd, "--output", f"{out}.txt"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)  # let it attach
    return spy


def stop_py_spy(spy: subprocess.Popen) -> None:
    spy.send_signal(signal.SIGINT)
    try:
        spy.wait(60)
    except subprocess.TimeoutExpired:
        spy.kill()


# --- the report ---------------------------------------------------------------------------------


def print_rows(rows: list[Row]) -> None:
    print(
        "\n| database | server | c | requests | p50 | p95 | p99 | max | req/s | server CPU / request | errors | "
        "'same as?' | cards posted / expected |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        name = SERVER_NAMES[r.target]
        cards = f"{r.cards_posted} / {r.result.cards_expected}" if r.target != "bolt" else "-"
        questions = str(r.result.questions) if r.target == "tally" else "-"
        print(
            f"| {r.db} | {name} | {r.concurrency} | {len(r.result.all)} | {r.pct(0.5):.1f} ms | {r.pct(0.95):.1f} ms | "
            f"{r.pct(0.99):.1f} ms | {max(r.result.all):.1f} ms | {r.rps:.0f} | {r.cpu_ms:.2f} ms | {r.errors} | "
            f"{questions} | {cards} |"
        )
    print("\nper kind, p50 / p99 ms:")
    for r in rows:
        if r.target == "bolt":
            continue
        parts = []
        for kind, xs in r.result.latencies.items():
            xs = sorted(xs)
            parts.append(
                f"{kind} ({len(xs)}) {statistics.median(xs):.1f} / {xs[min(len(xs) - 1, int(0.99 * len(xs)))]:.1f}"
            )
        logged = f"; {r.warnings} warning/error log lines" if r.warnings else ""
        drained = f"; last card {r.drain_ms:.0f} ms after the last answer"
        print(f"  {r.db} {r.target} c={r.concurrency}: " + ", ".join(parts) + drained + logged)
    floors = {(r.db, r.concurrency): r for r in rows if r.target == "floor"}
    bare = {(r.db, r.concurrency): r for r in rows if r.target == "bolt"}
    for key, r in floors.items():  # information, not a target: what the work itself costs over the SDK
        if key in bare:
            b = bare[key]
            print(
                f"  floor (information, not a target), {key[0]} c={key[1]}: p50 {r.pct(0.5) / b.pct(0.5):.1f}x "
                f"bare Bolt's, throughput {r.rps / b.rps:.2f}x, CPU / request {r.cpu_ms:.2f} ms against {b.cpu_ms:.2f}"
            )
    for r in rows:
        if r.result.error_samples:
            print(f"  {r.db} {r.target} c={r.concurrency} errors {dict(r.result.errors)}: {r.result.error_samples}")


def slash_figures(rows: list[Row], high: int, low: int) -> list[Any]:
    """Issue 10's targets for bench/slash, each beside the bare Bolt anchor of the same run."""
    from figures import Figure

    out = []
    for db in dict.fromkeys(r.db for r in rows):
        mine = {(r.target, r.concurrency): r for r in rows if r.db == db}
        name = "SQLite" if db == "sqlite" else "PostgreSQL"
        for c in (low, high):
            if ("tally", c) in mine:
                r = mine[("tally", c)]
                out.append(Figure("slash", f"{name} c={c} errors", str(r.errors), "0", "-", r.errors == 0))
        if ("tally", low) in mine and ("bolt", low) in mine:
            t, b = mine[("tally", low)].pct(0.5), mine[("bolt", low)].pct(0.5)
            out.append(
                Figure(
                    "slash",
                    f"{name} c={low} p50",
                    f"{t:.1f} ms ({t / b:.1f}x)",
                    "<= 3x anchor",
                    f"bare Bolt {b:.1f} ms",
                    t <= 3 * b,
                )
            )
        if ("tally", high) in mine:
            r = mine[("tally", high)]
            if ("bolt", high) in mine:
                bare = mine[("bolt", high)].rps
                out.append(
                    Figure(
                        "slash",
                        f"{name} c={high} throughput",
                        f"{r.rps:.0f} req/s ({r.rps / bare:.2f}x)",
                        ">= 0.25x anchor",
                        f"bare Bolt {bare:.0f} req/s",
                        r.rps >= bare / 4,
                    )
                )
            p99, slowest = r.pct(0.99), max(r.result.all)
            out.append(Figure("slash", f"{name} c={high} p99", f"{p99:.1f} ms", "< 100 ms", "-", p99 < TARGETS["p99"]))
            out.append(
                Figure(
                    "slash", f"{name} c={high} slowest", f"{slowest:.1f} ms", "< 500 ms", "-", slowest < TARGETS["max"]
                )
            )
    return out


def runs(args: argparse.Namespace) -> list[tuple[str, int, str]]:
    """Every (database, concurrency, server) the options ask for, in the order they run."""
    kinds = ["postgres"] if args.only_postgres else ["sqlite", "postgres"] if args.postgres else ["sqlite"]
    levels = [int(c) for c in args.concurrency.split(",")]
    return [(k, c, t) for k in kinds for c in levels for t in args.servers.split(",")]


async def run(args: argparse.Namespace) -> None:
    levels = [int(c) for c in args.concurrency.split(",")]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, concurrency, target in runs(args):
            row = await measure(target, kind, concurrency, args, Path(tmp))
            rows.append(row)
            print(
                f"  done: {kind} {target} c={concurrency}: {row.rps:.0f} req/s, p99 {row.pct(0.99):.1f} ms", flush=True
            )
    print_rows(rows)
    if len(levels) > 1:
        from figures import record

        print()
        record(slash_figures(rows, max(levels), min(levels)))


def tree_version(tree: Path) -> str:
    """The commit under test, and whether the tree had changes not yet committed."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(tree), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not a git tree"
    return f"{commit}{' + uncommitted changes' if dirty else ''}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", default="1,20", help="comma-separated levels, e.g. 1,20")
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--slack-ms", type=float, default=0.0, help="the fake Slack's delay per Web API call")
    parser.add_argument(
        "--mix",
        type=lambda v: tuple(float(x) / 100 for x in v.split(",")[:2]),
        default=(0.6, 0.3),
        help="diagnostics: percent new,again (the rest list); issue 10's mix is 60,30",
    )
    parser.add_argument(
        "--servers",
        default="bolt,tally",
        help="bolt (the anchor), tally, floor (bare Bolt plus a capture's least work: bench/slash_floor.py)",
    )
    parser.add_argument("--only-postgres", action="store_true", help="PostgreSQL only")
    parser.add_argument("--profile", type=Path, help="record the Tally process with py-spy into this folder")
    parser.add_argument("--probe", action="store_true", help="time to_thread queueing and SQL in the Tally process")
    args = parser.parse_args()
    print_header(args.requests, args.concurrency)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
