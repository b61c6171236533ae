"""The JSON converter's fast paths against the generic ones they replace, byte for byte and
error for error: prepared writers vs `to_json` + `jackson.write`, the envelope split and the
schema cache vs `json.loads` + `schema_from_json`, `jackson.quote` vs Jackson's escape table."""

from __future__ import annotations

import decimal
import json
from collections.abc import Callable

import pytest
from connect_strategies import json_documents, names, schemas, values_for
from hypothesis import given, settings
from hypothesis import strategies as st
from kanal_connect.converters import JsonConverter, jackson
from kanal_connect.converters.json_prepared import prepare_writer
from kanal_connect.converters.json_prepared_reader import prepare_reader
from kanal_connect.converters.json_schema import schema_from_json
from kanal_connect.converters.json_values import JsonValueOptions, to_connect, to_json
from kanal_connect.data import Schema, SchemaType, Struct, struct
from kanal_connect.errors import DataException

_ESCAPES = {i: f"\\u{i:04X}" for i in range(0x20)} | {
    0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"}
_TRICKY_TEXT = st.text(
    st.sampled_from(["\x00", "\x01", "\x1f", "\n", '"', "\\", "u", "0", "é", "\ud800", "a"])
) | st.text(st.characters(exclude_categories=()))
_OPTIONS = st.builds(JsonValueOptions, st.booleans(), st.booleans())

Outcome = tuple[str, object]


def _outcome(action: Callable[[], object]) -> Outcome:
    try:
        return "value", action()
    except DataException as error:
        return "error", str(error)


def _junk() -> st.SearchStrategy[object]:
    return st.one_of(
        st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), _TRICKY_TEXT,
        st.binary(max_size=4), st.binary(max_size=4).map(bytearray), st.just([1]),
        st.just((True,)), st.just({"k": 1}), st.just(decimal.Decimal("1.5")),
    )


def _loose_values_for(schema: Schema) -> st.SearchStrategy[object]:
    """Valid values, junk, and containers of the right shape holding junk."""
    if schema.type is SchemaType.STRUCT:
        inner = st.tuples(*[_loose_values_for(f.schema) for f in schema.fields]).map(
            lambda values: Struct.trusted(schema, list(values)))
        return values_for(schema) | inner | _junk()
    if schema.type is SchemaType.ARRAY:
        assert schema.value_schema is not None
        items = st.lists(_loose_values_for(schema.value_schema), max_size=3)
        return values_for(schema) | items | items.map(tuple) | _junk()
    return values_for(schema) | _junk()


def _with_defaults(schema: Schema) -> st.SearchStrategy[Schema]:
    return values_for(schema).map(lambda d: schema if d is None else schema.with_default(d))


_defaulted_structs = st.lists(
    st.tuples(names, schemas.flatmap(_with_defaults)), max_size=4, unique_by=lambda p: p[0]
).map(struct)
_any_schema = schemas | schemas.flatmap(_with_defaults) | _defaulted_structs


@settings(max_examples=300, deadline=None)
@given(_TRICKY_TEXT)
def test_quote_is_the_escape_table(text: str) -> None:
    assert jackson.quote(text) == '"' + text.translate(_ESCAPES) + '"'


@settings(max_examples=250, deadline=None)
@given(_any_schema.flatmap(lambda s: st.tuples(st.just(s), _loose_values_for(s))), _OPTIONS)
def test_prepared_writer_is_the_generic_text_and_errors(
    pair: tuple[Schema, object], options: JsonValueOptions
) -> None:
    schema, value = pair
    generic = _outcome(lambda: jackson.write_text(to_json(schema, value, options)))
    assert _outcome(lambda: prepare_writer(schema, options)(value)) == generic


@settings(max_examples=200, deadline=None)
@given(_any_schema.flatmap(lambda s: st.tuples(st.just(s), _loose_values_for(s))),
       st.booleans(), st.booleans())
