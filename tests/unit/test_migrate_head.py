"""The head revision read from the revision files as text (so a start on a migrated database needs no alembic) is
alembic's head; where the text is not plain enough to be sure, it says so and alembic decides."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory

from storage import migrate


def test_the_head_read_as_text_is_alembics_head():
    script = ScriptDirectory.from_config(migrate.alembic_config(None))  # type: ignore[arg-type]
    assert migrate.head_revision() is not None
    assert migrate.head_revision() == script.get_current_head()


def write_revisions(tmp_path, monkeypatch, *files: str) -> None:
    (tmp_path / "versions").mkdir()
    for number, body in enumerate(files):
        (tmp_path / "versions" / f"{number:04}_x.py").write_text(f'"""x\n\nRevision ID: x\n"""\n\n{body}\n')
    monkeypatch.setattr(migrate, "MIGRATIONS", tmp_path)


def test_annotated_and_single_quoted_lines_are_read(tmp_path, monkeypatch):
    write_revisions(
        tmp_path,
        monkeypatch,
        "revision = 'a1'\ndown_revision = None",
        'revision: str = "b2"\ndown_revision: str | None = "a1"',
    )
    assert migrate.head_revision() == "b2"


@pytest.mark.parametrize(
    "second",
    [
        'revision = "b2"\ndown_revision = None',  # two heads
        'revision = "b2"\ndown_revision = ("a1", "c3")',  # a merge
        'revision = "b2"  # the next\ndown_revision = "a1"',  # a comment after the value
        'down_revision = "a1"',  # no revision line
        'revision = "b2"\nrevision = "b3"\ndown_revision = "a1"',  # two
    ],
)
def test_anything_less_plain_leaves_it_to_alembic(tmp_path, monkeypatch, second):
    write_revisions(tmp_path, monkeypatch, 'revision = "a1"\ndown_revision = None', second)
    assert migrate.head_revision() is None
