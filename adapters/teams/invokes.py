"""Invoke answers botbuilder's schema has no model for."""

from __future__ import annotations

from typing import Any

from msrest.serialization import Model


class CardActionMessage(Model):
    """An Action.Execute answer that shows a message to the person who acted and leaves the card as it was.

    botbuilder's AdaptiveCardInvokeResponse types `value` as a dict, so it can't carry the string
    Teams expects here; this model serializes exactly {statusCode, type, value}.
    """

    _attribute_map = {
        "status_code": {"key": "statusCode", "type": "int"},
        "type": {"key": "type", "type": "str"},
        "value": {"key": "value", "type": "str"},
    }

    def __init__(self, *, value: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.status_code = 200
        self.type = "application/vnd.microsoft.activity.message"
        self.value = value