def test_from_connect_is_the_whole_envelope_written_at_once(
    pair: tuple[Schema, object], schemas_enabled: bool, replace_null: bool
) -> None:
    schema, value = pair
    converter = JsonConverter()
    converter.configure(
        {"schemas.enable": schemas_enabled, "replace.null.with.default": replace_null}, False)

    def whole() -> bytes:
        payload = to_json(schema, value, converter.options)
        if not schemas_enabled:
            return jackson.write(payload)
        return jackson.write({"schema": converter.schema_to_json(schema), "payload": payload})

    expected = _outcome(whole)
    assert _outcome(lambda: converter.from_connect("t", schema, value)) == expected
    assert _outcome(lambda: converter.from_connect("t", schema, value)) == expected


def _reject(name: str) -> object:
    raise DataException(f"Non-standard token '{name}' is not valid JSON")


def _reference_to_connect(converter: JsonConverter, data: bytes) -> object:
    """The converter's read path before the fast one: json.loads of the whole document."""
    failure = "Converting byte[] to Kafka Connect data failed due to serialization error: {}"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataException(failure.format(error)) from None
    if not text.strip():
        raise DataException("empty")
    try:
        document = json.loads(text, parse_float=decimal.Decimal, parse_constant=_reject)
    except (ValueError, RecursionError) as error:
        raise DataException(failure.format(error)) from None
    if not isinstance(document, dict) or set(document) != {"schema", "payload"}:
        raise DataException("envelope")
    schema = schema_from_json(document["schema"],
                              lambda s, v: to_connect(s, v, converter.options))
    return schema, to_connect(schema, document["payload"], converter.options)


_EDITS = st.sampled_from([
    lambda d: d, lambda d: d + b" \n", lambda d: b" " + d, lambda d: d + b"}",
    lambda d: d[:-1], lambda d: d.replace(b'"payload":', b'"payload": ', 1),
    lambda d: d.replace(b',"payload"', b' ,"payload"', 1),
    lambda d: d[:-1] + b',"schema":null}', lambda d: d[:-1] + b',"payload":1}',
    lambda d: d.replace(b'"optional":false', b'"optional":NaN', 1),
    lambda d: b"\xef\xbb\xbf" + d, lambda d: d + b"\x0b",
    lambda d: d.replace(b'":', b'": ').replace(b',"', b', "'),  # json.dumps' spacing
    lambda d: b"\t{ " + d[1:],
])


@settings(max_examples=300, deadline=None)
@given(_any_schema.flatmap(lambda s: st.tuples(st.just(s), values_for(s))), _EDITS,
       st.integers(0, 200), st.sampled_from([b"", b" ", b"}", b",", b"\x00", b'"']))
def test_to_connect_reads_as_json_loads_did(
    pair: tuple[Schema, object], edit: Callable[[bytes], bytes], at: int, insert: bytes
) -> None:
    schema, value = pair
    converter = JsonConverter()
    converter.configure({"replace.null.with.default": False}, False)
    written = converter.from_connect("t", schema, value)
    assert written is not None
    data = edit(written)
    data = data[:at] + insert + data[at:]

    def read() -> object:
        result = converter.to_connect("t", data)
        return result.schema, result.value

    expected = _outcome(lambda: _reference_to_connect(converter, data))
    for _ in range(2):  # a cache miss, then a hit
        _assert_same_outcome(_outcome(read), expected)


def _assert_same_outcome(got: Outcome, expected: Outcome) -> None:
    """The same value, or an error too: the same one when json.loads' own message says why."""
    if expected[0] == "error":
        assert got[0] == "error"
        if "serialization error" in str(expected[1]) or "Non-standard" in str(expected[1]):
            assert got == expected
    else:
        assert got == expected


def test_a_zero_sized_cache_still_converts() -> None:
    converter = JsonConverter()
    converter.configure({"schemas.cache.size": 0}, False)
    schema = struct([("id", Schema(SchemaType.INT64))])
    value = Struct(schema).put("id", 5)
    for _ in range(3):
        data = converter.from_connect("t", schema, value)
        assert data is not None
        assert converter.to_connect("t", data) == (schema, value)


