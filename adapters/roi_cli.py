"""`tally roi`: the failure-demand business case in the terminal, as text or as JSON for a finance team's tools."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from adapters.digest_cli import CliError, pick_workspace, step
from bot.business_case import BusinessCase
from bot.business_case_text import as_text
from bot.handlers.business_case import build_case
from digests.jsonable import dumps
from storage.uow import SqlUnitOfWorkFactory

clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731 - tests fix it


def programme_cost(raw: str | None) -> Decimal | None:
    """Above 0, as `/tally roi programme-cost N` takes it."""
    if raw is None:
        return None
    try:
        cost = Decimal(raw.replace(",", "").lstrip("£$€"))
    except InvalidOperation:
        cost = Decimal(0)
    if not cost.is_finite() or not 0 < cost <= 10**12:
        raise CliError(f"{raw!r} isn't a programme cost: give an amount above 0, e.g. --programme-cost 50000.")
    return cost


def as_json(case: BusinessCase, currency: str) -> str:
    """Every figure, Decimals as strings so no digit is lost; the share unknown is null."""

    body = {"currency": currency, **dataclasses.asdict(case), "unknown_share": list(case.unknown_share)}
    return dumps(body)


def roi(engine: Engine, args: Any) -> int:
    cost = programme_cost(args.programme_cost)
    ws = pick_workspace(engine, args.workspace)
    step(f"Working out the business case for {ws.external_id} ({ws.platform})…")
    with SqlUnitOfWorkFactory(engine)(write=False) as uow:
        case = build_case(uow, ws, clock().astimezone(ZoneInfo(ws.timezone)).date(), cost)
    print(as_json(case, ws.currency) if args.json else as_text(case, ws.currency))
    return 0
