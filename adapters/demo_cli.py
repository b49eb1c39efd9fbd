"""`tally demo`: sample data in the console's workspace (or one named), so a first look shows everything."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from adapters.config import Settings
from adapters.console import DEFAULT_WORKSPACE
from adapters.digest_cli import step
from digests.demo import load_demo
from storage.model import Platform
from storage.uow import SqlUnitOfWorkFactory


def demo(settings: Settings, engine: Engine, args: Any) -> int:
    external = args.workspace or DEFAULT_WORKSPACE
    with SqlUnitOfWorkFactory(engine)() as uow:
        ws = uow.workspaces.find(Platform.SLACK, external) if args.workspace else None
        ws = ws or uow.workspaces.get_or_create(Platform.CONSOLE, external, settings.defaults)
        today = datetime.now(UTC).astimezone(ZoneInfo(ws.timezone)).date()
        step(f"Loading sample data into {ws.external_id} ({ws.platform})…")
        loaded = load_demo(uow, ws, today, lambda text: step(f"  {text}"))
        uow.commit()
    if loaded.already:
        print(f"{ws.external_id} already holds the sample data: nothing added.")
        return 0
    print(
        f"Loaded {loaded.problems} problems ({loaded.occurrences:,} tallies over 20 weeks) and {loaded.ideas} ideas.\n"
        "Try: tally chat (then `problem top`, `tally agenda`, `tally roi`), tally digest preview, "
        "tally export --format xlsx --out tally.xlsx"
    )
    return 0
