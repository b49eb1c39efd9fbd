"""Import on SQLite and PostgreSQL: an export imported into an empty workspace gives the same totals, in CSV and
XLSX; importing it again changes nothing; a malformed file reports every bad line, with what is wrong."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from bot import commands as c
from bot.grammar import parse_line
from digests.export import build_export
from digests.export_files import to_csv, to_xlsx
from digests.importer import apply, check
from storage.model import Platform, Status, WorkspaceDefaults
from storage.uow import SqlUnitOfWorkFactory

SOURCE = c.WorkspaceRef(Platform.SLACK, "T0SOURCE")
LEAD = c.Actor("U0LEAD", is_admin=True)
TODAY = date(2026, 11, 21)


def history(bus) -> None:  # type: ignore[no-untyped-def]
    for line in (
        # The template keeps a count per week and one effort and users figure per problem: the same each time here.
        "problem Users chasing their decision letter #decisions x17 30m users=2 fd on 2026-11-12",
        "problem again 1 x5 30m users=2 on 2026-11-02",
        "problem again 1 x3 30m users=2 on 2026-10-20",
        "problem Printer jams at reception #front-desk x2 10m +cost on 2026-11-18",
        "problem Portal shows a blank page x4 15m users=8 on 2026-09-30",
        "problem status 3 fixed",
    ):
        assert bus.handle(parse_line(line, SOURCE, LEAD)).kind.value != "error", line


def totals(engine, external_id: str) -> dict[str, tuple[int, int, int]]:  # type: ignore[no-untyped-def]
    with SqlUnitOfWorkFactory(engine)(write=False) as uow:
        ws = uow.workspaces.find(Platform.SLACK, external_id)
        assert ws is not None and ws.id is not None
        problems = {p.id: p for p in uow.problems.list(ws.id, list(Status), limit=1000)}
        sums = uow.occurrences.totals(ws.id)
        return {problems[pid].title: (t.count, t.staff_minutes, t.users_affected) for pid, t in sums.items()}


def exported(engine) -> bytes:  # type: ignore[no-untyped-def]
    with SqlUnitOfWorkFactory(engine)(write=False) as uow:
        ws = uow.workspaces.find(SOURCE.platform, SOURCE.external_id)
        assert ws is not None
        return to_csv(build_export(uow, ws, None, None, TODAY)), to_xlsx(build_export(uow, ws, None, None, TODAY))


def import_into(engine, external_id: str, records: list[dict]):  # type: ignore[no-untyped-def]
    checked = check(records, TODAY)
    assert checked.errors == []
    with SqlUnitOfWorkFactory(engine)() as uow:
        ws = uow.workspaces.get_or_create(Platform.SLACK, external_id, WorkspaceDefaults())
        done = apply(uow, ws, checked.rows)
        uow.commit()
    return done


def csv_records(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def xlsx_records(data: bytes) -> list[dict]:
    sheet = load_workbook(io.BytesIO(data))["Problems"]
    rows = list(sheet.iter_rows(values_only=True))
    return [
        dict(zip(rows[0], (v.date().isoformat() if hasattr(v, "date") else v for v in r), strict=True))
        for r in rows[1:]
    ]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_export_imported_into_an_empty_workspace_gives_the_same_totals_once(bus, engine, kind):
    history(bus)
    csv_data, xlsx_data = exported(engine)
    records = csv_records(csv_data) if kind == "csv" else xlsx_records(xlsx_data)
    first = import_into(engine, "T0TARGET", records)
    assert first.problems_created == 3
    assert totals(engine, "T0TARGET") == totals(engine, "T0SOURCE")
    again = import_into(engine, "T0TARGET", records)
    assert (again.problems_created, again.occurrences_added) == (
        0,
        0,
    ) and again.already_there == first.occurrences_added
    assert totals(engine, "T0TARGET") == totals(engine, "T0SOURCE")
    with SqlUnitOfWorkFactory(engine)(write=False) as uow:
        ws = uow.workspaces.find(Platform.SLACK, "T0TARGET")
        fixed = [p for p in uow.problems.list(ws.id, list(Status), limit=100) if p.title == "Portal shows a blank page"]
        assert [p.status.value for p in fixed] == ["fixed"]  # status, areas and failure demand come across
        letters = [p for p in uow.problems.list(ws.id, list(Status), limit=100) if p.title.startswith("Users chasing")]
        assert letters[0].failure_demand and uow.areas.get(ws.id, letters[0].area_id).name == "Decisions"


def test_a_malformed_file_reports_every_bad_line_and_what_is_wrong():
    text = (
        "Process area,Issue,Impact area,Number of occurrences,Effort to work around (minutes each),"
        "Failure demand,Status,2026-W45,2026-W46\n"
        "Decisions,Fine row,quality,3,30,yes,open,1,2\n"
        ",,quality,1,10,no,open,1,\n"
        "Front,Printer,colour,x,ten,maybe,closed,-1,\n"
        "\n"
        "Front,Future,,1,5,no,open,,\n"
    )
    early = check(csv.DictReader(io.StringIO(text)), date(2026, 11, 3))
    assert "line 2: week 2026-W46 is in the future" in early.errors  # it starts on 9 November
    checked = check(csv.DictReader(io.StringIO(text)), TODAY)
    assert [r.issue for r in checked.rows] == ["Fine row", "Future"]
    lines = {e.split(":")[0] for e in checked.errors}
    assert lines == {"line 3", "line 4"}
    line4 = [e for e in checked.errors if e.startswith("line 4")]
    for what in ("colour", "'x'", "'ten'", "'maybe'", "'closed'", "'-1'"):
        assert any(what in e for e in line4), (what, line4)
    assert any("Issue is empty" in e for e in checked.errors if e.startswith("line 3"))
