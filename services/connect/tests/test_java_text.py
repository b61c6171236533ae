"""Java's Double.toString / Float.toString, which Kafka's JSON and Cast output use."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kanal_connect.java_text import java_double, java_float


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1.0"),
        (12.34, "12.34"),
        (-2.5, "-2.5"),
        (100.0, "100.0"),
        (0.001, "0.001"),
        (9999999.0, "9999999.0"),
        (1e7, "1.0E7"),
        (0.0001, "1.0E-4"),
        (123456789.0, "1.23456789E8"),
        (1e21, "1.0E21"),
        (4.9e-324, "4.9E-324"),
        (1.7976931348623157e308, "1.7976931348623157E308"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
        (math.nan, "NaN"),
        (2e22, "2.0E22"),
    ],
)
def test_double_to_string(value: float, text: str) -> None:
    assert java_double(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (12.34, "12.34"),
        (0.1, "0.1"),
        (1e10, "1.0E10"),
        (3.4028234663852886e38, "3.4028235E38"),
        (1.401298464324817e-45, "1.4E-45"),
        (16777216.0, "1.6777216E7"),
        (42.0, "42.0"),
    ],
)
def test_float_to_string(value: float, text: str) -> None:
    assert java_float(value) == text


@settings(deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_double_text_reads_back_to_the_same_double(value: float) -> None:
    assert float(java_double(value)) == value


@settings(deadline=None)
@given(st.floats(width=32, allow_nan=False, allow_infinity=False))
def test_float_text_reads_back_to_the_same_float32(value: float) -> None:
    parsed = float(java_float(value))
    assert struct.unpack(">f", struct.pack(">f", parsed))[0] == value
