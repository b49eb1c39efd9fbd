"""`tally export`: the workspace's evidence as CSV, XLSX or JSON, for finance's own spreadsheets."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from adapters.digest_cli import CliError, pick_workspace, step
from digests.export import build_export
from digests.export_files import WRITERS
from storage.uow import SqlUnitOfWorkFactory


def _date(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CliError(f"{option} {text!r} is not a date: write it as YYYY-MM-DD.") from exc


def export(engine: Engine, args: Any) -> int:
    workspace = pick_workspace(engine, args.workspace)
    start, end = _date(args.start, "--from"), _date(args.end, "--to")
    today = datetime.now(UTC).astimezone(ZoneInfo(workspace.timezone)).date()
    step(f"Exporting {workspace.external_id} as {args.format}…")
    with SqlUnitOfWorkFactory(engine)(write=False) as uow:
        try:
            built = build_export(uow, workspace, start, end, today)
        except ValueError as exc:
            raise CliError(f"{exc}.") from exc
    data = WRITERS[args.format](built)
    if args.out:
        Path(args.out).write_bytes(data)
        step(f"Wrote {len(built.problems)} problems, {len(built.ideas)} ideas to {args.out} ({len(data):,} bytes).")
    elif args.format == "xlsx":
        raise CliError("XLSX is a binary file: give --out FILE.xlsx.")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0
