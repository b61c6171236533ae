"""Connect schemas and values shared by the Avro converter tests."""

from __future__ import annotations

import datetime as dt
import decimal

from kanal_connect.data import (
    BOOLEAN,
    BYTES,
    FLOAT32,
    FLOAT64,
    INT8,
    INT16,
    INT32,
    INT64,
    OPTIONAL_INT32,
    OPTIONAL_STRING,
    STRING,
    Schema,
    SchemaType,
    Struct,
    array,
    logical,
    map_of,
    struct,
)

INNER = struct([("n", INT8), ("note", OPTIONAL_STRING)], name="kanal.test.Inner")
EVERY_TYPE = struct([
    ("i8", INT8), ("i16", INT16), ("i32", INT32), ("i64", INT64), ("f32", FLOAT32),
    ("f64", FLOAT64), ("flag", BOOLEAN), ("text", STRING), ("raw", BYTES),
    ("items", array(STRING)), ("by_name", map_of(STRING, INT32)),
    ("by_number", map_of(INT32, STRING)), ("amount", logical.decimal_schema(2)),
    ("day", logical.DATE), ("clock", logical.TIME), ("at", logical.TIMESTAMP),
    ("maybe", OPTIONAL_INT32), ("inner", INNER), ("maybe_inner", INNER.with_optional()),
    ("unnamed", struct([("z", INT32)], optional=True)),
    ("fallback", Schema(SchemaType.STRING, default="x")),
    ("maybe_fallback", Schema(SchemaType.INT64, optional=True, default=5)),
], name="kanal.test.Row")  # fmt: skip


def every_type_value() -> Struct:
    values: dict[str, object] = {
        "i8": -8, "i16": 1600, "i32": -(2**31), "i64": 2**63 - 1, "f32": 1.5, "f64": -2.25,
        "flag": True, "text": "héllo", "raw": b"\x00\xff", "items": ["a", "b"],
        "by_name": {"k": 1}, "by_number": {1: "one", -2: "minus two"},
        "amount": decimal.Decimal("-123.45"), "day": dt.date(2024, 2, 29),
        "clock": dt.time(23, 59, 58, 999000),
        "at": dt.datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=dt.UTC), "maybe": None,
        "inner": Struct(INNER).put("n", 7), "maybe_inner": Struct(INNER.with_optional()).put(
            "n", 1).put("note", "x"),
        "unnamed": Struct(struct([("z", INT32)], optional=True)).put("z", 9),
        "fallback": "y", "maybe_fallback": 6,
    }  # fmt: skip
    row = Struct(EVERY_TYPE)
    for name, item in values.items():
        row.put(name, item)
    return row


