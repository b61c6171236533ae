"""Cast's value conversions with Java's semantics (narrowing wraps, doubles saturate,
`Boolean.parseBoolean`, `Float.toString`), as `Cast.castValueToType` applies them."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import math
import re

from kanal_connect.data import logical
from kanal_connect.data.schema import Schema, SchemaType
from kanal_connect.data.validation import INT_RANGES, infer_schema_type
from kanal_connect.errors import DataException
from kanal_connect.java_text import java_double, java_float, to_float32

INPUT_TYPES = frozenset(t for t in SchemaType if t.is_primitive)
OUTPUT_TYPES = INPUT_TYPES - {SchemaType.BYTES}
_INTEGER = re.compile(r"[+-]?[0-9]+")
_MS_PER_DAY = 86_400_000


def java_enum_set(types: frozenset[SchemaType]) -> str:
    """An `EnumSet`'s toString: declaration order, "[A, B]"."""
    return "[" + ", ".join(t.name for t in SchemaType if t in types) + "]"


def cast_value(schema: Schema | None, value: object, target: SchemaType) -> object:
    if value is None:
        return None
    inferred = schema.type if schema is not None else infer_schema_type(value)
    if inferred is None:
        raise DataException(
            f"Cast transformation was passed a value of type {type(value).__name__} "
            "which is not supported by Connect's data API"
        )
    if inferred not in INPUT_TYPES:
        raise DataException(
            f"Cast transformation does not support casting from {inferred.name}; "
            f"supported types are {java_enum_set(INPUT_TYPES)}"
        )
    if target is SchemaType.STRING:
        return _to_string(schema, value)
    if isinstance(value, dt.date | dt.time):
        value = _epoch_number(value)
    if target in INT_RANGES:
        return _to_int(value, target)
    if target in (SchemaType.FLOAT32, SchemaType.FLOAT64):
        number = _to_float(value)
        return to_float32(number) if target is SchemaType.FLOAT32 else number
    if target is SchemaType.BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            return value.lower() == "true"
        return _to_int(value, SchemaType.INT64) != 0
    raise DataException(f"{target.name} is not supported in the Cast transformation.")


def _epoch_number(value: dt.date | dt.time) -> int:
    if isinstance(value, dt.datetime):
        return logical.timestamp_to_millis(value)
    if isinstance(value, dt.date):
        return logical.date_to_days(value)
    return logical.time_to_millis(value)


def _wrap(number: int, target: SchemaType) -> int:
    bits = {SchemaType.INT8: 8, SchemaType.INT16: 16, SchemaType.INT32: 32, SchemaType.INT64: 64}[
        target
    ]
    number &= (1 << bits) - 1
    return number - (1 << bits) if number >> (bits - 1) else number


def _to_int(value: object, target: SchemaType) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return _wrap(value, target)
    if isinstance(value, float):
        # Java: (long) d for INT64, else (int) d then narrowing; NaN is 0, the rest saturate.
        wide = SchemaType.INT64 if target is SchemaType.INT64 else SchemaType.INT32
        low, high = INT_RANGES[wide]
        whole = (
            0
            if math.isnan(value)
            else max(low, min(high, int(value)))
            if math.isfinite(value)
            else (high if value > 0 else low)
        )
        return _wrap(whole, target)
    if isinstance(value, decimal.Decimal):
        return _wrap(int(value), target)
    if isinstance(value, str):
        low, high = INT_RANGES[target]
        if _INTEGER.fullmatch(value) and low <= int(value) <= high:
            return int(value)
        raise DataException(f"Value ({value}) was out of range for requested data type")
    raise DataException(f"Unexpected type in Cast transformation: {type(value).__name__}")


def _to_float(value: object) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float | decimal.Decimal):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, str):
        try:
            if "_" in value:  # Python reads "1_0"; Java's parseDouble does not
                raise ValueError(value)
            return float(value.strip())
        except ValueError:
            raise DataException(
                f"Value ({value}) was out of range for requested data type"
            ) from None
    raise DataException(f"Unexpected type in Cast transformation: {type(value).__name__}")


def _to_string(schema: Schema | None, value: object) -> str:
    if isinstance(value, dt.date | dt.time):
        millis = _epoch_number(value) * (_MS_PER_DAY if type(value) is dt.date else 1)
        # Kafka's Values.dateFormatFor: under a day is a time, whole days are dates.
        moment = logical.timestamp_from_millis(millis)
        if 0 <= millis < _MS_PER_DAY:
            return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
        if millis % _MS_PER_DAY == 0:
            return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        return (
            f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
            + moment.strftime("%H:%M:%S.")
            + f"{moment.microsecond // 1000:03d}Z"
        )
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if schema is not None and schema.type is SchemaType.FLOAT32:
            return java_float(value)
        return java_double(value)
    return str(value)
