"""Compatibility through references: a referenced schema's change counts where it is used."""

import json

from kanal_registry.compatibility import CompatibilityLevel, check
from kanal_registry.schema_types import ParsedSchema, SchemaReference, SchemaType, parse_schema

from .helpers import field, record

BACKWARD = CompatibilityLevel.BACKWARD


def with_reference(
    schema_type: SchemaType, text: str, name: str, referenced_text: str
) -> ParsedSchema:
    return parse_schema(
        schema_type,
        text,
        references=[SchemaReference(name, "dependency", 1)],
        resolve=lambda subject, version: referenced_text,
    )


def test_avro_named_type_from_a_reference_is_compared_field_by_field() -> None:
    user = json.dumps(record(field("home", "Address"), name="User"))
    address_v1 = json.dumps(record(field("street", "string"), name="Address"))
    address_v2 = json.dumps(
        record(field("street", "string"), field("zip", "string"), name="Address")
    )
    address_v3 = json.dumps(
        record(field("street", "string"), field("zip", "string", default=""), name="Address")
    )
    old = with_reference(SchemaType.AVRO, user, "Address", address_v1)
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in " ".join(
        check(with_reference(SchemaType.AVRO, user, "Address", address_v2), [old], BACKWARD)
    )
    assert (
        check(with_reference(SchemaType.AVRO, user, "Address", address_v3), [old], BACKWARD) == []
    )


def test_json_schema_ref_into_a_reference_is_followed() -> None:
    user = json.dumps({"type": "object", "properties": {"home": {"$ref": "address.json"}}})
    loose = json.dumps({"type": "object", "properties": {"zip": {"type": "string"}}})
    strict = json.dumps(
        {"type": "object", "properties": {"zip": {"type": "string", "maxLength": 5}}}
    )
    old = with_reference(SchemaType.JSON, user, "address.json", loose)
    new = with_reference(SchemaType.JSON, user, "address.json", strict)
    reasons = check(new, [old], BACKWARD)
    assert "MAX_LENGTH_ADDED" in reasons[0] and "#/properties/home/properties/zip" in reasons[0]
    assert check(old, [new], BACKWARD) == []


def test_json_schema_pointer_into_a_reference_is_followed() -> None:
    user = json.dumps({"$ref": "defs.json#/definitions/id"})
    old = with_reference(
        SchemaType.JSON, user, "defs.json", '{"definitions": {"id": {"type": "number"}}}'
    )
    new = with_reference(
        SchemaType.JSON, user, "defs.json", '{"definitions": {"id": {"type": "integer"}}}'
    )
    assert "TYPE_NARROWED" in check(new, [old], BACKWARD)[0]


def test_protobuf_fields_of_imported_types_are_compared_by_type_name() -> None:
    money = (
        'syntax = "proto3"; package common;'
        " message Money { int64 units = 1; } message Cents { int64 c = 1; }"
    )
    header = 'syntax = "proto3"; import "money.proto";'
    price_v1 = header + " message Price { common.Money amount = 1; }"
    price_v2 = header + " message Price { common.Cents amount = 1; }"
    old = with_reference(SchemaType.PROTOBUF, price_v1, "money.proto", money)
    new = with_reference(SchemaType.PROTOBUF, price_v2, "money.proto", money)
    assert "FIELD_NAMED_TYPE_CHANGED" in check(new, [old], BACKWARD)[0]
    assert check(old, [old], BACKWARD) == []


def test_a_chain_of_references_resolves_when_listed_dependencies_first() -> None:
    texts = {
        "currency": 'syntax = "proto3"; package money; enum Currency { EUR = 0; USD = 1; }',
        "money": (
            'syntax = "proto3"; package money; import "currency.proto";'
            " message Money { int64 units = 1; Currency currency = 2; }"
        ),
    }
    price = 'syntax = "proto3"; import "money.proto"; message Price { money.Money amount = 1; }'
    schema = parse_schema(
        SchemaType.PROTOBUF,
        price,
        references=[
            SchemaReference("currency.proto", "currency", 1),
            SchemaReference("money.proto", "money", 1),
        ],
        resolve=lambda subject, version: texts[subject],
    )
    assert schema.canonical_form().startswith('syntax = "proto3";')

    city = json.dumps(record(field("name", "string"), name="geo.City"))
    address = json.dumps(record(field("city", "geo.City"), name="geo.Address"))
    user = json.dumps(record(field("home", "geo.Address"), name="User"))
    avro_texts = {"city": city, "address": address}
    parse_schema(
        SchemaType.AVRO,
        user,
        references=[
            SchemaReference("geo.City", "city", 1),
            SchemaReference("geo.Address", "address", 1),
        ],
        resolve=lambda subject, version: avro_texts[subject],
    )
