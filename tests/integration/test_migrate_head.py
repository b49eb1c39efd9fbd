"""A start on a database already at head reads alembic_version and goes on, without alembic; any other database
is upgraded by alembic as before."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage.engine import make_engine
from storage.migrate import at_head, current_revisions, downgrade, head_revision, upgrade
from tests.databases import database_url

ROOT = Path(__file__).resolve().parents[2]
KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("kind", KINDS)
def test_a_fresh_database_is_upgraded_and_then_found_at_head(kind, tmp_path):
    with database_url(kind, tmp_path) as url:
        engine = make_engine(url)
        try:
            assert current_revisions(engine) == [] and not at_head(engine)
            upgrade(engine)
            assert current_revisions(engine) == [head_revision()] and at_head(engine)
            downgrade(engine, "0008")
            assert current_revisions(engine) == ["0008"] and not at_head(engine)
            upgrade(engine)  # one revision behind: alembic runs the rest
            assert current_revisions(engine) == [head_revision()]
        finally:
            engine.dispose()


# What a second start runs: it must find the database at head without importing alembic.
SECOND_START = """
import sys
from storage.engine import make_engine
from storage.migrate import upgrade
engine = make_engine(sys.argv[1])
upgrade(engine)
assert "alembic" not in sys.modules, "alembic imported on a database at head"
engine.dispose()
"""


@pytest.mark.parametrize("kind", KINDS)
def test_a_database_at_head_is_not_handed_to_alembic(kind, tmp_path):
    with database_url(kind, tmp_path) as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        result = subprocess.run(
            [sys.executable, "-c", SECOND_START, url],
            capture_output=True,
            text=True,
            env=os.environ,
            cwd=ROOT,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr[-3000:]
