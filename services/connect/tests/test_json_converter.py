"""JsonConverter: the exact bytes Kafka writes, and reading them back."""

from __future__ import annotations

import datetime as dt
import decimal
import json

import pytest
from kanal_connect.converters import JsonConverter, converter_for
from kanal_connect.data import (
    BOOLEAN,
    BYTES,
    FLOAT32,
    FLOAT64,
    INT32,
    INT64,
    OPTIONAL_STRING,
    STRING,
    Struct,
    array,
    logical,
    map_of,
    struct,
)
from kanal_connect.errors import DataException, InvalidConnectorConfig


def converter(**configs: object) -> JsonConverter:
    instance = JsonConverter()
    instance.configure(configs, False)
    return instance


def write(schema: object, value: object, **configs: object) -> str:
    data = converter(**configs).from_connect("topic", schema, value)  # type: ignore[arg-type]
    assert data is not None
    return data.decode("utf-8")


@pytest.mark.parametrize(
    ("schema", "value", "expected"),
    [
        (STRING, "foo", '{"schema":{"type":"string","optional":false},"payload":"foo"}'),
        (INT32, 42, '{"schema":{"type":"int32","optional":false},"payload":42}'),
        (
            INT64,
            -(2**63),
            '{"schema":{"type":"int64","optional":false},"payload":-9223372036854775808}',
        ),
        (BOOLEAN, True, '{"schema":{"type":"boolean","optional":false},"payload":true}'),
        (FLOAT32, 12.34, '{"schema":{"type":"float","optional":false},"payload":12.34}'),
        (FLOAT64, 1e10, '{"schema":{"type":"double","optional":false},"payload":1.0E10}'),
        (FLOAT64, float("nan"), '{"schema":{"type":"double","optional":false},"payload":"NaN"}'),
        (
            BYTES,
            b"test-string",
            '{"schema":{"type":"bytes","optional":false},"payload":"dGVzdC1zdHJpbmc="}',
        ),
        (OPTIONAL_STRING, None, '{"schema":{"type":"string","optional":true},"payload":null}'),
        (
            array(INT32),
            [1, 2],
            '{"schema":{"type":"array","items":{"type":"int32","optional":false},'
            '"optional":false},"payload":[1,2]}',
        ),
        (
            map_of(STRING, INT32),
            {"a": 1},
            '{"schema":{"type":"map","keys":{"type":"string","optional":false},'
            '"values":{"type":"int32","optional":false},"optional":false},'
            '"payload":{"a":1}}',
        ),
        (
            map_of(INT32, STRING),
            {1: "a"},
            '{"schema":{"type":"map","keys":{"type":"int32","optional":false},'
            '"values":{"type":"string","optional":false},"optional":false},'
            '"payload":[[1,"a"]]}',
        ),
        (
            logical.decimal_schema(2),
            decimal.Decimal("1.56"),
            '{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal",'
            '"version":1,"parameters":{"scale":"2"}},"payload":"AJw="}',
        ),
        (
            logical.DATE,
            dt.date(1970, 1, 1) + dt.timedelta(days=10000),
            '{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date",'
            '"version":1},"payload":10000}',
        ),
        (
            logical.TIME,
            dt.time(4, 0),
            '{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Time",'
            '"version":1},"payload":14400000}',
        ),
        (
            logical.TIMESTAMP,
            logical.timestamp_from_millis(4_000_000_000),
            '{"schema":{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp",'
            '"version":1},"payload":4000000000}',
        ),
    ],
)
def test_golden_envelopes(schema: object, value: object, expected: str) -> None:
    assert write(schema, value) == expected


def test_struct_envelope_matches_kafkas_struct_to_json() -> None:
    schema = struct(
        [("field1", BOOLEAN), ("field2", STRING), ("field3", STRING), ("field4", BOOLEAN)]
    )
    value = (
        Struct(schema)
        .put("field1", True)
        .put("field2", "string2")
        .put("field3", "string3")
        .put("field4", False)
    )
    assert write(schema, value) == (
        '{"schema":{"type":"struct","fields":[{"type":"boolean","optional":false,"field":"field1"},'
        '{"type":"string","optional":false,"field":"field2"},{"type":"string","optional":false,"field":"field3"},'
        '{"type":"boolean","optional":false,"field":"field4"}],"optional":false},'
        '"payload":{"field1":true,"field2":"string2","field3":"string3","field4":false}}'
    )


