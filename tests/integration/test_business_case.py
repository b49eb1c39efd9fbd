"""The failure-demand business case (`/tally roi`, `tally roi`) on a worked fixture, on SQLite and PostgreSQL,
every figure worked out by hand below from DESIGN.md's formulas.

Clock fixed at Saturday 21 November 2026: the baseline is the 12 weeks Monday 24 August to Sunday 15 November.
Hourly cost £30.

#letters  problem 1 (failure demand, 30 min, 1 user): x10 in each of the 12 weeks = 120 occurrences.
          problem 3 (not failure demand, 20 min): x5 on 12 Oct: never counted.
          demand recorded 100 in 2026-W45 (2 Nov) and 100 in 2026-W46 (9 Nov), and 999 in W47 (this week: outside).
          demand 200; failure in those weeks 10 + 10 = 20; share 20/200 = 10.0%; raw failure 120.
          cost 120 x 30 min = 60 h x £30 = £1,800 over 12 weeks: £150.00 a week, x52 = £7,800.00 a year.
          users 120 / 12 x 52 = 520 a year.
#housing  problem 2 (failure demand, 1 h, 2 users): x6 on 5 Oct. No demand recorded: share unknown.
          cost 6 h x £30 = £180 / 12 = £15.00 a week, £780.00 a year; users 12 / 12 x 52 = 52 a year.
#benefits demand 500 in W45, no failure demand: share 0.0%, nothing costs.
All       demand 700, failure in recorded weeks 20 (126 in all): share 20/700 = 2.857…% -> 2.9%.
          £165.00 a week, £8,580.00 a year; 572 users a year.
Ideas     I1 (for #1) approved, 50%, £2,000: saving £7,800 x 0.5 = £3,900; ROI (3900-2000)/2000 = 0.95 -> '1.0 (95%)';
             users spared 520 x 0.5 = 260.
          I2 (for #2) experiment, 25%, £1,000: saving £780 x 0.25 = £195; ROI (195-1000)/1000 = -0.805 -> '-0.8 (-80%)';
             users spared 52 x 0.25 = 13.
          I3 (for #1) undecided at improve, 90%, £10: not in progress, not counted.
          Σ saving £4,095; users spared 273.
Programme cost £3,000: ROI (4095 - 3000) / 3000 = 0.365 -> '0.4 (36%)', beside £8,580.00 a year of failure demand.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from adapters import cli, roi_cli
from bot import commands as c
from bot.bus import MessageBus
from bot.grammar import parse_line
from bot.replies import Reply, ReplyKind
from storage.model import Platform, WorkspaceDefaults
from storage.uow import SqlUnitOfWorkFactory

WS = c.WorkspaceRef(Platform.SLACK, "T0ROI")
ADMIN = c.Actor("U0LEAD", is_admin=True)
ALICE = c.Actor("U0ALICE")
MONDAYS = [date(2026, 8, 24) + timedelta(weeks=n) for n in range(12)]


def run(bus: MessageBus, line: str, actor: c.Actor = ALICE) -> Reply:
    reply = bus.run(parse_line(line, WS, actor)).reply
    assert reply.kind is not ReplyKind.ERROR, (line, reply.text, reply.footer)
    return reply


def seed(bus: MessageBus) -> None:
    run(bus, "problem Users chasing their decision letter #letters 30m fd")  # today: outside the baseline
    for monday in MONDAYS:
        run(bus, f"problem again 1 x10 on {monday.isoformat()}")
    run(bus, "problem Tenants asking again about repairs #housing 1h users=2 fd")
    run(bus, "problem again 2 x6 on 2026-10-05")
    run(bus, "problem Printer jammed #letters 20m")
    run(bus, "problem again 3 x5 on 2026-10-12")
    for line in ("#letters 100 2026-W45", "#letters 100 2026-W46", "#letters 999", "#benefits 500 2026-W45"):
        run(bus, f"tally demand {line}")
    for words in ("Email the letter too for #1", "Book repairs online for #2", "Hire a clerk for #1"):
        run(bus, f"idea {words}")
    for n, estimate in ((1, "50% cost=2000"), (2, "25% cost=1000"), (3, "90% cost=10")):
        run(bus, f"idea estimate I{n} reduction={estimate}", ADMIN)
    run(bus, "idea move I3 improve Ready", ADMIN)
    run(bus, "idea decide I1 approve Cheap and quick", ADMIN)
    run(bus, "idea decide I2 experiment Try it in one office", ADMIN)


@pytest.fixture
def costed_bus(engine, fixed_clock):
    return MessageBus(SqlUnitOfWorkFactory(engine), WorkspaceDefaults(hourly_cost=Decimal(30)), clock=fixed_clock)


def field(reply: Reply, label: str) -> str:
    return next(f.value for f in reply.fields if f.label == label)


def test_the_worked_fixture_comes_out_exactly_in_chat(costed_bus):
    seed(costed_bus)
    reply = run(costed_bus, "tally roi programme-cost 3000")
    assert "2026-08-24 to 2026-11-15" in reply.text
    assert field(reply, "Failure demand") == "20 of 700 recorded demand is failure demand (2.9%) (126 in all)"
    assert field(reply, "Cost of failure demand") == "£165.00 a week, £8,580.00 a year"
    assert field(reply, "Service users affected") == "572 a year (not counted in the money)"
    assert field(reply, "Ideas in progress") == "save £4,095.00 a year; 273 fewer service users affected a year"
    assert field(reply, "Programme ROI") == "0.4 (36%) on £3,000.00, beside £8,580.00 a year of failure demand"
    areas, ideas = reply.sections
    assert areas.lines == (
        "Benefits: 0 of 500 recorded demand is failure demand (0.0%); costs £0.00 a week, £0.00 a year; "
        "0 service users affected a year",
        "Housing: 6 failure demand; demand not recorded, share unknown; costs £15.00 a week, £780.00 a year; "
        "52 service users affected a year",
        "Letters: 20 of 200 recorded demand is failure demand (10.0%) (120 in all); costs £150.00 a week, "
        "£7,800.00 a year; 520 service users affected a year",
    )
    assert ideas.lines == (
        "I1 Email the letter too (approved): saves £3,900.00 a year for £2,000.00, ROI 1.0 (95%); "
        "260 fewer service users affected a year",
        "I2 Book repairs online (experiment): saves £195.00 a year for £1,000.00, ROI -0.8 (-80%); "
        "13 fewer service users affected a year",
    )
    assert reply.footer == "Share unknown for Housing: record demand with /tally demand #area N [YYYY-Www]"
    plain = run(costed_bus, "tally roi")
    assert "Programme ROI" not in {f.label for f in plain.fields}


def test_the_sql_aggregates_match_the_hand_count(costed_bus, engine):
    seed(costed_bus)
    with SqlUnitOfWorkFactory(engine)(write=False) as uow:
        ws = uow.workspaces.find(Platform.SLACK, "T0ROI")
        assert ws is not None and ws.id is not None
        areas = {a.name: (a.demand, a.failure.count, a.failure.staff_minutes, a.failure_matched)
                 for a in uow.business_case.areas(ws.id, MONDAYS)}  # fmt: skip
        ideas = uow.business_case.ideas(ws.id, ("approve", "experiment"), MONDAYS[0], date(2026, 11, 15))
    assert areas == {"Benefits": (500, 0, 0, 0), "Housing": (None, 6, 360, 0), "Letters": (200, 120, 3600, 20)}
    assert [(i.number, i.decision, i.reduction_pct, i.cost, [t.count for t in i.linked]) for i in ideas] == [
        (1, "approve", Decimal("50.00"), Decimal("2000.00"), [120]),
        (2, "experiment", Decimal("25.00"), Decimal("1000.00"), [6]),
    ]


def test_the_cli_prints_text_and_json(costed_bus, engine, monkeypatch, capsys):
    seed(costed_bus)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("TALLY_SECRET_KEY", "roi-test-key")
    monkeypatch.setattr(roi_cli, "clock", lambda: datetime(2026, 11, 21, 12, tzinfo=UTC))
    assert cli.main(["roi", "--programme-cost", "3000"]) == 0
    out = capsys.readouterr().out
    assert "Cost of failure demand: £165.00 a week, £8,580.00 a year" in out
    assert "Programme ROI: 0.4 (36%) on £3,000.00" in out and "Share unknown for Housing" in out
    assert cli.main(["roi", "--json", "--programme-cost", "3000"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert (body["start"], body["end"], body["currency"]) == ("2026-08-24", "2026-11-15", "GBP")
    assert Decimal(body["total"]["annual_cost"]) == Decimal(8580) and body["total"]["share"].startswith("0.0285714")
    assert Decimal(body["annual_saving"]) == Decimal(4095) and Decimal(body["programme_roi"]) == Decimal("0.365")
    housing = next(a for a in body["areas"] if a["name"] == "Housing")
    assert housing["share"] is None and housing["users_a_year"] == 52 and body["unknown_share"] == ["Housing"]
    assert cli.main(["roi", "--programme-cost", "nothing"]) == 2
    assert "isn't a programme cost" in capsys.readouterr().err
