"""Bringing in the tally charts teams kept on paper or in spreadsheets, in the export's columns. Every row is checked
first; a file with errors changes nothing unless the bad rows are to be skipped; a file imported twice adds
nothing the second time (each week's row is keyed by what it says)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from bot.names import slugify
from digests.weeks import IsoWeek
from storage.model import ImpactArea, Occurrence, Problem, Status, Workspace
from storage.ports import DuplicateDelivery, UnitOfWork

WEEK_COLUMN = re.compile(r"^\d{4}-W\d{2}$")
ISSUE, AREA, IMPACT, COUNT, EFFORT, USERS = (
    "Issue",
    "Process area",
    "Impact area",
    "Number of occurrences",
    "Effort to work around (minutes each)",
    "Total impact: service users",
)
FAILURE_DEMAND, STATUS, LAST_SEEN = "Failure demand", "Status", "Last seen"
YES, NO = {"yes", "y", "true", "1", "fd"}, {"no", "n", "false", "0", ""}


@dataclass(frozen=True)
class Row:
    line: int
    issue: str
    area: str
    impacts: tuple[ImpactArea, ...]
    effort: int  # minutes per occurrence
    users_each: int
    failure_demand: bool
    status: Status
    weeks: tuple[tuple[date, int], ...]  # (the day the week's occurrences are put on, how many)


@dataclass
class Checked:
    rows: list[Row] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "line 7: Number of occurrences 'x' is not a whole number"


@dataclass(frozen=True)
class Imported:
    problems_created: int
    occurrences_added: int
    already_there: int


def check(records: Iterable[Mapping[str, Any]], today: date) -> Checked:
    """Rows as dicts by column name, line 2 first (the header is line 1)."""
    checked = Checked()
    for line, record in enumerate(records, start=2):
        values = {str(k).strip(): v for k, v in record.items() if k is not None}
        if not any(str(v or "").strip() for v in values.values()):
            continue  # a blank line
        problems: list[str] = []
        row = _row(line, values, today, problems)
        if problems:
            checked.errors.extend(f"line {line}: {p}" for p in problems)
        elif row is not None:
            checked.rows.append(row)
    return checked


def _row(line: int, values: dict[str, Any], today: date, problems: list[str]) -> Row | None:
    text = lambda name: str(values.get(name) if values.get(name) is not None else "").strip()  # noqa: E731
    issue = text(ISSUE)
    if not issue:
        problems.append(f"{ISSUE} is empty: say what went wrong")
    elif len(issue) > 200:
        problems.append(f"{ISSUE} is {len(issue)} characters; at most 200")
    impacts = []
    for word in filter(None, (w.strip().lower() for w in re.split(r"[,;/]| and ", text(IMPACT)))):
        try:
            impacts.append(ImpactArea(word.split()[0].strip("–-")))
        except ValueError:
            problems.append(f"{IMPACT} {word!r} is not one of cost, delivery, quality, people")
    count = _whole(text(COUNT) or "0", COUNT, problems)
    effort = _number(text(EFFORT) or "0", EFFORT, problems)
    users = _whole(text(USERS) or str(count), USERS, problems)
    fd = text(FAILURE_DEMAND).lower()
    if fd not in YES | NO:
        problems.append(f"{FAILURE_DEMAND} {fd!r} should be yes or no")
    try:
        status = Status(text(STATUS).lower().replace("won't fix", "wontfix") or "open")
    except ValueError:
        problems.append(f"{STATUS} {text(STATUS)!r} should be open, investigating, fixed or wontfix")
        status = Status.OPEN
    weeks = []
    for name, value in values.items():
        if WEEK_COLUMN.match(name) and str(value or "").strip():
            n = _whole(str(value).strip(), name, problems)
            if n:
                monday = IsoWeek.parse(name).monday
                if monday > today:
                    problems.append(f"week {name} is in the future")
                weeks.append((monday, n))
    if not weeks and count:
        last = text(LAST_SEEN)
        try:
            day = date.fromisoformat(last[:10]) if last else today
        except ValueError:
            problems.append(f"{LAST_SEEN} {last!r} should be a date as YYYY-MM-DD")
            day = today
        weeks.append((day, count))
    if problems:
        return None
    total = sum(n for _, n in weeks)
    users_each = int((Decimal(users) / total).to_integral_value(ROUND_HALF_UP)) if total else 1
    return Row(
        line,
        issue,
        text(AREA),
        tuple(dict.fromkeys(impacts)),
        int(effort.to_integral_value(ROUND_HALF_UP)),
        users_each,
        fd in YES - {""},
        status,
        tuple(weeks),
    )


def _whole(raw: str, name: str, problems: list[str]) -> int:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        problems.append(f"{name} {raw!r} is not a whole number")
        return 0
    if value < 0 or value != value.to_integral_value():
        problems.append(f"{name} {raw!r} should be a whole number, 0 or more")
        return 0
    return int(value)


def _number(raw: str, name: str, problems: list[str]) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        problems.append(f"{name} {raw!r} is not a number of minutes")
        return Decimal(0)
    if value < 0:
        problems.append(f"{name} {raw!r} can't be negative")
    return value


def apply(uow: UnitOfWork, ws: Workspace, rows: list[Row], progress: Callable[[int], None] | None = None) -> Imported:
    """In the caller's unit of work: the caller commits all of it, or none."""
    assert ws.id is not None
    areas = {a.slug: a for a in uow.areas.list(ws.id)}
    known: dict[tuple[int | None, str], Problem] = {}
    created = added = skipped = 0
    for done, row in enumerate(rows, start=1):
        area = None
        if row.area:
            slug = slugify(row.area)
            area = areas.get(slug) or uow.areas.add(ws.id, row.area, slug)
            areas[slug] = area
        key = (area.id if area else None, row.issue.casefold())
        problem = known.get(key) or _existing(uow, ws, key)
        if problem is None:
            problem = uow.problems.add(
                Problem(
                    ws.id,
                    uow.workspaces.next_problem_number(ws.id),
                    row.issue,
                    area_id=key[0],
                    impact_areas=row.impacts,
                    effort_minutes=row.effort,
                    users_per_occurrence=row.users_each,
                    failure_demand=row.failure_demand,
                    status=row.status,
                )
            )
            created += 1
        known[key] = problem
        assert problem.id is not None
        for day, n in row.weeks:
            stamp = f"{key[0]}|{row.issue.casefold()}|{day.isoformat()}|{n}|{row.effort}|{row.users_each}"
            delivery = "import:" + hashlib.sha256(stamp.encode()).hexdigest()[:40]
            occurrence = Occurrence(ws.id, problem.id, day, n, row.effort, row.users_each, delivery_id=delivery)
            try:
                uow.occurrences.add(occurrence)
                added += 1
            except DuplicateDelivery:
                skipped += 1
        if progress is not None:
            progress(done)
    return Imported(created, added, skipped)


def _existing(uow: UnitOfWork, ws: Workspace, key: tuple[int | None, str]) -> Problem | None:
    """The same issue in the same area, whatever its status (a merged one is never imported into)."""
    assert ws.id is not None
    kept = [s for s in Status if s is not Status.MERGED]
    found = uow.problems.list(ws.id, kept, area_id=key[0], limit=100_000)
    return next((p for p in found if p.area_id == key[0] and p.title.casefold() == key[1]), None)
