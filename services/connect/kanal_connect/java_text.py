"""Java's text forms of numbers, which Kafka's JSON output and Cast's strings are made of.

`Double.toString` and `Float.toString` (JDK 19+, the shortest digits that read back to the
same value) write plain decimals for 1e-3 <= |x| < 1e7 and "computerized scientific notation"
("1.0E10", "1.234E-5") outside that range; there is always a digit after the point.
"""

from __future__ import annotations

import decimal
import math
import struct

_PLAIN_LOW = decimal.Decimal("0.001")
_PLAIN_HIGH = decimal.Decimal(10_000_000)


def java_double(value: float) -> str:
    """`Double.toString(value)`."""
    if math.isnan(value) or math.isinf(value) or value == 0:
        return _special(value)
    shortest = decimal.Decimal(repr(value))
    if len(shortest.normalize().as_tuple().digits) == 1:
        # Java picks the closest decimal of length <= 2 when one digit suffices.
        shortest = decimal.Decimal(f"{value:.1e}")
    return _format_digits(shortest)


def java_float(value: float) -> str:
    """`Float.toString((float) value)`: the shortest digits that round to the same float32."""
    single = to_float32(value)
    if math.isnan(single) or math.isinf(single) or single == 0:
        return _special(single)
    for precision in range(2, 10):
        # Two digits at least: Java picks the closest decimal of length <= 2 (see above).
        text = f"{single:.{precision - 1}e}"
        if to_float32(float(text)) == single:
            return _format_digits(decimal.Decimal(text))
    return _format_digits(decimal.Decimal(repr(single)))  # pragma: no cover - 9 digits always do


def to_float32(value: float) -> float:
    """Round a double to the nearest float32 (overflow gives an infinity, as Java's cast)."""
    try:
        return float(struct.unpack(">f", struct.pack(">f", value))[0])
    except OverflowError:
        return math.copysign(math.inf, value)


def _special(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"


def _format_digits(number: decimal.Decimal) -> str:
    sign = "-" if number.is_signed() else ""
    number = abs(number).normalize()
    digits_tuple = number.as_tuple()
    digits = "".join(str(d) for d in digits_tuple.digits)
    exponent = digits_tuple.exponent
    assert isinstance(exponent, int)
    # value = 0.d1d2...dn x 10^(point) where point counts digits before the decimal point
    point = len(digits) + exponent
    if _PLAIN_LOW <= number < _PLAIN_HIGH:
        if point <= 0:
            return f"{sign}0.{'0' * -point}{digits}"
        if point >= len(digits):
            return f"{sign}{digits}{'0' * (point - len(digits))}.0"
        return f"{sign}{digits[:point]}.{digits[point:]}"
    fraction = digits[1:] or "0"
    return f"{sign}{digits[0]}.{fraction}E{point - 1}"
