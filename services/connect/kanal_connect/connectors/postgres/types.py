"""PostgreSQL column types as Connect schemas, and their text form as Connect values.

Both the snapshot (which selects `column::text`) and the stream (pgoutput sends text) hand
over the same text representation, so one decoder serves both. The mapping follows
Debezium's with `time.precision.mode=connect` and `decimal.handling.mode=precise`:
numeric(p, s) is Connect's Decimal; an unconstrained numeric, timestamptz, json, uuid and
every other type are strings in PostgreSQL's own text form.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from dataclasses import dataclass

from kanal_connect.data import logical
from kanal_connect.data.schema import Schema, SchemaType
from kanal_connect.errors import DataException

# pg_type OIDs (stable across PostgreSQL versions).
BOOL, BYTEA, CHAR, NAME, INT8, INT2, INT4, TEXT, OID = 16, 17, 18, 19, 20, 21, 23, 25, 26
FLOAT4, FLOAT8, BPCHAR, VARCHAR = 700, 701, 1042, 1043
DATE, TIME, TIMESTAMP, TIMESTAMPTZ, NUMERIC = 1082, 1083, 1114, 1184, 1700

Decoder = Callable[[str], object]


@dataclass(frozen=True, slots=True)
class ColumnType:
    schema: Schema  # optional: the envelope's before/after may lack a column's value
    decode: Decoder


def _bool(text: str) -> bool:
    return text == "t"


def _bytea(text: str) -> bytes:
    if not text.startswith("\\x"):
        raise DataException("bytea must use the hex output format (bytea_output=hex)")
    return bytes.fromhex(text[2:])


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _time(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def _timestamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def _float(text: str) -> float:
    return float(text)


def _numeric(scale: int) -> Decoder:
    quantum = decimal.Decimal(1).scaleb(-scale)

    def decode(text: str) -> decimal.Decimal:
        return decimal.Decimal(text).quantize(quantum)

    return decode


def _text(text: str) -> str:
    return text


def _primitive(schema_type: SchemaType) -> Schema:
    return Schema(schema_type, optional=True)


_FIXED: dict[int, ColumnType] = {
    BOOL: ColumnType(_primitive(SchemaType.BOOLEAN), _bool),
    BYTEA: ColumnType(_primitive(SchemaType.BYTES), _bytea),
    INT2: ColumnType(_primitive(SchemaType.INT16), int),
    INT4: ColumnType(_primitive(SchemaType.INT32), int),
    INT8: ColumnType(_primitive(SchemaType.INT64), int),
    OID: ColumnType(_primitive(SchemaType.INT64), int),
    FLOAT4: ColumnType(_primitive(SchemaType.FLOAT32), _float),
    FLOAT8: ColumnType(_primitive(SchemaType.FLOAT64), _float),
    DATE: ColumnType(logical.OPTIONAL_DATE, _date),
    TIME: ColumnType(logical.OPTIONAL_TIME, _time),
    TIMESTAMP: ColumnType(logical.OPTIONAL_TIMESTAMP, _timestamp),
}
_STRING = ColumnType(_primitive(SchemaType.STRING), _text)


def column_type(type_oid: int, typmod: int) -> ColumnType:
    """The Connect schema and decoder for a column (typmod as pg_attribute stores it)."""
    if type_oid == NUMERIC and typmod >= 4:
        # numeric's typmod packs ((precision << 16) | scale) + 4 (VARHDRSZ).
        scale = (typmod - 4) & 0xFFFF
        return ColumnType(logical.decimal_schema(scale, optional=True), _numeric(scale))
    return _FIXED.get(type_oid, _STRING)


def decode_text(column: ColumnType, text: str) -> object:
    """A column's text form as its Connect value; DataException when it does not parse
    (special values such as 'infinity' dates have no Connect representation)."""
    try:
        return column.decode(text)
    except (ValueError, ArithmeticError) as error:
        raise DataException(f"cannot decode {text!r} as {column.schema}: {error}") from None
