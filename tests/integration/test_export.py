"""The export on SQLite and PostgreSQL: the seed's example in the problem capture template's columns in CSV, XLSX
(typed cells, read back) and JSON; formula injection defused; anonymous reporters nowhere; the ideas sheet's
business case by DESIGN.md's formula."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from bot import commands as c
from bot.grammar import parse_line
from digests.export import PROBLEM_COLUMNS, build_export
from digests.export_files import to_csv, to_json, to_xlsx
from storage.model import Platform
from storage.uow import SqlUnitOfWorkFactory

WS = c.WorkspaceRef(Platform.SLACK, "T0EXPORT")
LEAD = c.Actor("U0LEAD", is_admin=True)
TODAY = date(2026, 11, 21)  # the tests' clock
SEED = (
    "problem Users contacting us to complain that they have not received a decision letter "
    "#communicating-decision-on-application x17 30m +quality +delivery +cost fd"
)


def run(bus, line: str, user: str = "U0LEAD") -> None:  # type: ignore[no-untyped-def]
    reply = bus.handle(parse_line(line, WS, LEAD if user == "U0LEAD" else c.Actor(user)))
    assert reply.kind.value != "error", reply.text


def exported(engine, start: date | None = None):  # type: ignore[no-untyped-def]
    with SqlUnitOfWorkFactory(engine)(write=False) as uow:
        ws = uow.workspaces.find(WS.platform, WS.external_id)
        assert ws is not None
        return build_export(uow, ws, start, None, TODAY)


def test_the_seed_example_in_csv_has_17_occurrences_30_minutes_8_5_hours_and_17_users(bus, engine):
    run(bus, SEED)
    data = to_csv(exported(engine))
    assert data.startswith("\ufeff".encode())  # Excel opens it as UTF-8
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    [row] = rows
    assert row["Process area"] == "Communicating decision on application"
    assert row["Issue"].startswith("Users contacting us to complain")
    assert row["Impact area"] == "quality, delivery, cost"
    picked = [row[k] for k in PROBLEM_COLUMNS[4:8]]
    assert picked == ["17", "30", "8.5", "17"]
    assert row["Failure demand"] == "yes" and row["2026-W47"] == "17"


def test_the_xlsx_reads_back_as_typed_numbers_and_dates_on_three_sheets(bus, engine, tmp_path):
    run(bus, SEED)
    run(bus, "idea Email decision letters as well as posting them for #1")
    run(bus, "idea estimate I1 reduction=50% cost=2000")
    path = tmp_path / "tally.xlsx"
    path.write_bytes(to_xlsx(exported(engine)))
    book = load_workbook(path)
    assert book.sheetnames == ["Problems", "Ideas", "Weekly totals"]
    problems = book["Problems"]
    assert problems.freeze_panes == "A2"
    header = [cell.value for cell in problems[1]]
    values = dict(zip(header, [cell.value for cell in problems[2]], strict=True))
    assert values["Number of occurrences"] == 17 and isinstance(values["Number of occurrences"], int)
    assert values["Effort to work around (minutes each)"] == 30
    assert values["Total impact: staff hours"] == 8.5 and isinstance(values["Total impact: staff hours"], float)
    assert values["Total impact: service users"] == 17
    assert isinstance(values["First seen"], datetime)  # a date cell, not text
    ideas = book["Ideas"]
    idea = dict(zip([c.value for c in ideas[1]], [c.value for c in ideas[2]], strict=True))
    assert (idea["Idea"], idea["Linked problems"], idea["Expected reduction (%)"]) == ("I1", "#1", 50)
    # The baseline is the 12 complete weeks before this one: this week's 17 don't count yet, so nothing is saved.
    assert idea["Implementation cost"] == 2000 and idea["Expected annual saving"] == 0
    weekly = book["Weekly totals"]
    assert [c.value for c in weekly[1]] == [
        "Week",
        "Week starting",
        "Occurrences",
        "Staff hours",
        "Service users",
        "Cost",
    ]
    assert weekly.cell(row=weekly.max_row, column=1).value == "2026-W47"
    assert weekly.cell(row=weekly.max_row, column=3).value == 17


def test_cells_a_spreadsheet_would_run_are_defused_and_reporters_are_nowhere(bus, engine):
    run(bus, 'problem =HYPERLINK("http://evil") +cmd -rm @SUM x2 10m anon', "U0WHISTLEBLOWER")
    run(bus, "problem Printer jams again x1 5m", "U0NAMED")
    built = exported(engine)
    data = to_csv(built)
    [row, _] = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]
    assert row[2].startswith("'=HYPERLINK")
    book = load_workbook(io.BytesIO(to_xlsx(built)))
    assert str(book["Problems"]["C2"].value).startswith("'=")
    everything = data + to_xlsx(built) + to_json(built).encode()
    assert b"U0WHISTLEBLOWER" not in everything and b"U0NAMED" not in everything


def test_json_has_every_sheet_and_the_period(bus, engine):
    run(bus, SEED)
    body = json.loads(to_json(exported(engine)))
    assert body["start"] == "2026-11-21" and body["end"] == "2026-11-21" and body["weeks"] == ["2026-W47"]
    assert body["problems"][0]["Total impact: staff hours"] == "8.5"
    assert Decimal(body["weekly"][-1]["Cost"]) == Decimal("212.50")  # 8.5 hours at £25
