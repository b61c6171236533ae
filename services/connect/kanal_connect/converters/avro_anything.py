"""Schemaless Connect values in Avro: Confluent's io.confluent.connect.avro.Anything record.

A value without a schema is written as a record with one optional field per kind of value, of
which exactly the one holding the value is set (all null for a null inside a container):

    boolean bytes double float int long string   the primitives
    array    array of Anything
    map      array of MapEntry {key: Anything, value: Anything}

Python values map as Connect infers schemaless types: bool -> boolean, int -> long,
float -> double, str -> string, bytes -> bytes, list/tuple -> array, dict -> map.
"""

from __future__ import annotations

from typing import Any

from kanal_connect.converters.avro_data import NAMESPACE, AvroNode
from kanal_connect.errors import DataException

ANYTHING_NAME = f"{NAMESPACE}.Anything"
_ENTRY_NAME = f"{NAMESPACE}.MapEntry"
_PRIMITIVES = ("boolean", "bytes", "double", "float", "int", "long", "string")


def anything_schema() -> AvroNode:
    """The Avro schema Confluent writes schemaless values with."""
    fields: list[dict[str, Any]] = [
        {"name": kind, "type": ["null", kind], "default": None} for kind in _PRIMITIVES]
    fields.append({"name": "array", "type": ["null", {"type": "array", "items": ANYTHING_NAME}],
                   "default": None})
    entry = {"type": "record", "name": _ENTRY_NAME, "fields": [
        {"name": "key", "type": ANYTHING_NAME}, {"name": "value", "type": ANYTHING_NAME}]}
    fields.append({"name": "map", "type": ["null", {"type": "array", "items": entry}],
                   "default": None})
    return {"type": "record", "name": ANYTHING_NAME, "fields": fields}


def is_anything(avro: AvroNode) -> bool:
    return isinstance(avro, dict) and avro.get("type") == "record" and (
        avro.get("name") == ANYTHING_NAME)


def wrap(value: object) -> dict[str, Any]:
    """The Anything record of a schemaless Connect value (fastavro's tuple notation picks each
    union branch, as avro_values does)."""
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"boolean": ("boolean", value)}
    if isinstance(value, int):
        return {"long": ("long", value)}
    if isinstance(value, float):
        return {"double": ("double", value)}
    if isinstance(value, str):
        return {"string": ("string", value)}
    if isinstance(value, bytes | bytearray):
        return {"bytes": ("bytes", bytes(value))}
    if isinstance(value, list | tuple):
        return {"array": ("array", [wrap(item) for item in value])}
    if isinstance(value, dict):
        return {"map": ("array", [{"key": wrap(k), "value": wrap(v)} for k, v in value.items()])}
    raise DataException(f"Unknown Python type for schemaless data: {type(value).__name__}")


def unwrap(record: Any) -> object:
    """The schemaless Connect value of an Anything record as fastavro read it."""
    for kind in _PRIMITIVES:
        found = _branch(record.get(kind))
        if found is not None:
            return found
    items = _branch(record.get("array"))
    if items is not None:
        return [unwrap(item) for item in items]
    entries = _branch(record.get("map"))
    if entries is not None:
        pairs = ((unwrap(e["key"]), unwrap(e["value"])) for e in entries)
        return {(tuple(k) if isinstance(k, list) else k): v for k, v in pairs}
    return None


def _branch(value: Any) -> Any:
    return value[1] if isinstance(value, tuple) else value