def test_the_schema_cache_is_bounded_and_exact() -> None:
    converter = JsonConverter()
    converter.configure({"schemas.cache.size": 2}, False)
    for width in range(5):
        schema = struct([(f"f{i}", Schema(SchemaType.INT32)) for i in range(width)])
        data = converter.from_connect("t", schema, Struct.trusted(schema, list(range(width))))
        assert data is not None
        assert converter.to_connect("t", data).schema == schema
    assert len(converter._connect_schemas) <= 2


def test_trusted_refuses_a_non_struct_schema() -> None:
    with pytest.raises(DataException):
        Struct.trusted(Schema(SchemaType.INT32), [])


def _nodes_for(schema: Schema) -> st.SearchStrategy[object]:
    """Parsed JSON as the converter writes it for valid and loose values, and other JSON."""
    written = _loose_values_for(schema).map(
        lambda value: _outcome(lambda: jackson.parse(
            jackson.write_text(to_json(schema, value, JsonValueOptions()))))[1])
    return written | json_documents | st.decimals(allow_nan=False)


@settings(max_examples=250, deadline=None)
@given(_any_schema.flatmap(lambda s: st.tuples(st.just(s), _nodes_for(s))), _OPTIONS)
def test_prepared_reader_is_the_generic_value_and_errors(
    pair: tuple[Schema, object], options: JsonValueOptions
) -> None:
    schema, node = pair
    generic = _outcome(lambda: to_connect(schema, node, options))
    assert repr(_outcome(lambda: prepare_reader(schema, options)(node))) == repr(generic)


@settings(max_examples=300, deadline=None)
@given(st.floats(1e-3, 1e7, exclude_max=True) | st.floats(-1e7, -1e-3, exclude_min=True)
       | st.sampled_from([1e-3, -1e-3, 9999999.999999998, 0.1, 100.0, 2e-3]))
def test_java_doubles_in_the_plain_range_are_pythons_repr(value: float) -> None:
    assert jackson.write(value).decode() == repr(value)
    assert prepare_writer(Schema(SchemaType.FLOAT64), JsonValueOptions())(value) == repr(value)


def test_an_unchecked_bad_default_fails_only_when_used() -> None:
    bad = Schema(SchemaType.STRING, optional=True, default=5)
    schema = struct([("s", bad)])
    writer = prepare_writer(schema, JsonValueOptions())
    assert writer(Struct.trusted(schema, ["x"])) == '{"s":"x"}'
    with pytest.raises(DataException):
        writer(Struct.trusted(schema, [None]))


def _spaced(converter: JsonConverter, schema: Schema, written: bytes) -> bytes:
    """The converter's compact envelope as Python's json.dumps spaces it."""
    schema_json = jackson.write(converter.schema_to_json(schema))
    head = b'{"schema":' + schema_json + b',"payload":'
    assert written.startswith(head)
    return b'{"schema": ' + schema_json + b', "payload": ' + written[len(head):]


@settings(max_examples=300, deadline=None)
@given(_any_schema.flatmap(lambda s: st.tuples(st.just(s), values_for(s))), _EDITS,
       st.integers(0, 200), st.sampled_from([b"", b" ", b"}", b",", b"\x00", b'"']),
       st.booleans())
def test_after_a_clean_envelope_edited_ones_read_as_json_loads_did(
    pair: tuple[Schema, object], edit: Callable[[bytes], bytes], at: int, insert: bytes,
    spaced: bool,
) -> None:
    """The known envelope head (jackson.payload_after) primed by a clean record, compact
    or spaced, then any edited record of that schema: the same value or the same kind of
    error as before."""
    schema, value = pair
    converter = JsonConverter()
    converter.configure({"replace.null.with.default": False}, False)
    written = converter.from_connect("t", schema, value)
    assert written is not None
    if spaced:
        written = _spaced(converter, schema, written)
    converter.to_connect("t", written)
    data = edit(written)
    data = data[:at] + insert + data[at:]
    expected = _outcome(lambda: _reference_to_connect(converter, data))
    _assert_same_outcome(_outcome(lambda: tuple(converter.to_connect("t", data))), expected)
