"""Cast and TimestampConverter, with the values of Kafka's CastTest and TimestampConverterTest."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from kanal_connect.data import (
    BYTES,
    FLOAT32,
    FLOAT64,
    INT8,
    INT32,
    INT64,
    OPTIONAL_INT32,
    STRING,
    Schema,
    SchemaType,
    logical,
    struct,
)
from kanal_connect.errors import DataException, InvalidConnectorConfig
from smt_helpers import filled, sink, smt


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        ("int8", 42, 42),
        ("int16", 42, 42),
        ("int32", 42, 42),
        ("int64", 42, 42),
        ("float32", 42, 42.0),
        ("float64", 42, 42.0),
        ("boolean", 42, True),
        ("boolean", 0, False),
        ("string", 42, "42"),
        ("int8", "42", 42),
        ("boolean", "TRUE", True),
        ("boolean", "yes", False),
        ("int8", 300, 44),
        ("int8", 3.9e10, -1),
        ("int32", float("nan"), 0),
        ("int64", 1e30, 2**63 - 1),
        ("string", 1.5, "1.5"),
        ("string", 1e10, "1.0E10"),
        ("string", b"\x01\x02", "AQI="),
        ("string", True, "true"),
        ("float32", "1.1", 1.100000023841858),
    ],
)
def test_whole_value_cast_schemaless(spec: str, value: object, expected: object) -> None:
    record = smt("Cast$Value", spec=spec).apply(sink(value))
    assert record is not None and record.value == expected and record.value_schema is None


def test_out_of_range_string_is_a_data_error() -> None:
    with pytest.raises(DataException, match="out of range"):
        smt("Cast$Value", spec="int8").apply(sink("300"))


def test_whole_value_cast_with_schema() -> None:
    record = smt("Cast$Key", spec="int8").apply(sink(None).new_record(key_schema=INT32, key=42))
    assert record is not None and (record.key_schema, record.key) == (INT8, 42)
    as_string = smt("Cast$Value", spec="string").apply(sink(12.34, FLOAT32))
    assert as_string is not None and (as_string.value_schema, as_string.value) == (STRING, "12.34")


def test_field_casts_with_schema_keep_optionality_and_cast_defaults() -> None:
    schema = struct(
        [
            ("int8", INT8),
            ("optional", OPTIONAL_INT32.with_default(-42)),
            ("ts", logical.TIMESTAMP),
            ("untouched", STRING),
            ("bytes", BYTES),
        ]
    )
    value = filled(
        schema,
        int8=8,
        optional=42,
        ts=logical.timestamp_from_millis(86_400_000),
        untouched="x",
        bytes=b"hi",
    )
    cast = smt("Cast$Value", spec="int8:int32,optional:string,ts:int64,bytes:string")
    record = cast.apply(sink(value, schema))
    assert record is not None and record.value_schema is not None
    fields = {f.name: f.schema for f in record.value_schema.fields}
    assert fields["int8"] == INT32
    assert fields["optional"] == Schema(SchemaType.STRING, optional=True, default="-42")
    assert fields["ts"] == INT64
    assert record.value == filled(
        record.value_schema, int8=8, optional="42", ts=86_400_000, untouched="x", bytes="aGk="
    )


def test_cast_logical_values_to_string_like_kafka_values() -> None:
    schemaless_stamp = logical.timestamp_from_millis(86_401_234)
    schema = struct(
        [
            ("d", logical.DATE),
            ("t", logical.TIME),
            ("s", logical.TIMESTAMP),
            ("dec", logical.decimal_schema(2)),
        ]
    )
    value = filled(
        schema,
        d=dt.date(1970, 1, 2),
        t=dt.time(0, 0, 1, 234000),
        s=schemaless_stamp,
        dec=decimal.Decimal("1.50"),
    )
    record = smt("Cast$Value", spec="d:string,t:string,s:string,dec:string").apply(
        sink(value, schema)
    )
    assert record is not None
    assert record.value.get("d") == "1970-01-02"  # type: ignore[attr-defined]
    assert record.value.get("t") == "00:00:01.234Z"  # type: ignore[attr-defined]
    assert record.value.get("s") == "1970-01-02T00:00:01.234Z"  # type: ignore[attr-defined]
    assert record.value.get("dec") == "1.50"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "Must specify at least one field"),
        ("foo:faketype", "Invalid type found in casting spec: faketype"),
        ("foo:bytes", "does not support casting to BYTES"),
        ("int8,foo:int16", "may only specify a single cast"),
        ("a:b:c", "Invalid rename mapping"),
    ],
)
def test_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(InvalidConnectorConfig, match=message):
        smt("Cast$Value", spec=spec)


def test_cast_rejects_complex_inputs() -> None:
    with pytest.raises(DataException, match="does not support casting from"):
        smt("Cast$Value", spec="string").apply(sink([1, 2]))


DATE_PLUS_TIME = logical.timestamp_from_millis(86_401_234)
DATE_PLUS_TIME_STRING = "1970 01 02 00 00 01 234 UTC"
FORMAT = "yyyy MM dd HH mm ss SSS z"


@pytest.mark.parametrize(
    ("configs", "value", "expected"),
    [
        ({"target.type": "Timestamp"}, 86_401_234, DATE_PLUS_TIME),
        ({"target.type": "Date"}, 86_401_234, dt.date(1970, 1, 2)),
        ({"target.type": "Time"}, 86_401_234, dt.time(0, 0, 1, 234000)),
        ({"target.type": "unix"}, DATE_PLUS_TIME, 86_401_234),
        ({"target.type": "string", "format": FORMAT}, DATE_PLUS_TIME, DATE_PLUS_TIME_STRING),
        ({"target.type": "Timestamp", "format": FORMAT}, DATE_PLUS_TIME_STRING, DATE_PLUS_TIME),
        ({"target.type": "unix", "unix.precision": "seconds"}, DATE_PLUS_TIME, 86_401),
        ({"target.type": "unix", "unix.precision": "microseconds"}, DATE_PLUS_TIME, 86_401_234_000),
        (
            {"target.type": "unix", "unix.precision": "nanoseconds"},
            DATE_PLUS_TIME,
            86_401_234_000_000,
        ),
        (
            {"target.type": "Timestamp", "unix.precision": "microseconds"},
            86_401_234_123,
            DATE_PLUS_TIME,
        ),
        (
            {"target.type": "Timestamp", "unix.precision": "nanoseconds"},
            86_401_234_123_456,
            DATE_PLUS_TIME,
        ),
        (
            {"target.type": "Timestamp", "unix.precision": "seconds"},
            86_401,
            logical.timestamp_from_millis(86_401_000),
        ),
        ({"target.type": "unix"}, None, None),
    ],
)
def test_timestamp_converter_schemaless(
    configs: dict[str, object], value: object, expected: object
) -> None:
    record = smt(
        "TimestampConverter$Value", **{k.replace(".", "_"): v for k, v in configs.items()}
    ).apply(sink(value))
    assert record is not None and record.value == expected


def test_timestamp_converter_with_schema_field() -> None:
    schema = struct([("ts", logical.TIMESTAMP), ("other", STRING)])
    convert = smt("TimestampConverter$Value", field="ts", target_type="string", format="yyyyMMdd")
    record = convert.apply(sink(filled(schema, ts=DATE_PLUS_TIME, other="x"), schema))
    assert record is not None and record.value_schema is not None
    assert record.value_schema.fields[0].schema == STRING
    assert record.value == filled(record.value_schema, ts="19700102", other="x")


def test_timestamp_converter_whole_value_with_schema() -> None:
    record = smt("TimestampConverter$Value", target_type="Date").apply(sink(86_401_234, INT64))
    assert record is not None and (record.value_schema, record.value) == (
        logical.DATE,
        dt.date(1970, 1, 2),
    )
    string_record = smt("TimestampConverter$Value", target_type="Time", format=FORMAT).apply(
        sink(DATE_PLUS_TIME_STRING, STRING)
    )
    assert string_record is not None and string_record.value == dt.time(0, 0, 1, 234000)
    with pytest.raises(DataException, match="does not correspond to a known timestamp type"):
        smt("TimestampConverter$Value", target_type="Date").apply(sink(1.5, FLOAT64))


def test_timestamp_converter_config_errors() -> None:
    with pytest.raises(InvalidConnectorConfig, match="requires format option"):
        smt("TimestampConverter$Value", target_type="string")
    with pytest.raises(InvalidConnectorConfig, match="String must be one of"):
        smt("TimestampConverter$Value", target_type="epoch")
    with pytest.raises(DataException, match="does not match pattern"):
        smt("TimestampConverter$Value", target_type="unix", format="yyyyMMdd").apply(
            sink("2017-01-02")
        )
