import json

import pytest
from kanal_registry.errors import InvalidSchema
from kanal_registry.schema_types import SchemaReference, SchemaType, parse_schema
from kanal_registry.schemas.json_schema import JsonSchema

from .helpers import json_schema


@pytest.mark.parametrize(
    "dialect",
    [
        "http://json-schema.org/draft-04/schema#",
        "http://json-schema.org/draft-07/schema#",
        "http://json-schema.org/draft-07/schema",
        "https://json-schema.org/draft/2019-09/schema",
        "https://json-schema.org/draft/2020-12/schema",
    ],
)
def test_known_dialects_are_accepted(dialect: str) -> None:
    json_schema({"$schema": dialect, "type": "string"})


def test_draft_07_is_the_default_and_2020_12_is_honoured() -> None:
    # `prefixItems` means nothing in draft-07, where an unknown keyword is allowed; a non-array
    # value is only invalid where the keyword exists, in 2020-12.
    json_schema({"prefixItems": 3})
    with pytest.raises(InvalidSchema, match=r"at \$\.prefixItems"):
        json_schema({"$schema": "https://json-schema.org/draft/2020-12/schema", "prefixItems": 3})


@pytest.mark.parametrize(
    ("document", "points_at"),
    [
        ({"type": "strnig"}, "$.type"),
        ({"properties": {"a": {"minLength": -1}}}, "$.properties.a.minLength"),
        ({"required": "a"}, "$.required"),
        ([1, 2], "not list"),
        ({"$ref": "#/definitions/missing"}, "points at nothing"),
        ({"$ref": "other.json"}, "names no reference"),
        ({"$schema": True}, "$.$schema: not a string"),
        ({"$schema": "http://example.com/my-draft"}, "unknown dialect"),
    ],
)
def test_invalid_json_schema_is_42201_and_says_where(document: object, points_at: str) -> None:
    with pytest.raises(InvalidSchema) as caught:
        json_schema(document)
    assert caught.value.error_code == 42201
    assert points_at in caught.value.message


def test_malformed_json_names_line_and_column() -> None:
    with pytest.raises(InvalidSchema, match="line 2 column 5"):
        parse_schema(SchemaType.JSON, '{"type":\n    }')


def test_references_are_found_by_name_and_validate_instances() -> None:
    address = {"type": "object", "properties": {"zip": {"type": "string"}}, "required": ["zip"]}
    user = {"type": "object", "properties": {"home": {"$ref": "address.json"}}}
    schema = parse_schema(
        SchemaType.JSON,
        json.dumps(user),
        references=[SchemaReference("address.json", "address", 1)],
        resolve=lambda subject, version: json.dumps(address),
    )
    assert isinstance(schema, JsonSchema)
    validator = schema.validator()
    assert validator.is_valid({"home": {"zip": "1000"}})
    assert not validator.is_valid({"home": {}})


def test_normal_form_ignores_key_order_and_layout() -> None:
    first = parse_schema(SchemaType.JSON, '{"type": "object", "required": ["a"]}')
    second = parse_schema(SchemaType.JSON, '{"required":["a"],\n "type":"object"}')
    assert first.normalize().text == second.normalize().text == first.canonical_form()


def test_boolean_schemas_are_valid() -> None:
    assert json_schema(True).canonical_form() == "true"
