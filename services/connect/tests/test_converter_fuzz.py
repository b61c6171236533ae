"""Property tests: round trips, and only DataException escapes to_connect on any input."""

from __future__ import annotations

import contextlib
import json

from connect_strategies import json_documents, schema_and_value, schemas
from hypothesis import given, settings
from hypothesis import strategies as st
from kanal_connect.converters import ByteArrayConverter, JsonConverter, StringConverter, jackson
from kanal_connect.converters.json_values import to_json
from kanal_connect.data import Schema
from kanal_connect.errors import DataException


def _json(schemas_enabled: bool) -> JsonConverter:
    converter = JsonConverter()
    converter.configure(
        {"schemas.enable": schemas_enabled, "replace.null.with.default": False}, False
    )
    return converter


@settings(max_examples=300, deadline=None)
@given(schema_and_value)
def test_json_round_trip_with_schemas(pair: tuple[Schema, object]) -> None:
    schema, value = pair
    converter = _json(True)
    data = converter.from_connect("t", schema, value)
    assert data is not None
    assert converter.to_connect("t", data) == (schema, value)


@settings(max_examples=200, deadline=None)
@given(schema_and_value)
def test_the_cached_envelope_is_jacksons_whole_object(pair: tuple[Schema, object]) -> None:
    """The envelope is written from a cached schema part; it must stay byte for byte what
    writing the whole {schema, payload} object gives, on a cache miss and a hit alike."""
    schema, value = pair
    converter = _json(True)
    whole = jackson.write({"schema": converter.schema_to_json(schema),
                           "payload": to_json(schema, value, converter.options)})
    assert converter.from_connect("t", schema, value) == whole
    assert converter.from_connect("t", schema, value) == whole


@settings(max_examples=200, deadline=None)
@given(schema_and_value)
def test_numeric_decimals_round_trip_too(pair: tuple[Schema, object]) -> None:
    schema, value = pair
    converter = JsonConverter()
    converter.configure({"decimal.format": "NUMERIC", "replace.null.with.default": "false"}, True)
    data = converter.from_connect("t", schema, value)
    assert data is not None
    assert converter.to_connect("t", data) == (schema, value)


@settings(deadline=None)
@given(json_documents)
def test_schemaless_round_trip_preserves_json(document: object) -> None:
    converter = _json(False)
    _, value = converter.to_connect("t", json.dumps(document).encode())
    data = converter.from_connect("t", None, value)
    assert json.loads(data or b"null") == document


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64), st.booleans())
def test_random_bytes_raise_only_data_exception(data: bytes, schemas_enabled: bool) -> None:
    with contextlib.suppress(DataException):
        _json(schemas_enabled).to_connect("t", data)


@settings(max_examples=300, deadline=None)
@given(json_documents, json_documents)
def test_random_envelopes_raise_only_data_exception(schema: object, payload: object) -> None:
    document = json.dumps({"schema": schema, "payload": payload}).encode()
    with contextlib.suppress(DataException):
        _json(True).to_connect("t", document)


@settings(max_examples=200, deadline=None)
@given(schemas, json_documents)
def test_payloads_against_real_schemas_raise_only_data_exception(
    schema: Schema, payload: object
) -> None:
    converter = _json(True)
    envelope = {"schema": converter.schema_to_json(schema), "payload": payload}
    with contextlib.suppress(DataException):
        converter.to_connect("t", json.dumps(envelope).encode())


@settings(deadline=None)
@given(st.binary(max_size=64))
def test_string_and_bytes_converters_never_fail_to_read(data: bytes) -> None:
    text = StringConverter()
    text.configure({}, False)
    assert text.to_connect("t", data).value == data.decode("utf-8", errors="replace")
    raw = ByteArrayConverter()
    raw.configure({}, True)
    assert raw.to_connect("t", data).value == data
