"""`tally serve`, and the anchors beside it, as real subprocesses: what bench_memory and bench_startup measure
from outside (resident memory, time to the first answer), so nothing of the load generator counts."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from bench_slash import BOT_TOKEN, REPO_UNDER_TEST, SIGNING_SECRET

BENCH_DIR = Path(__file__).resolve().parent

# The anchor for memory: bench_slash's bare Bolt app, served by aiohttp's run_app as `tally serve` serves Tally,
# with INFO logging (the access log) to the same kind of file.
BOLT_SERVER = """
import logging, sys
sys.path.insert(0, sys.argv[3])
from aiohttp import web
from bench_slash import bare_bolt_app
logging.basicConfig(level=logging.INFO, stream=sys.stderr)
web.run_app(bare_bolt_app(sys.argv[2]), host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""

# The anchor for start-up: the least an aiohttp server can do to answer /healthz.
AIOHTTP_SERVER = """
import sys
from aiohttp import web
async def healthz(request):
    return web.json_response({"status": "ok"})
app = web.Application()
app.router.add_get("/healthz", healthz)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""


UNSET = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_APP_TOKEN", "MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD")


def free_port() -> int:
    """A port nobody listens on now (the child binds it a moment later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tally_env(db_url: str, api_url: str) -> dict[str, str]:
    """Single-workspace Slack against the fake API, Teams and OAuth off. The OAuth and Teams variables are removed,
    not set empty: Bolt reads SLACK_CLIENT_ID/SECRET itself, and turns OAuth on when they are set at all."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env.update(
        DATABASE_URL=db_url,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_API_URL=api_url,
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO_UNDER_TEST), os.environ.get("PYTHONPATH", "")) if p),
    )
    return env


def start_tally(
    db_url: str, api_url: str, port: int, log: IO[str], runner: tuple[str, ...] = ("-m", "adapters.cli")
) -> subprocess.Popen:
    """`tally serve` (its console script is `adapters.cli:main`; -m runs the tree under test, not the installed one;
    `runner` may be ("-c", code) that calls adapters.cli.main itself, e.g. with tracemalloc on)."""
    cmd = [sys.executable, *runner, "serve", "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(cmd, env=tally_env(db_url, api_url), stdout=log, stderr=log, cwd=str(REPO_UNDER_TEST))


def start_bolt(api_url: str, port: int, log: IO[str]) -> subprocess.Popen:
    cmd = [sys.executable, "-c", BOLT_SERVER, str(port), api_url, str(BENCH_DIR)]
    return subprocess.Popen(cmd, stdout=log, stderr=log, cwd=str(BENCH_DIR))


def start_aiohttp(port: int, log: IO[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", AIOHTTP_SERVER, str(port)], stdout=log, stderr=log)


def healthz(port: int) -> int:
    """The status of GET /healthz, or 0 when nothing answers yet."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status
    except OSError:
        return 0
    finally:
        conn.close()


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_ready(
    process: subprocess.Popen, port: int, health: bool = True, limit: float = 60.0, started: float | None = None
) -> float:
    """Seconds from `started` (perf_counter; default now) until /healthz answers 200 (or, health=False, the port
    accepts a connection); polls every 5 ms."""
    started = time.perf_counter() if started is None else started
    while time.perf_counter() - started < limit:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before it answered")
        if (healthz(port) == 200) if health else listening(port):
            return time.perf_counter() - started
        time.sleep(0.005)
    raise RuntimeError(f"nothing answered on port {port} within {limit:.0f} s")


def stop(process: subprocess.Popen, limit: float = 60.0) -> int:
    """SIGTERM, as systemd or a container stops it: aiohttp's run_app shuts down gracefully (Tally drains its
    background posts). Not SIGINT: a process started in the background of a script has SIGINT ignored."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(limit)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return int(process.returncode)


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (the peak) from /proc/<pid>/status, in KiB."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(rest.split()[0])
    return found
