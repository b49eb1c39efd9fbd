"""botbuilder's msrest models to and from JSON, the same as msrest makes them, at a fraction of the cost.

`serializer_helper` builds an msrest Serializer (copying the whole schema's class table) for every call and
walks every value, an Adaptive Card's included, through msrest's generic, kwargs-heavy path: a reply card
cost more to serialize than the rest of Tally's turn on the event loop. Here each model class's attribute
map is read once, and the common types (strings, numbers, JSON objects, nested models, lists) are
converted directly, with msrest's own rules; anything else (enums declared as a type, dates, a model
class that msrest would not treat plainly) goes to one shared msrest Serializer, so the output is the same.
"""

from __future__ import annotations

import datetime
import decimal
from enum import Enum
from typing import Any

from botbuilder.core.serializer_helper import DEPENDICIES_DICT
from msrest.serialization import Deserializer, Model, Serializer

_MSREST = Serializer(DEPENDICIES_DICT)
_BASIC = {str: "str", int: "int", bool: "bool", float: "float"}
_CAST = {"int": int, "bool": bool, "float": float}
_DATES = (datetime.datetime, datetime.date, datetime.time, datetime.timedelta, decimal.Decimal)

# (attribute, JSON key, msrest type); None for a class msrest treats in a way this module doesn't copy.
_Plan = tuple[tuple[str, str, Any], ...] | None
_PLANS: dict[type, _Plan] = {}


def to_wire(model: Model | None) -> Any:
    """What `serializer_helper(model)` returns, for any msrest model (None stays None)."""
    if model is None:
        return None
    plan = _PLANS.get(type(model), ())
    if plan == ():
        plan = _PLANS[type(model)] = _plan(type(model))
    if plan is None:
        return _MSREST._serialize(model)  # noqa: SLF001 - what serializer_helper itself calls
    out: dict[str, Any] = {}
    for attr, key, kind in plan:
        if kind is None:  # additional_properties, merged in place
            if model.additional_properties is not None:
                out.update(model.additional_properties)
            continue
        value = getattr(model, attr)
        if value is not None:
            out[key] = _data(value, kind)
    return out


def _plan(cls: type) -> _Plan:
    """The attribute map as a flat list, or None when msrest's own serializer must do it."""
    if getattr(cls, "_xml_map", None) or not isinstance(getattr(cls, "_attribute_map", None), dict):
        return None
    validation = getattr(cls, "_validation", None) or {}
    steps = []
    for attr, desc in cls._attribute_map.items():
        key, kind = desc.get("key"), desc.get("type")
        if validation.get(attr, {}).get("readonly"):
            continue
        if attr == "additional_properties" and key == "":
            steps.append((attr, key, None))
            continue
        if not isinstance(key, str) or not isinstance(kind, str) or not key or "." in key or "\\" in key:
            return None  # flattened keys, or a type msrest can't name: leave them to msrest
        steps.append((attr, key, kind))
    return tuple(steps)


def _data(value: Any, kind: str) -> Any:
    """msrest's serialize_data for one non-None value of a declared type."""
    if kind == "str":
        return value if type(value) is str else Serializer.serialize_unicode(value)
    if kind == "object":
        return _object(value)
    cast = _CAST.get(kind)
    if cast is not None:
        return cast(value)
    if kind[0] == "[" and kind[-1] == "]" and isinstance(value, list) and kind != "[]":
        inner = kind[1:-1]
        return [None if item is None else _data(item, inner) for item in value]
    declared = DEPENDICIES_DICT.get(kind)
    if isinstance(value, Model) and kind[0] != "{" and not (isinstance(declared, type) and issubclass(declared, Enum)):
        return to_wire(value)  # msrest serializes a model by its own class, whatever the declared one
    return _MSREST.serialize_data(value, kind)


def _object(value: Any) -> Any:
    """msrest's serialize_object: JSON values as they are, models serialized, anything else as str()."""
    kind = type(value)
    if kind is str:
        return value
    if kind in _BASIC:
        return kind(value)
    if kind is dict:
        return {
            (k if type(k) is str else Serializer.serialize_unicode(k)): _object_or_none(v) for k, v in value.items()
        }
    if kind is list:
        return [_object_or_none(item) for item in value]
    if isinstance(value, Model) or kind in _DATES:
        return _MSREST.serialize_object(value)
    return str(value)


def _object_or_none(value: Any) -> Any:
    return None if value is None else _object(value)


# --- in -----------------------------------------------------------------------------------------------

# (attributes: (attribute, JSON key, msrest type), the keys it knows, whether unknown keys are kept); None
# for a class msrest's Deserializer must read itself (polymorphic, flattened keys, read-only or constant).
_Reading = tuple[tuple[tuple[str, str, str], ...], frozenset[str], bool] | None
_READINGS: dict[type, _Reading] = {}
_DESERIALIZERS: dict[type, Deserializer] = {}


def from_wire(cls: type[Model], data: Any) -> Model:
    """What `cls.deserialize(data)` returns (or raises) for a JSON value already parsed."""
    deserializer = _DESERIALIZERS.get(cls)
    if deserializer is None:
        deserializer = _DESERIALIZERS[cls] = Deserializer(cls._infer_class_models())  # noqa: SLF001
    return _model(deserializer, cls, data)


def _reading(cls: type) -> _Reading:
    attributes = getattr(cls, "_attribute_map", None)
    validation = getattr(cls, "_validation", None) or {}
    if "_subtype_map" in cls.__dict__ or not isinstance(attributes, dict):
        return None
    if any(rule.get("readonly") or rule.get("constant") for rule in validation.values()):
        return None
    steps = []
    for attr, desc in attributes.items():
        key, kind = desc.get("key"), desc.get("type")
        if attr == "additional_properties" and key == "":
            continue
        if not isinstance(key, str) or not isinstance(kind, str) or not key or "." in key or "\\" in key:
            return None
        steps.append((attr, key, kind))
    keeps_unknown = not ("additional_properties" in attributes and attributes["additional_properties"]["key"] != "")
    return tuple(steps), frozenset(key for _, key, _ in steps), keeps_unknown


def _model(deserializer: Deserializer, cls: type, data: Any) -> Any:
    reading = _READINGS.get(cls, ())
    if reading == ():
        reading = _READINGS[cls] = _reading(cls)
    if reading is None or type(data) is not dict:
        return deserializer._deserialize(cls, data)  # noqa: SLF001 - where msrest itself would be now
    steps, known, keeps_unknown = reading
    try:
        values = {
            attr: None if (raw := data.get(key)) is None else _read(deserializer, raw, kind)
            for attr, key, kind in steps
        }
        model = cls(**values)
    except Exception:  # noqa: BLE001 - msrest reads it again from here, and raises its own error if it must
        return deserializer._deserialize(cls, data)  # noqa: SLF001
    if keeps_unknown:
        unknown = {key: data[key] for key in data.keys() - known}
        if unknown:
            model.additional_properties = unknown
    return model


def _read(deserializer: Deserializer, raw: Any, kind: str) -> Any:
    """msrest's deserialize_data for one non-None value of a declared type."""
    if kind == "str" and type(raw) is str:
        return raw
    if kind[0] == "[" and kind[-1] == "]" and type(raw) is list and kind != "[]":
        inner = kind[1:-1]
        return [None if item is None else _read(deserializer, item, inner) for item in raw]
    declared = deserializer.dependencies.get(kind)
    if isinstance(declared, type) and issubclass(declared, Model) and kind[0] not in "[{":
        return _model(deserializer, declared, raw)
    return deserializer.deserialize_data(raw, kind)
