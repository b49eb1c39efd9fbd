"""The layout's rules: imports point one way, and botbuilder stays inside adapters/teams/."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLATFORM_SDKS = ("slack_bolt", "slack_sdk", "botbuilder", "botframework", "aiohttp")


def modules(folder: str) -> dict[Path, set[str]]:
    """Every absolute module each file imports, whole ('storage.tables')."""
    found: dict[Path, set[str]] = {}
    for path in (ROOT / folder).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[path] = names
    return found


def imports(folder: str) -> dict[Path, set[str]]:
    """Top-level packages each file imports."""
    return {path: {name.split(".")[0] for name in names} for path, names in modules(folder).items()}


def test_the_core_sees_storage_only_through_its_records_and_ports():
    """No SQL in bot/: unit tests run it on in-memory fakes, and storage can change beneath it."""
    for path, names in modules("bot").items():
        assert not {n for n in names if n.split(".")[0] in ("sqlalchemy", "sqlmodel", "alembic", "psycopg")}, path
        storage = {n for n in names if n.split(".")[0] == "storage"}
        assert storage <= {"storage.model", "storage.ports"}, (path, storage)


def test_bot_imports_no_platform_sdk_and_nothing_outward():
    for path, names in imports("bot").items():
        assert not names & set(PLATFORM_SDKS), path
        assert not names & {"adapters", "digests"}, path


def test_storage_imports_only_storage():
    for path, names in imports("storage").items():
        assert not names & {"bot", "digests", "adapters", *PLATFORM_SDKS}, path


def test_botbuilder_only_inside_adapters_teams():
    for folder in ("bot", "storage", "digests", "adapters"):
        for path, names in imports(folder).items():
            if "teams" in path.relative_to(ROOT).parts:
                continue
            assert not names & {"botbuilder", "botframework", "msrest"}, path


def test_sqlmodel_stays_inside_storage():
    for folder in ("bot", "adapters", "digests"):
        for path, names in imports(folder).items():
            assert not names & {"sqlmodel"}, path
