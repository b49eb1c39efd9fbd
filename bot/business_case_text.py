"""The business case in words, the same in chat and in the terminal: figures first, then areas and ideas."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from bot.business_case import DEMAND_HINT, AreaCase, BusinessCase, IdeaCase
from bot.impact import format_money
from bot.roi import format_roi

NAME_LIMIT = 60  # long area and idea names are cut, so a line fits every platform
LIST_LIMIT = 15  # many areas or ideas: the first ones, and how many more


def short(name: str) -> str:
    return name if len(name) <= NAME_LIMIT else name[: NAME_LIMIT - 1] + "…"


def percent(share: Decimal | None) -> str:
    return "unknown" if share is None else f"{(share * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def demand_text(area: AreaCase) -> str:
    if area.demand is None:
        return f"{area.failure:,} failure demand; demand not recorded, share unknown"
    return f"{area.failure_matched:,} of {area.demand:,} recorded demand is failure demand ({percent(area.share)})"


def area_line(area: AreaCase, currency: str) -> str:
    raw = f" ({area.failure:,} in all)" if area.demand is not None and area.failure != area.failure_matched else ""
    return (
        f"{short(area.name)}: {demand_text(area)}{raw}; costs {format_money(area.weekly_cost, currency)} a week, "
        f"{format_money(area.annual_cost, currency)} a year; {area.users_a_year:,} service users affected a year"
    )


def idea_line(idea: IdeaCase, currency: str) -> str:
    stage = "approved" if idea.decision == "approve" else "experiment"
    head = f"I{idea.number} {short(idea.title)} ({stage})"
    if idea.result is None:
        return f"{head}: no estimate yet (/idea estimate I{idea.number} reduction=40% cost=2000)"
    r = idea.result
    return (
        f"{head}: saves {format_money(r.annual_saving, currency)} a year for "
        f"{format_money(idea.cost or Decimal(0), currency)}, ROI {format_roi(r.roi)}; "
        f"{r.users_spared_a_year:,} fewer service users affected a year"
    )


def capped(lines: list[str], what: str) -> tuple[str, ...]:
    if len(lines) <= LIST_LIMIT:
        return tuple(lines)
    return (*lines[:LIST_LIMIT], f"…and {len(lines) - LIST_LIMIT:,} more {what} (tally roi --json lists them all)")


def summary(case: BusinessCase, currency: str) -> tuple[tuple[str, str], ...]:
    """(label, value) pairs: the headline figures, money and service users side by side."""
    t = case.total
    rows = [
        ("Failure demand", demand_text(t) + (f" ({t.failure:,} in all)" if t.demand is not None else "")),
        ("Cost of failure demand", f"{format_money(t.weekly_cost, currency)} a week, "
         f"{format_money(t.annual_cost, currency)} a year"),
        ("Service users affected", f"{t.users_a_year:,} a year (not counted in the money)"),
        ("Ideas in progress", f"save {format_money(case.annual_saving, currency)} a year; "
         f"{case.users_spared_a_year:,} fewer service users affected a year"),
    ]  # fmt: skip
    if case.programme_cost is not None:
        rows.append(
            (
                "Programme ROI",
                f"{format_roi(case.programme_roi)} on {format_money(case.programme_cost, currency)}, beside "
                f"{format_money(t.annual_cost, currency)} a year of failure demand",
            )
        )
    return tuple(rows)


def heading(case: BusinessCase) -> str:
    return f"The failure-demand business case, over the 12 weeks {case.start.isoformat()} to {case.end.isoformat()}"


def hint(case: BusinessCase) -> str:
    unknown = case.unknown_share
    if not unknown:
        return ""
    names = ", ".join(short(n) for n in unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
    return f"Share unknown for {names}: record demand with {DEMAND_HINT}"


def as_text(case: BusinessCase, currency: str) -> str:
    """For the terminal."""
    parts = [heading(case), ""]
    parts += [f"{label}: {value}" for label, value in summary(case, currency)]
    parts += ["", "By process area:"] + [
        f"  {line}" for line in capped([area_line(a, currency) for a in case.areas], "areas")
    ]
    if not case.areas:
        parts.append("  no failure demand or demand recorded")
    parts += ["", "Ideas approved or in progress:"]
    parts += [f"  {line}" for line in capped([idea_line(i, currency) for i in case.ideas], "ideas")] or ["  none"]
    if note := hint(case):
        parts += ["", note]
    return "\n".join(parts)
