"""`tally serve` as a real subprocess for the fault tests: started, killed with SIGKILL, restarted, stopped.

It runs the tree under test (`python -m adapters.cli`, with this repository's root first on PYTHONPATH, computed
from this file), single-workspace Slack against a fake Slack on 127.0.0.1, Teams and OAuth off."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.e2e.slack_client import SIGNING_SECRET

REPO_ROOT = Path(__file__).resolve().parents[2]
BOT_TOKEN = "xoxb-single-workspace-token"
UNSET = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_APP_TOKEN", "MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_env(db_url: str, api_url: str, **extra: str) -> dict[str, str]:
    """The OAuth and Teams variables are removed, not set empty: Bolt turns OAuth on when they exist at all."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env.update(
        DATABASE_URL=db_url,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_API_URL=api_url,
        PYTHONPATH=path,
        **extra,
    )
    return env


@dataclass
class ServeProcess:
    """One `tally serve` on a fixed port, restartable on that port; its output goes to `log_path`."""

    db_url: str
    api_url: str
    log_path: Path
    port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    process: asyncio.subprocess.Process | None = None
    starts: int = 0
    kills: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        with self.log_path.open("a") as log:
            log.write(f"\n--- start {self.starts + 1} ---\n")
            log.flush()
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "adapters.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                cwd=str(REPO_ROOT), env=serve_env(self.db_url, self.api_url, **self.extra_env),
                stdout=log, stderr=log,
            )  # fmt: skip
        self.starts += 1
        await self.wait_healthy()

    async def wait_healthy(self, limit: float = 30.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        async with aiohttp.ClientSession() as session:
            while loop.time() < deadline:
                assert self.process is not None and self.process.returncode is None, self.log()[-3000:]
                try:
                    async with session.get(f"{self.base}/healthz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError(f"tally serve was not healthy within {limit:.0f} s:\n{self.log()[-3000:]}")

    async def kill(self) -> None:
        """SIGKILL: no shutdown, no draining, nothing flushed; as a crash or the OOM killer leaves it."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.kills += 1

    async def stop(self) -> int:
        """SIGTERM, as systemd or a container stops it; the exit code."""
        if self.process is None or self.process.returncode is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            return await self.process.wait()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
