"""The data model: schemas, struct validation, logical types and records."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from kanal.errors import KanalError
from kanal_connect.data import (
    INT8,
    INT32,
    OPTIONAL_STRING,
    STRING,
    ConnectHeader,
    SchemaType,
    SinkRecord,
    SourceRecord,
    Struct,
    array,
    logical,
    map_of,
    struct,
    validate_value,
)
from kanal_connect.errors import ConnectError, DataException, InvalidConnectorConfig


def test_errors_share_the_kanal_root() -> None:
    assert issubclass(DataException, ConnectError)
    assert issubclass(InvalidConnectorConfig, KanalError)
    error = InvalidConnectorConfig.for_value(
        "transforms.a.type", "Nope", "Class Nope could not be found."
    )
    assert error.field_errors == {
        "transforms.a.type": [
            "Invalid value Nope for configuration transforms.a.type: Class Nope could not be found."
        ]
    }
    assert error.to_json_body()["error_code"] == 400


def test_struct_put_validates_types_and_ranges() -> None:
    schema = struct([("id", INT8), ("name", OPTIONAL_STRING)])
    value = Struct(schema).put("id", 127)
    assert value.get("name") is None
    with pytest.raises(DataException):
        value.put("id", 128)
    with pytest.raises(DataException):
        value.put("id", True)
    with pytest.raises(DataException):
        value.put("name", 5)
    with pytest.raises(DataException):
        value.put("missing", 1)


def test_struct_validate_rejects_missing_required_field() -> None:
    value = Struct(struct([("id", INT32)]))
    with pytest.raises(DataException, match="null used for required field"):
        value.validate()


def test_struct_default_is_read_back_unless_asked_without() -> None:
    schema = struct([("colour", OPTIONAL_STRING.with_default("blue"))])
    value = Struct(schema)
    assert value.get("colour") == "blue"
    assert value.get_without_default("colour") is None


def test_duplicate_field_names_are_rejected() -> None:
    with pytest.raises(DataException):
        struct([("a", INT32), ("a", STRING)])


def test_nested_containers_are_validated() -> None:
    validate_value(array(INT32), [1, 2])
    validate_value(map_of(STRING, array(INT8)), {"a": [1]})
    with pytest.raises(DataException):
        validate_value(map_of(STRING, array(INT8)), {"a": [1000]})
    with pytest.raises(DataException):
        validate_value(array(INT32), [None])


def test_logical_values_have_their_python_classes() -> None:
    validate_value(logical.decimal_schema(2), decimal.Decimal("1.56"))
    validate_value(logical.DATE, dt.date(2020, 1, 1))
    validate_value(logical.TIME, dt.time(1, 2, 3))
    validate_value(logical.TIMESTAMP, dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(DataException):
        validate_value(logical.TIMESTAMP, 5)


def test_decimal_bytes_are_javas_big_integer_bytes() -> None:
    schema = logical.decimal_schema(2)
    # Kafka's DecimalTest: 1.56 at scale 2 is unscaled 156, bytes {0, -100}.
    assert logical.decimal_to_bytes(schema, decimal.Decimal("1.56")) == bytes([0, 0x9C])
    assert logical.decimal_to_bytes(schema, decimal.Decimal("-1.56")) == bytes([0xFF, 0x64])
    assert logical.decimal_from_bytes(schema, bytes([0xFF, 0x64])) == decimal.Decimal("-1.56")
    with pytest.raises(DataException, match="scale"):
        logical.decimal_to_bytes(schema, decimal.Decimal("1.5"))


def test_date_time_timestamp_epoch_numbers() -> None:
    assert logical.date_to_days(dt.date(1970, 1, 11)) == 10
    assert logical.time_to_millis(dt.time(0, 0, 1, 234000)) == 1234
    assert logical.timestamp_to_millis(dt.datetime(1970, 1, 2, tzinfo=dt.UTC)) == 86_400_000
    assert logical.timestamp_from_millis(-1) == dt.datetime(
        1969, 12, 31, 23, 59, 59, 999000, tzinfo=dt.UTC
    )
    with pytest.raises(DataException):
        logical.time_from_millis(86_400_000)


def test_new_record_keeps_subclass_and_extra_fields() -> None:
    header = ConnectHeader("h", STRING, "v")
    sink = SinkRecord(topic="t", kafka_partition=1, value="x", kafka_offset=42, headers=(header,))
    copy = sink.new_record(topic="u", value=None)
    assert isinstance(copy, SinkRecord)
    assert (copy.topic, copy.value, copy.kafka_offset, copy.headers) == ("u", None, 42, (header,))
    assert sink.topic == "t"
    source = SourceRecord(topic="t", source_partition={"file": "a"}, source_offset={"pos": 1})
    assert source.new_record(key="k").source_offset == {"pos": 1}


def test_schema_equality_includes_defaults_and_hash_tolerates_them() -> None:
    with_list_default = array(INT32).with_default([1, 2])
    assert with_list_default != array(INT32)
    assert hash(with_list_default) == hash(array(INT32))
    assert with_list_default.type is SchemaType.ARRAY
