"""`tally import FILE.csv|FILE.xlsx [--skip-invalid]`: history kept on paper or in spreadsheets, in the export's
columns. Every bad line is reported; nothing is imported unless all are good or --skip-invalid is given."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from adapters.digest_cli import CliError, pick_workspace, step
from digests.importer import apply, check
from storage.uow import SqlUnitOfWorkFactory


def records(path: Path) -> Iterator[dict[str, Any]]:
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        sheet = book["Problems"] if "Problems" in book.sheetnames else book.active
        rows = sheet.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        for values in rows:
            yield {h: _cell(v) for h, v in zip(header, values, strict=False) if h}
        return
    if path.suffix.lower() != ".csv":
        raise CliError(f"{path.name}: give a .csv or .xlsx file (as `tally export` writes).")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        yield from csv.DictReader(handle)


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, str) and value.startswith("'") and value[1:2] in ("=", "+", "-", "@"):
        return value[1:]  # the export's defusing, undone
    return value


class Progress:
    """A bar on a terminal (stderr), nothing when piped."""

    def __init__(self, total: int) -> None:
        self.total = max(total, 1)
        self.shown = -1
        self.live = sys.stderr.isatty() and total >= 200

    def __call__(self, done: int) -> None:
        percent = done * 100 // self.total
        if self.live and percent != self.shown:
            self.shown = percent
            bar = "#" * (percent // 4)
            print(f"\r  [{bar:<25}] {percent:3d}% ({done:,} of {self.total:,} rows)", end="", file=sys.stderr)
            if done >= self.total:
                print(file=sys.stderr)


def import_file(engine: Engine, args: Any) -> int:
    path = Path(args.file)
    if not path.exists():
        raise CliError(f"No file {path}.")
    workspace = pick_workspace(engine, args.workspace)
    today = datetime.now(UTC).astimezone(ZoneInfo(workspace.timezone)).date()
    step(f"Checking {path.name}…")
    try:
        checked = check(records(path), today)
    except (UnicodeDecodeError, csv.Error, OSError, ValueError, KeyError) as exc:
        raise CliError(f"{path.name} can't be read as {path.suffix[1:].upper()}: {exc}") from exc
    for error in checked.errors:
        print(error, file=sys.stderr)
    if checked.errors and not args.skip_invalid:
        raise CliError(
            f"{len(checked.errors)} problem(s) in {path.name}: nothing imported. Fix them, or add --skip-invalid "
            "to import the good rows only."
        )
    step(f"Importing {len(checked.rows):,} rows into {workspace.external_id}…")
    with SqlUnitOfWorkFactory(engine)() as uow:
        done = apply(uow, workspace, checked.rows, Progress(len(checked.rows)))
        uow.commit()
    skipped = f", {len(checked.errors)} bad line(s) skipped" if checked.errors else ""
    print(
        f"Imported {len(checked.rows)} rows: {done.problems_created} new problems, {done.occurrences_added} weekly "
        f"tallies added, {done.already_there} already there{skipped}."
    )
    return 0
