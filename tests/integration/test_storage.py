"""The core on real SQLite and real PostgreSQL: arithmetic, numbering, idempotency, scoping."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import inspect, text
from sqlalchemy import text as text_sql

from bot import commands as c
from bot.grammar import parse_line
from bot.replies import Reply, ReplyKind
from storage.migrate import downgrade, upgrade
from storage.model import Platform
from storage.uow import SqlUnitOfWork
from tests.conftest import WORKED_EXAMPLE
from tests.databases import dump_tables, migrated_engine

WS = c.WorkspaceRef(Platform.CONSOLE, "integration")
ALICE = c.Actor("alice")


def say(bus, line: str, actor: c.Actor = ALICE, delivery: str | None = None, ws: c.WorkspaceRef = WS) -> Reply:
    return bus.handle(parse_line(line, ws, actor, delivery))


def field(reply: Reply, label: str) -> str:
    return next(f.value for f in reply.fields if f.label == label)


def test_worked_example(bus):
    reply = say(bus, "problem " + WORKED_EXAMPLE)
    assert field(reply, "Staff time this week") == "8.5 hours"
    assert field(reply, "Service users affected this week") == "17"
    assert field(reply, "Cost this week") == "£212.50"
    shown = say(bus, "problem show 1")
    assert field(shown, "Staff time this week") == "8.5 hours"


def test_repeats_merge_status_list_top(bus):
    say(bus, "problem Printer jammed x2 10m #print")
    say(bus, "problem Phones down 2h #phones")
    reply = say(bus, "problem again 1 x3 on yesterday")
    assert field(reply, "Tally") == "5 times this week · 5 times in all"
    merged = bus.handle(parse_line("problem merge 2 into 1", WS, c.Actor("lead", is_admin=True)))
    assert field(merged, "Tally").startswith("6 times")
    assert say(bus, "problem top").lines[0].startswith("1. #1 Printer jammed")
    assert len(say(bus, "problem list all").lines) == 1
    assert say(bus, "problem status 1 fixed").kind is ReplyKind.CARD
    assert "none" in say(bus, "problem list").text


def test_retried_delivery_is_stored_once(bus, engine):
    say(bus, "problem Letters not received", delivery="slack:T1")
    say(bus, "problem Letters not received", delivery="slack:T1")
    say(bus, "problem again 1 x4", delivery="slack:T2")
    say(bus, "problem again 1 x4", delivery="slack:T2")
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from problem")).scalar() == 1
        assert conn.execute(text("select sum(count) from occurrence")).scalar() == 5


def test_concurrent_reports_get_unique_numbers_and_duplicates_store_once(bus, engine):
    words = "printer phones kiosk scanner website letters queue parking lift heating".split()
    lines = [(f"problem {words[i % 10]} broken", f"d{i % 10}") for i in range(40)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(lambda item: say(bus, item[0], delivery=item[1]), lines))
    # No report fails under contention; a redelivery may answer with the card or "already answered".
    assert not [(r.kind, r.text) for r in replies if r.kind is ReplyKind.ERROR]
    assert sum(r.kind is ReplyKind.CARD for r in replies) >= 10
    with engine.connect() as conn:
        numbers = [n for (n,) in conn.execute(text("select number from problem order by number"))]
        deliveries = conn.execute(text("select count(distinct delivery_id), count(*) from occurrence")).one()
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) == 10 and tuple(deliveries) == (10, 10)


def test_every_query_is_scoped_by_workspace(bus):
    other = c.WorkspaceRef(Platform.CONSOLE, "elsewhere")
    say(bus, "problem Printer jammed x5 1h")
    assert say(bus, "problem show 1", ws=other).kind is ReplyKind.ERROR
    assert say(bus, "problem again 1", ws=other).kind is ReplyKind.ERROR
    assert "none" in say(bus, "problem list", ws=other).text
    assert say(bus, "problem Printer jammed", ws=other).text.startswith("#1 ")


def test_anonymous_reports_leave_no_trace_in_any_table(bus, engine):
    say(bus, "problem Bullying on the night shift anon +people", actor=c.Actor("U-WHISTLE"))
    say(bus, "problem again 1 anon", actor=c.Actor("U-WHISTLE"))
    for table, rows in dump_tables(engine).items():
        assert "U-WHISTLE" not in rows, table


def test_longest_allowed_values_fit_every_column(bus, engine):
    """PostgreSQL enforces column lengths: whatever the grammar accepts must fit."""
    area = "#" + "a" * 100
    text = " ".join(["word"] * 160)  # 799 characters, leaving room for the keywords in 1,000
    reply = say(bus, f"problem {text} {area} x1000000 24h users=1000000 +cost +delivery +quality +people fd")
    assert reply.kind is ReplyKind.CARD, reply.text
    with engine.connect() as conn:
        assert conn.execute(text_sql("select length(description) from problem")).scalar() == 799
        assert conn.execute(text_sql("select length(name) from process_area")).scalar() == 100


def test_control_characters_never_reach_the_database(bus):
    reply = say(bus, "problem Printer\x00 jammed\x07 again #front\x00desk")
    assert reply.kind is ReplyKind.CARD and reply.text == "#1 Printer jammed again"


def test_bad_input_stores_nothing(bus, engine):
    say(bus, "problem Printer jammed")
    reply = say(bus, "problem again 1 on 2030-01-01")
    assert reply.kind is ReplyKind.ERROR
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from occurrence")).scalar() == 1


def test_migrations_go_down_and_up(engine):
    downgrade(engine, "base")
    assert "problem" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert {"workspace", "problem", "occurrence", "audit_event", "slack_installation"} <= set(
        inspect(engine).get_table_names()
    )


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path):
    with migrated_engine("sqlite", tmp_path) as engine, engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_rollback_on_exit_without_commit(engine):
    from storage.model import WorkspaceDefaults

    with SqlUnitOfWork(engine) as uow:
        uow.workspaces.get_or_create(Platform.CONSOLE, "never-committed", WorkspaceDefaults())
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from workspace")).scalar() == 0


def test_replicas_starting_together_migrate_once(tmp_path):
    """Four processes run `tally db upgrade` at once on a fresh database: none fails, the schema is whole."""
    import os
    import subprocess
    import sys

    from alembic.script import ScriptDirectory

    from storage.engine import make_engine
    from storage.migrate import alembic_config
    from tests.databases import database_url

    head = ScriptDirectory.from_config(alembic_config(None)).get_current_head()  # type: ignore[arg-type]

    for kind in ("sqlite", "postgres"):
        with database_url(kind, tmp_path) as url:
            env = {**os.environ, "DATABASE_URL": url}
            command = [sys.executable, "-m", "adapters.cli", "db", "upgrade"]
            runs = [
                subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)
            ]
            results = [(p.wait(timeout=120), p.stderr.read().decode()) for p in runs]  # type: ignore[union-attr]
            assert all(code == 0 for code, _ in results), results
            engine = make_engine(url)
            try:
                with engine.connect() as conn:
                    assert conn.execute(text("select version_num from alembic_version")).scalar() == head
            finally:
                engine.dispose()
