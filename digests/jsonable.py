"""JSON that keeps every digit: Decimals as strings, dates as ISO text, enums as their values."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any


def plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(type(value).__name__)


def dumps(body: Any) -> str:
    return json.dumps(body, default=plain, indent=2, ensure_ascii=False)
