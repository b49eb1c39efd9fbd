"""`tally chat` and `tally db upgrade` as a person runs them: a real process, real databases."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import WORKED_EXAMPLE


def tally(args: list[str], db_url: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db_url}
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_worked_example_in_tally_chat(db_url):
    assert tally(["db", "upgrade"], db_url).returncode == 0
    lines = "\n".join(
        [
            "problem " + WORKED_EXAMPLE,
            "problem nonsense x0",
            "problem show 1",
            "quit",
        ]
    )
    result = tally(["chat", "--user", "alice"], db_url, stdin=lines)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "#1 Users contacting us" in out
    assert "Staff time this week: 8.5 hours" in out
    assert "Service users affected this week: 17" in out
    assert "'x0' isn't a number of occurrences" in out and "x17" in out
    assert "tally>" not in out  # no prompt when piped
    assert "Traceback" not in out + result.stderr


def test_buttons_become_numbered_choices(db_url):
    lines = "\n".join(
        [
            "problem Users complaining they have not received a decision letter",
            "problem users complain they haven't received their decision letter x2",
            "1",
            "problem list",
        ]
    )
    out = tally(["chat"], db_url, stdin=lines).stdout
    assert "[1] Yes, log it on #1" in out
    assert "Tally: 3 times this week" in out
    assert "#2" not in out


def test_admin_flag(db_url):
    lines = "problem Printer jammed\nproblem Toner spilled everywhere\nproblem merge 2 into 1\n"
    assert "Only a workspace admin or Tally owner" in tally(["chat"], db_url, stdin=lines).stdout
    out = tally(["chat", "--admin"], db_url, stdin="problem merge 2 into 1\n").stdout
    assert "Merged #2 into #1" in out
