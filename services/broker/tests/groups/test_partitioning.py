from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kanal_broker.groups.partitioning import java_string_hash, offsets_partition_for

# Values of Java's "...".hashCode() (published ones, and small ones worked by hand).
JAVA_HASHES = [
    ("", 0),
    ("a", 97),
    ("Aa", 2112),
    ("BB", 2112),
    ("hello", 99162322),
    ("Hello World", -862545276),
    ("GydZG_", -(2**31)),
    ("DESIGNING WORKHOUSES", -(2**31)),
    ("polygenelubricants", -(2**31)),  # the famous Integer.MIN_VALUE hash
    ("\U0001f600", 1772899),  # one emoji = two UTF-16 code units 0xD83D 0xDE00
    ("é", 233),
]


@pytest.mark.parametrize(("text", "expected"), JAVA_HASHES)
def test_java_string_hash_matches_java(text: str, expected: int) -> None:
    assert java_string_hash(text) == expected


def test_partition_uses_kafka_abs_of_min_value_as_zero() -> None:
    assert offsets_partition_for("polygenelubricants") == 0
    assert offsets_partition_for("GydZG_") == 0
    assert offsets_partition_for("Hello World") == 862545276 % 50
    assert offsets_partition_for("hello", 7) == 99162322 % 7


def _reference_hash(text: str) -> int:
    units = [ord(c) for c in text.encode("utf-16-le").decode("latin-1")]
    pairs = [units[i] | units[i + 1] << 8 for i in range(0, len(units), 2)]
    value = 0
    for unit in pairs:
        value = (31 * value + unit) % 2**32
    return value - 2**32 if value >= 2**31 else value


@given(st.text())
def test_hash_agrees_with_a_second_formulation(text: str) -> None:
    assert java_string_hash(text) == _reference_hash(text)


@given(st.text(), st.integers(min_value=1, max_value=1000))
def test_partition_is_in_range(group_id: str, count: int) -> None:
    assert 0 <= offsets_partition_for(group_id, count) < count


def test_partition_count_must_be_positive() -> None:
    with pytest.raises(ValueError):
        offsets_partition_for("g", 0)