def test_default_replaces_null_unless_disabled() -> None:
    schema = struct([("field1", OPTIONAL_STRING.with_default("default"))])
    value = Struct(schema)
    head = (
        '{"schema":{"type":"struct","fields":[{"type":"string","optional":true,"default":"default",'
        '"field":"field1"}],"optional":false},'
    )
    assert write(schema, value) == head + '"payload":{"field1":"default"}}'
    assert (
        write(schema, value, **{"replace.null.with.default": "false"})
        == head + '"payload":{"field1":null}}'
    )


def test_decimal_numeric_format() -> None:
    assert write(
        logical.decimal_schema(2), decimal.Decimal("1.56"), **{"decimal.format": "NUMERIC"}
    ).endswith('"payload":1.56}')


def test_strings_are_escaped_like_jackson() -> None:
    assert write(STRING, 'a"b\\c\n\x01\x7fé€') == (
        '{"schema":{"type":"string","optional":false},"payload":"a\\"b\\\\c\\n\\u0001\x7fé€"}'
    )


def test_schemaless_and_schemas_disabled() -> None:
    assert (
        write(None, {"a": 1, "b": [True, None]})
        == '{"schema":null,"payload":{"a":1,"b":[true,null]}}'
    )
    assert write(None, {"a": 1.5}, **{"schemas.enable": "false"}) == '{"a":1.5}'
    assert write(None, {1: "x"}, **{"schemas.enable": "false"}) == '[[1,"x"]]'
    assert converter().from_connect("t", None, None) is None


def test_required_null_is_a_data_error() -> None:
    with pytest.raises(DataException, match="null value for field that is required"):
        converter().from_connect("t", STRING, None)


def test_wrong_python_type_is_a_data_error() -> None:
    with pytest.raises(DataException):
        converter().from_connect("t", INT32, "x")
    with pytest.raises(DataException, match="Mismatching schema"):
        converter().from_connect(
            "t", struct([("a", INT32)]), Struct(struct([("b", INT32)])).put("b", 1)
        )


def test_reads_envelopes_back() -> None:
    read = converter().to_connect
    assert read("t", b'{"schema":{"type":"int32"},"payload":5}') == (INT32, 5)
    assert read("t", b'{"schema":{"type":"string","optional":true},"payload":null}') == (
        OPTIONAL_STRING,
        None,
    )
    schema, value = read(
        "t",
        b'{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal",'
        b'"version":1,"parameters":{"scale":"2"}},"payload":1.56}',
    )
    assert value == decimal.Decimal("1.56") and schema == logical.decimal_schema(2)
    assert read("t", None) == (None, None)


def test_schemaless_reading_infers_types() -> None:
    read = converter(**{"schemas.enable": False}).to_connect
    assert read("t", b'{"a":[1,2.5,"x",true,null]}') == (None, {"a": [1, 2.5, "x", True, None]})
    assert read("t", b"") == (None, None)


@pytest.mark.parametrize(
    "document",
    [
        b'{"payload":1}',
        b'{"schema":null,"payload":1,"extra":2}',
        b"[1]",
        b"not json",
        b'{"schema":{"type":"nope"},"payload":1}',
        b'{"schema":{"type":"int8"},"payload":300}',
        b'{"schema":{"type":"int32"},"payload":"5"}',
        b'{"schema":{"type":"int32"},"payload":null}',
        b'{"schema":{"type":"bytes"},"payload":"***"}',
        b'{"schema":{"type":"struct","fields":[{"type":"int32"}]},"payload":{}}',
        b'{"schema":{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}},"payload":[[1]]}',
        b"\xff\xfe",
    ],
)
def test_bad_documents_raise_data_exception(document: bytes) -> None:
    with pytest.raises(DataException):
        converter().to_connect("t", document)


def test_envelope_error_text_is_kafkas() -> None:
    with pytest.raises(DataException, match='requires "schema" and "payload" fields'):
        converter().to_connect("t", b'{"a":1}')


def test_configuration_errors_name_the_key() -> None:
    with pytest.raises(InvalidConnectorConfig) as caught:
        converter(**{"decimal.format": "HEX"})
    assert "decimal.format" in caught.value.field_errors
    with pytest.raises(InvalidConnectorConfig):
        converter_for("com.example.Missing")


def test_output_is_valid_json_that_python_reads_identically() -> None:
    schema = struct([("m", map_of(STRING, array(FLOAT64))), ("s", OPTIONAL_STRING)])
    value = Struct(schema).put("m", {"k": [0.1, 1e300]})
    parsed = json.loads(write(schema, value))
    assert parsed["payload"] == {"m": {"k": [0.1, 1e300]}, "s": None}
