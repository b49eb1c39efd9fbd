"""The problem capture template's arithmetic, in exact decimals so 8.5 hours is 8.5 hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from storage.model import Totals

SIXTY = Decimal(60)


@dataclass(frozen=True)
class Impact:
    """What a tally means: occurrences, staff hours, cost and service users affected."""

    occurrences: int
    staff_hours: Decimal
    users_affected: int
    cost: Decimal


def impact_of(totals: Totals, hourly_cost: Decimal) -> Impact:
    hours = Decimal(totals.staff_minutes) / SIXTY
    return Impact(totals.count, hours, totals.users_affected, hours * hourly_cost)


def week_start(day: date, first_weekday: int = 0) -> date:
    """The first day of the week that holds `day` (0 = weeks start on Monday)."""
    return day - timedelta(days=(day.weekday() - first_weekday) % 7)


def period_start(day: date, period: str, first_weekday: int = 0) -> date:
    """Start of the current week, month or quarter that holds `day`."""
    if period == "week":
        return week_start(day, first_weekday)
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    raise ValueError(period)


def format_hours(hours: Decimal) -> str:
    """8.5 -> '8.5 hours', 1 -> '1 hour', 0 -> '0 hours'; under an hour in minutes: 1/6 -> '10 minutes'."""
    if 0 < hours < 1:
        minutes = (hours * SIXTY).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        if minutes < 1:
            return "less than a minute"
        if minutes < SIXTY:
            return plural(int(minutes), "minute")
        hours = Decimal(1)  # 59.5 minutes and up read as an hour, not "60 minutes"
    rounded = hours.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()
    text = f"{rounded:f}"
    return f"{text} hour" if rounded == 1 else f"{text} hours"


CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "AUD": "A$", "CAD": "C$", "NZD": "NZ$"}


def format_money(amount: Decimal, currency: str) -> str:
    rounded = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    return f"{symbol}{rounded:,.2f}" if symbol else f"{rounded:,.2f} {currency.upper()}"


def format_minutes(minutes: int) -> str:
    """90 -> '1h30m', 30 -> '30m', 120 -> '2h'."""
    hours, mins = divmod(minutes, 60)
    if hours and mins:
        return f"{hours}h{mins}m"
    return f"{hours}h" if hours else f"{mins}m"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"
