"""A reduced `Values.parseString`: the typed value InsertHeader's `value.literal` becomes.

Kafka reads a literal as: `null`; `true` / `false`; a number whose value is whole (also
"1.0" or "1e3") as the smallest of INT8..INT64 that holds it; another number as FLOAT32 (its
nearest float) when that is finite, else FLOAT64, else a Decimal; everything else a STRING.
Kafka's array, map and ISO temporal literals are kept as strings here.
"""

from __future__ import annotations

import decimal
import math
import re

from kanal_connect.data import logical
from kanal_connect.data.schema import (
    BOOLEAN,
    FLOAT32,
    FLOAT64,
    INT8,
    INT16,
    INT32,
    INT64,
    STRING,
    Schema,
)
from kanal_connect.data.validation import INT_RANGES
from kanal_connect.java_text import to_float32

# java.math.BigDecimal's string grammar.
_BIG_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def parse_literal(text: str) -> tuple[Schema | None, object]:
    if text == "":
        return STRING, text
    stripped = text.strip()
    if stripped == "null":
        return None, None
    if stripped in ("true", "false"):
        return BOOLEAN, stripped == "true"
    if _BIG_DECIMAL.fullmatch(stripped):
        return _number(decimal.Decimal(stripped))
    return STRING, text


def _number(number: decimal.Decimal) -> tuple[Schema, object]:
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    if number == number.to_integral_value():
        whole = int(number)
        for schema in (INT8, INT16, INT32, INT64):
            low, high = INT_RANGES[schema.type]
            if low <= whole <= high:
                return schema, whole
    if exponent != 0:
        single = to_float32(float(number))
        if math.isfinite(single):
            return FLOAT32, single
        double = float(number)
        if math.isfinite(double):
            return FLOAT64, double
    return logical.decimal_schema(-exponent), number
