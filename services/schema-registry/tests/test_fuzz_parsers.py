"""Hypothesis fuzz of the parsers and checkers: whatever the input, the only error that
escapes is the registry's InvalidSchema (42201)."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kanal_registry.compatibility import CompatibilityLevel, check
from kanal_registry.errors import InvalidSchema
from kanal_registry.schema_types import ParsedSchema, SchemaType, parse_schema

from .schema_strategies import avro_texts, json_schema_texts, proto_texts

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

AVRO_WORDS = [
    "type",
    "name",
    "namespace",
    "fields",
    "symbols",
    "items",
    "values",
    "size",
    "default",
    "aliases",
    "doc",
    "order",
    "logicalType",
    "precision",
    "scale",
    "record",
    "enum",
    "fixed",
    "array",
    "map",
    "null",
    "boolean",
    "int",
    "long",
    "float",
    "double",
    "bytes",
    "string",
    "decimal",
    "uuid",
    "date",
    "R",
    "E",
    "a",
    "b",
    "a.b",
    "",
]
JSON_SCHEMA_WORDS = [
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "prefixItems",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "anyOf",
    "oneOf",
    "allOf",
    "not",
    "$ref",
    "definitions",
    "$defs",
    "$schema",
    "$id",
    "patternProperties",
    "dependencies",
    "object",
    "array",
    "string",
    "integer",
    "number",
    "null",
    "boolean",
    "#",
    "#/definitions/a",
    "a",
    "[",
    "(?P<",
    "https://json-schema.org/draft/2020-12/schema",
    "http://json-schema.org/draft-04/schema#",
]
PROTO_TOKENS = [
    "syntax",
    "=",
    '"proto3"',
    '"proto2"',
    ";",
    "package",
    "a.b",
    "import",
    '"x.proto"',
    '"google/protobuf/timestamp.proto"',
    "message",
    "M",
    "N",
    "{",
    "}",
    "int32",
    "string",
    "repeated",
    "optional",
    "required",
    "oneof",
    "o",
    "map",
    "<",
    ">",
    ",",
    "enum",
    "E",
    "A",
    "reserved",
    "to",
    "max",
    "1",
    "2",
    "0",
    "19000",
    "536870912",
    "0x10",
    "-1",
    "x",
    "y",
    "option",
    "(",
    ")",
    "[",
    "]",
    "true",
    "google.protobuf.Timestamp",
    ".a.b.M",
    "//",
    "\n",
    "service",
    "rpc",
    "returns",
    "stream",
    "extend",
    "group",
    "1e5",
    "'",
    '"',
]


def documents(words: list[str]) -> st.SearchStrategy[object]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=False),
        st.sampled_from(words),
        st.text(max_size=8),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.sampled_from(words), inner, max_size=6),
        ),
        max_leaves=30,
    )


def parse_or_reject(schema_type: SchemaType, text: str) -> ParsedSchema | None:
    try:
        schema = parse_schema(schema_type, text)
    except InvalidSchema as exc:
        assert exc.message
        return None
    # What parses must also have the derived forms the registry stores and compares.
    assert isinstance(schema.canonical_form(), str)
    assert isinstance(schema.normalize().text, str)
    return schema


@FUZZ
@given(st.text(max_size=200), st.sampled_from(list(SchemaType)))
def test_random_text_is_parsed_or_rejected_as_invalid(text: str, schema_type: SchemaType) -> None:
    parse_or_reject(schema_type, text)


@FUZZ
@given(documents(AVRO_WORDS + JSON_SCHEMA_WORDS), st.sampled_from(list(SchemaType)))
def test_random_json_documents_are_parsed_or_rejected(
    document: object, schema_type: SchemaType
) -> None:
    parse_or_reject(schema_type, json.dumps(document))


@FUZZ
@given(st.lists(st.sampled_from(PROTO_TOKENS), max_size=40))
def test_token_soup_is_parsed_or_rejected_as_protobuf(tokens: list[str]) -> None:
    parse_or_reject(SchemaType.PROTOBUF, " ".join(tokens))


@FUZZ
@given(
    st.lists(documents(AVRO_WORDS), min_size=2, max_size=3),
    st.sampled_from(list(CompatibilityLevel)),
)
def test_checking_any_parsable_avro_schemas_returns_reasons(
    docs: list[object], level: CompatibilityLevel
) -> None:
    _check_what_parses(SchemaType.AVRO, docs, level)


@FUZZ
@given(
    st.lists(documents(JSON_SCHEMA_WORDS), min_size=2, max_size=3),
    st.sampled_from(list(CompatibilityLevel)),
)
def test_checking_any_parsable_json_schemas_returns_reasons(
    docs: list[object], level: CompatibilityLevel
) -> None:
    _check_what_parses(SchemaType.JSON, docs, level)


@FUZZ
@given(st.lists(st.lists(st.sampled_from(PROTO_TOKENS), max_size=30), min_size=2, max_size=3))
def test_checking_any_parsable_protobuf_schemas_returns_reasons(
    token_lists: list[list[str]],
) -> None:
    texts = [" ".join(tokens) for tokens in token_lists]
    schemas = [s for s in (parse_or_reject(SchemaType.PROTOBUF, t) for t in texts) if s is not None]
    if schemas:
        assert check(schemas[-1], schemas[:-1], CompatibilityLevel.FULL_TRANSITIVE) is not None


def _check_what_parses(
    schema_type: SchemaType, docs: list[object], level: CompatibilityLevel
) -> None:
    schemas = [
        s for s in (parse_or_reject(schema_type, json.dumps(d)) for d in docs) if s is not None
    ]
    if not schemas:
        return
    reasons = check(schemas[-1], schemas[:-1], level)
    assert all(isinstance(r, str) for r in reasons)
    # A schema is always compatible with itself, in every direction.
    assert check(schemas[-1], [schemas[-1]], CompatibilityLevel.FULL) == []


@FUZZ
@given(
    st.sampled_from(
        [
            (SchemaType.AVRO, avro_texts()),
            (SchemaType.JSON, json_schema_texts()),
            (SchemaType.PROTOBUF, proto_texts()),
        ]
    ).flatmap(lambda pair: st.tuples(st.just(pair[0]), st.lists(pair[1], min_size=2, max_size=3))),
    st.sampled_from(list(CompatibilityLevel)),
)
def test_checking_well_formed_schemas_returns_reasons(
    case: tuple[SchemaType, list[str]], level: CompatibilityLevel
) -> None:
    schema_type, texts = case
    schemas = [s for s in (parse_or_reject(schema_type, t) for t in texts) if s is not None]
    if not schemas:
        return
    reasons = check(schemas[-1], schemas[:-1], level)
    assert all(isinstance(r, str) for r in reasons)
    assert check(schemas[-1], [schemas[-1]], CompatibilityLevel.FULL) == []
