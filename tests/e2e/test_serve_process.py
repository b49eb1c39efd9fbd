"""`tally -v serve` as an operator runs it: its debug log holds no token, no secret and no anonymous reporter."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys

import aiohttp

from tests.e2e.slack_client import SIGNING_SECRET, SlackClient, install

CLIENT_SECRET = "client-secret-that-must-never-be-logged"
SECRET_KEY = "at-rest-key-that-must-never-be-logged"
INSTALLED_TOKEN = "xoxb-installed-secret-token"  # what the fake Slack's oauth.v2.access hands out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_until_healthy(base: str, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            assert process.returncode is None, "tally serve exited early"
            try:
                async with session.get(f"{base}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("tally serve did not become healthy within 30 s")


async def test_verbose_serve_keeps_tokens_secrets_and_anonymous_reporters_out_of_its_log(fake_slack, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tally.db'}",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_CLIENT_ID": "111.222",
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_API_URL": fake_slack.api_url,
        "TALLY_SECRET_KEY": SECRET_KEY,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", "-v", "serve", "--port", str(port),
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await wait_until_healthy(base, process)
        assert (await install(lambda path: base + path)).status == 200
        slack = SlackClient(base, fake_slack.url("/"))
        status, _ = await slack.slash("Bullying on the night shift anon", team_id="T0NEW", user_id="U0WHISTLE")
        assert status == 200
        status, _ = await slack.slash("again 1 anon", team_id="T0NEW", user_id="U0WHISTLE")
        assert status == 200
        (post,) = await fake_slack.wait_for("chat.postMessage")
        assert post.token == INSTALLED_TOKEN  # the token really was in play while the log was written
    finally:
        process.terminate()
        out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    log = (out + err).decode()
    assert process.returncode == 0, log[-3000:]  # SIGTERM shuts down cleanly: the database closed, no traceback
    assert "Traceback" not in log
    assert "DEBUG tally.bus: ReportProblem handled" in log, log[-3000:]  # -v really is on
    for secret in (INSTALLED_TOKEN, CLIENT_SECRET, SECRET_KEY, SIGNING_SECRET, "one-time-code", "U0WHISTLE"):
        assert secret not in log, secret
    with sqlite3.connect(tmp_path / "tally.db") as db:  # the anonymous repeat really was stored, with no name
        assert db.execute("select sum(count), count(reporter_id) from occurrence").fetchone() == (2, 0)
