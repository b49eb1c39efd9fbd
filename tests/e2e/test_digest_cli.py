"""`tally digest preview|send` as an operator types it (a real process): the digest as text or JSON with its chart
written to a file; posted to Slack under the once-only claim, and again only with --again; `/tally digest` in Slack
shows the preview to the person who asked and posts nothing."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import date

from sqlalchemy import text

from storage.engine import make_engine
from storage.migrate import upgrade
from storage.model import Occurrence, Platform, Problem, WorkspaceDefaults
from storage.uow import SqlUnitOfWorkFactory

WEEK = "2026-W46"


def seed(url: str, channel: str | None = None) -> None:
    """The seed's example in the week of 9 November 2026, in the only workspace."""
    engine = make_engine(url)
    upgrade(engine)
    with SqlUnitOfWorkFactory(engine)() as uow:
        ws = uow.workspaces.get_or_create(Platform.SLACK, "T0COUNCIL", WorkspaceDefaults())
        number = uow.workspaces.next_problem_number(ws.id)
        problem = uow.problems.add(Problem(ws.id, number, "Users chasing their decision letter", effort_minutes=30))
        uow.occurrences.add(Occurrence(ws.id, problem.id, date(2026, 11, 12), 17, effort_minutes=30, users_affected=1))
        uow.forums.default(ws.id)
        uow.commit()
    if channel:
        with engine.begin() as conn:
            conn.execute(text("update forum set destination = :c"), {"c": channel})
    engine.dispose()


async def run_tally(*args: str, **env: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", *args,
        env={**os.environ, "TALLY_SECRET_KEY": "cli-test-key", **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return int(process.returncode or 0), out.decode(), err.decode()


async def test_preview_prints_the_digest_and_writes_its_chart(db_url, tmp_path):
    seed(db_url)
    chart = tmp_path / "chart.png"
    code, out, err = await run_tally("digest", "preview", "--week", WEEK, "--chart", str(chart), DATABASE_URL=db_url)
    assert code == 0, err
    assert "8.5 hours" in out and "17" in out and "Users chasing their decision letter" in out
    assert "Building" in err and "Chart written" in err  # progress on stderr, the digest alone on stdout
    assert chart.read_bytes().startswith(b"\x89PNG")
    code, out, _ = await run_tally("digest", "preview", "--week", WEEK, "--json", DATABASE_URL=db_url)
    digest = json.loads(out)
    assert (digest["week"], digest["staff_hours"], digest["users"], digest["quiet"]) == (WEEK, "8.5", 17, False)
    assert digest["top"][0]["number"] == 1 and digest["failure_demand_share"] is None


async def test_bad_options_say_how_to_write_them(db_url):
    seed(db_url)
    code, _, err = await run_tally("digest", "preview", "--week", "last week", DATABASE_URL=db_url)
    assert code == 2 and "2026-W47" in err and "Traceback" not in err
    code, _, err = await run_tally("digest", "preview", "--forum", "nope", DATABASE_URL=db_url)
    assert code == 2 and "nope" in err and "Traceback" not in err
    code, _, err = await run_tally("digest", "preview", "--workspace", "T0OTHER", DATABASE_URL=db_url)
    assert code == 2 and "T0COUNCIL" in err


async def test_send_posts_once_and_again_only_when_asked(db_url, fake_slack):
    seed(db_url, channel="C0FORUM")
    env = {"DATABASE_URL": db_url, "SLACK_BOT_TOKEN": "xoxb-cli-token", "SLACK_API_URL": fake_slack.api_url}
    code, out, err = await run_tally("digest", "send", "--week", WEEK, **env)
    assert code == 0 and out.startswith("Posted"), err
    code, out, _ = await run_tally("digest", "send", "--week", WEEK, **env)
    assert code == 0 and "Already posted" in out
    code, out, _ = await run_tally("digest", "send", "--week", WEEK, "--again", **env)
    assert code == 0 and out.startswith("Posted")
    posts = [c for c in fake_slack.called("chat.postMessage") if c.args.get("channel") == "C0FORUM"]
    assert len(posts) == 2 and all(c.token == "xoxb-cli-token" for c in posts)


async def test_slash_tally_digest_previews_privately_and_posts_nothing(tally):
    await tally.slack.slash("Users chasing their decision letter x17 30m on 2026-11-12", user_id="U0ALICE")
    status, body = await tally.slack.slash("digest", command="/tally", user_id="U0BOB")
    assert status == 200
    answer = json.loads(body)
    shown = json.dumps(answer, ensure_ascii=False)
    assert answer.get("response_type", "ephemeral") == "ephemeral"
    assert WEEK in shown and "8.5 hours" in shown and "only" in shown
    await tally.settle()
    assert not [c for c in tally.fake.called("chat.postMessage") if WEEK in json.dumps(c.args)]


async def test_export_writes_each_format_and_says_how_to_write_bad_options(db_url, tmp_path):
    seed(db_url)
    out = tmp_path / "tally.xlsx"
    code, _, err = await run_tally("export", "--format", "xlsx", "--out", str(out), DATABASE_URL=db_url)
    assert code == 0 and out.read_bytes().startswith(b"PK") and "1 problems" in err
    code, out_csv, _ = await run_tally("export", "--format", "csv", "--from", "2026-11-09", DATABASE_URL=db_url)
    assert code == 0 and ",17,30,8.5,17," in out_csv.replace("\ufeff", "")
    code, _, err = await run_tally("export", "--format", "xlsx", DATABASE_URL=db_url)
    assert code == 2 and "--out" in err
    code, _, err = await run_tally("export", "--from", "9/11/2026", DATABASE_URL=db_url)
    assert code == 2 and "YYYY-MM-DD" in err and "Traceback" not in err


async def test_import_reports_every_bad_line_and_changes_nothing_then_adds_nothing_twice(db_url, tmp_path):
    seed(db_url)
    bad = tmp_path / "paper.csv"
    bad.write_text(
        "Process area,Issue,Number of occurrences,Effort to work around (minutes each)\n"
        "Front desk,Printer jams,3,10\n,,2,5\nFront desk,Card reader,many,5\n",
        encoding="utf-8",
    )
    code, _, err = await run_tally("import", str(bad), DATABASE_URL=db_url)
    assert code == 2 and "line 3: Issue is empty" in err and "line 4: Number of occurrences 'many'" in err
    assert "nothing imported" in err
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from problem")).scalar() == 1
    code, out, err = await run_tally("import", str(bad), "--skip-invalid", DATABASE_URL=db_url)
    assert code == 0 and "1 new problems" in out and "2 bad line(s) skipped" in out, err
    code, out, _ = await run_tally("import", str(bad), "--skip-invalid", DATABASE_URL=db_url)
    assert code == 0 and "0 new problems, 0 weekly tallies added, 1 already there" in out  # the same file again
    with engine.connect() as conn:
        assert conn.execute(text("select sum(count) from occurrence")).scalar() == 17 + 3
    engine.dispose()
