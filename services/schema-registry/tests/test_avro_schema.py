import json

import pytest
from avro.schema import RecordSchema
from kanal_registry.errors import InvalidSchema, VersionNotFound
from kanal_registry.schema_types import SchemaReference, SchemaType, parse_schema
from kanal_registry.schemas.avro_schema import AvroSchema

from .helpers import avro, field, record


def test_canonical_form_follows_the_spec_transformations() -> None:
    schema = avro(
        {
            "type": "record",
            "name": "User",
            "namespace": "com.example",
            "doc": "a user",
            "aliases": ["Person"],
            "fields": [
                {"type": {"type": "string", "logicalType": "uuid"}, "name": "id", "doc": "key"},
                {"name": "age", "type": {"type": "int"}, "default": 0, "order": "descending"},
                {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
                {"name": "other", "type": "Kind"},
                {"name": "tags", "type": {"type": "array", "items": "string"}},
                {"name": "hash", "type": {"type": "fixed", "name": "x.Hash", "size": 16}},
            ],
        }
    )
    assert schema.canonical_form() == (
        '{"name":"com.example.User","type":"record","fields":['
        '{"name":"id","type":"string"},'
        '{"name":"age","type":"int"},'
        '{"name":"kind","type":{"name":"com.example.Kind","type":"enum","symbols":["A","B"]}},'
        '{"name":"other","type":"com.example.Kind"},'
        '{"name":"tags","type":{"type":"array","items":"string"}},'
        '{"name":"hash","type":{"name":"x.Hash","type":"fixed","size":16}}]}'
    )


def test_primitive_schemas_have_their_simple_canonical_form() -> None:
    assert avro({"type": "long"}).canonical_form() == '"long"'
    assert avro(["null", {"type": "string"}]).canonical_form() == '["null","string"]'


def test_layout_and_key_order_do_not_change_the_normal_form_but_defaults_do() -> None:
    compact = '{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":1}]}'
    spaced = (
        '{ "fields" : [ {"default": 1, "type": "int", "name": "a"} ],'
        ' "name": "R", "type": "record" }'
    )
    other_default = compact.replace('"default":1', '"default":2')
    normal = parse_schema(SchemaType.AVRO, compact).normalize()
    assert normal.text == parse_schema(SchemaType.AVRO, spaced).normalize().text
    assert normal.text != parse_schema(SchemaType.AVRO, other_default).normalize().text
    assert parse_schema(SchemaType.AVRO, normal.text).normalize().text == normal.text


def test_named_types_of_a_referenced_schema_can_be_used() -> None:
    address = json.dumps(record(field("street", "string"), name="com.example.Address"))
    texts = {("address-value", 1): address}
    user = json.dumps(record(field("home", "com.example.Address"), name="com.example.User"))
    schema = parse_schema(
        SchemaType.AVRO,
        user,
        references=[SchemaReference("com.example.Address", "address-value", 1)],
        resolve=lambda subject, version: texts[(subject, version)],
    )
    assert isinstance(schema, AvroSchema)
    assert isinstance(schema.avro, RecordSchema)
    assert schema.avro.fields[0].type.fullname == "com.example.Address"


def test_a_missing_reference_is_an_invalid_schema() -> None:
    def resolve(subject: str, version: int) -> str:
        raise VersionNotFound(f"{subject} has no version {version}")

    with pytest.raises(InvalidSchema, match=r"reference cannot be resolved.*no version 3"):
        parse_schema(
            SchemaType.AVRO,
            json.dumps(record(field("a", "Missing"))),
            references=[SchemaReference("Missing", "missing-value", 3)],
            resolve=resolve,
        )


@pytest.mark.parametrize(
    ("text", "points_at"),
    [
        ('{"type": "record", "name": "R", "fields": [', "line 1 column 44"),
        ('{"type": "record",\n "name": "R",\n "fields": [}', "line 3 column 13"),
        (json.dumps(record(field("a", "Nope"))), "Nope"),
        (json.dumps(record(field("a", "int"), field("a", "long"))), "a already in use"),
        (json.dumps(record(field("a", "int", default="x"))), "field R.a"),
        (json.dumps(record(field("a", ["null", "int"], default=1))), "first branch, null"),
        (json.dumps(record(field("a", "int", default=2**31))), "field R.a"),
        (json.dumps({"type": "enum", "name": "E", "symbols": ["A", "A"]}), "Duplicate symbol"),
        (json.dumps({"type": "fixed", "name": "F", "size": -1}), "size"),
        (json.dumps({"type": "map"}), "map at $ has no 'values'"),
        (json.dumps(record(field("a", {"type": "array"}))), "array at $.fields[0] has no 'items'"),
        (json.dumps([["int"]]), "Unions cannot contain other unions"),
        ("42", "42"),
    ],
)
def test_invalid_avro_is_42201_with_a_message_that_points_at_the_problem(
    text: str, points_at: str
) -> None:
    with pytest.raises(InvalidSchema) as caught:
        parse_schema(SchemaType.AVRO, text)
    assert caught.value.error_code == 42201
    assert points_at in caught.value.message


def test_valid_defaults_of_every_kind_are_accepted() -> None:
    inner = record(field("x", "int"), field("y", "string", default="d"), name="Inner")
    avro(
        record(
            field("n", ["null", "string"], default=None),
            field("b", "bytes", default="\u00ff"),
            field("d", "double", default=1),
            field("e", {"type": "enum", "name": "E", "symbols": ["A"]}, default="A"),
            field("arr", {"type": "array", "items": "long"}, default=[1, 2]),
            field("m", {"type": "map", "values": "boolean"}, default={"k": True}),
            field("rec", inner, default={"x": 1}),
        )
    )


def test_unknown_logical_types_are_ignored_as_the_spec_says() -> None:
    assert avro({"type": "int", "logicalType": "my-own"}).canonical_form() == '"int"'
