"""The export as files: CSV that Excel opens as UTF-8 and never runs as a formula, XLSX with typed cells on three
sheets, and JSON."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl import Workbook

from digests.export import IDEA_COLUMNS, WEEK_COLUMNS, Export
from digests.jsonable import dumps

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # Excel reads a CSV as UTF-8 only with it


def safe_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (OWASP's CSV injection advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return safe_cell(value)


def to_csv(export: Export) -> bytes:
    """The problems sheet: the template's columns, then one column of counts per week."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(export.problem_header)
    for row in export.problems:
        writer.writerow([_csv_value(v) for v in row])
    return (BOM + out.getvalue()).encode("utf-8")


def _typed(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return safe_cell(value)


def _sheet(book: Workbook, title: str, header: tuple[str, ...], rows: tuple[tuple[Any, ...], ...], first: bool) -> None:
    sheet = book.active if first else book.create_sheet()
    assert sheet is not None
    sheet.title = title
    sheet.append(list(header))
    for row in rows:
        sheet.append([_typed(v) for v in row])
    sheet.freeze_panes = "A2"
    for i, name in enumerate(header, start=1):
        longest = max([len(str(name))] + [len(str(r[i - 1])) for r in rows[:200] if r[i - 1] is not None])
        sheet.column_dimensions[_letter(i)].width = min(60, max(8, longest + 2))
    for column in sheet.iter_cols(min_row=2):
        for cell in column:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(column)


def to_xlsx(export: Export) -> bytes:
    from openpyxl import Workbook  # loaded for an XLSX only: it costs start-up time everywhere else

    book = Workbook()
    _sheet(book, "Problems", export.problem_header, export.problems, first=True)
    _sheet(book, "Ideas", IDEA_COLUMNS, export.ideas, first=False)
    _sheet(book, "Weekly totals", WEEK_COLUMNS, export.weekly, first=False)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_json(export: Export) -> str:
    header = export.problem_header
    body = asdict(export) | {
        "problems": [dict(zip(header, row, strict=True)) for row in export.problems],
        "ideas": [dict(zip(IDEA_COLUMNS, row, strict=True)) for row in export.ideas],
        "weekly": [dict(zip(WEEK_COLUMNS, row, strict=True)) for row in export.weekly],
    }
    return dumps(body)


MEDIA_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
WRITERS = {"csv": to_csv, "xlsx": to_xlsx, "json": lambda e: to_json(e).encode("utf-8")}
