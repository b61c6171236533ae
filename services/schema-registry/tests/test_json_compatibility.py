"""JSON Schema compatibility tables: new = reader for BACKWARD, old = reader for FORWARD."""

import pytest
from kanal_registry.compatibility import CompatibilityLevel, check

from .helpers import json_schema

BACKWARD, FORWARD = CompatibilityLevel.BACKWARD, CompatibilityLevel.FORWARD


def obj(
    props: dict[str, object],
    *,
    required: tuple[str, ...] = (),
    closed: bool | None = None,
    **extra: object,
) -> dict[str, object]:
    schema: dict[str, object] = {"type": "object", "properties": props, **extra}
    if required:
        schema["required"] = list(required)
    if closed is not None:
        schema["additionalProperties"] = not closed
    return schema


STRING, INTEGER, NUMBER = {"type": "string"}, {"type": "integer"}, {"type": "number"}

# (old, new, backward compatible?, forward compatible?, error type of the failing direction)
CASES = {
    "integer widened to number": (INTEGER, NUMBER, True, False, "TYPE_NARROWED"),
    "string to integer": (STRING, INTEGER, False, False, "TYPE_CHANGED"),
    "type list extended": (
        {"type": ["string"]},
        {"type": ["string", "null"]},
        True,
        False,
        "TYPE_NARROWED",
    ),
    "maxLength decreased": (
        {**STRING, "maxLength": 10},
        {**STRING, "maxLength": 5},
        False,
        True,
        "MAX_LENGTH_DECREASED",
    ),
    "maxLength added": (STRING, {**STRING, "maxLength": 5}, False, True, "MAX_LENGTH_ADDED"),
    "minLength increased": (
        {**STRING, "minLength": 1},
        {**STRING, "minLength": 2},
        False,
        True,
        "MIN_LENGTH_INCREASED",
    ),
    "pattern added": (STRING, {**STRING, "pattern": "^a"}, False, True, "PATTERN_ADDED"),
    "pattern changed": (
        {**STRING, "pattern": "^a"},
        {**STRING, "pattern": "^b"},
        False,
        False,
        "PATTERN_CHANGED",
    ),
    "maximum decreased": (
        {**NUMBER, "maximum": 10},
        {**NUMBER, "maximum": 5},
        False,
        True,
        "MAXIMUM_DECREASED",
    ),
    "minimum added": (NUMBER, {**NUMBER, "minimum": 0}, False, True, "MINIMUM_ADDED"),
    "exclusiveMaximum at the same value": (
        {**NUMBER, "maximum": 10},
        {**NUMBER, "exclusiveMaximum": 10},
        False,
        True,
        "MAXIMUM_DECREASED",
    ),
    "exclusiveMinimum relaxed to minimum": (
        {**NUMBER, "exclusiveMinimum": 0},
        {**NUMBER, "minimum": 0},
        True,
        False,
        "MINIMUM_INCREASED",
    ),
    "multipleOf made coarser": (
        {**NUMBER, "multipleOf": 2},
        {**NUMBER, "multipleOf": 4},
        False,
        True,
        "MULTIPLE_OF_CHANGED",
    ),
    "enum extended": ({"enum": ["a"]}, {"enum": ["a", "b"]}, True, False, "ENUM_ARRAY_NARROWED"),
    "enum changed": ({"enum": ["a"]}, {"enum": ["b"]}, False, False, "ENUM_ARRAY_CHANGED"),
    "array maxItems added": (
        {"type": "array", "items": STRING},
        {"type": "array", "items": STRING, "maxItems": 3},
        False,
        True,
        "MAX_ITEMS_ADDED",
    ),
    "array minItems increased": (
        {"type": "array", "minItems": 1},
        {"type": "array", "minItems": 2},
        False,
        True,
        "MIN_ITEMS_INCREASED",
    ),
    "array uniqueItems added": (
        {"type": "array"},
        {"type": "array", "uniqueItems": True},
        False,
        True,
        "UNIQUE_ITEMS_ADDED",
    ),
    "array items widened": (
        {"type": "array", "items": INTEGER},
        {"type": "array", "items": NUMBER},
        True,
        False,
        "TYPE_NARROWED",
    ),
    "optional property added to closed model": (
        obj({"a": STRING}, closed=True),
        obj({"a": STRING, "b": INTEGER}, closed=True),
        True,
        False,
        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    ),
    "required property added to closed model": (
        obj({"a": STRING}, closed=True),
        obj({"a": STRING, "b": INTEGER}, required=("b",), closed=True),
        False,
        False,
        "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    ),
    "required property with default added to closed model": (
        obj({"a": STRING}, closed=True),
        obj({"a": STRING, "b": {**INTEGER, "default": 0}}, required=("b",), closed=True),
        True,
        False,
        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    ),
    "typed property added to open model": (
        obj({"a": STRING}),
        obj({"a": STRING, "b": INTEGER}),
        False,
        True,
        "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    ),
    "property covered by partially open model": (
        obj({}, additionalProperties=STRING),
        obj({"b": STRING}, additionalProperties=STRING),
        True,
        True,
        "",
    ),
    "property not covered by partially open model": (
        obj({}, additionalProperties=STRING),
        obj({"b": INTEGER}, additionalProperties=STRING),
        False,
        False,
        "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    ),
    "existing property made required": (
        obj({"a": STRING}),
        obj({"a": STRING}, required=("a",)),
        False,
        True,
        "REQUIRED_ATTRIBUTE_ADDED",
    ),
    "model closed": (
        obj({"a": STRING}),
        obj({"a": STRING}, closed=True),
        False,
        True,
        "ADDITIONAL_PROPERTIES_REMOVED",
    ),
    "nested property narrowed": (
        obj({"a": obj({"x": NUMBER})}),
        obj({"a": obj({"x": INTEGER})}),
        False,
        True,
        "TYPE_NARROWED",
    ),
    "anyOf branch added": (
        {"anyOf": [STRING, INTEGER]},
        {"anyOf": [STRING, INTEGER, {"type": "null"}]},
        True,
        False,
        "SUM_TYPE_NARROWED",
    ),
    "oneOf branch added": (
        {"oneOf": [STRING]},
        {"oneOf": [STRING, INTEGER]},
        True,
        False,
        "TYPE_CHANGED",
    ),
    "anyOf made oneOf": (
        {"anyOf": [NUMBER, INTEGER]},
        {"oneOf": [NUMBER, INTEGER]},
        False,
        True,
        "COMBINED_TYPE_CHANGED",
    ),
    "allOf branch added": (
        {"allOf": [obj({"a": STRING})]},
        {"allOf": [obj({"a": STRING}), {"required": ["a"]}]},
        False,
        True,
        "REQUIRED_ATTRIBUTE_ADDED",
    ),
    "plain type becomes a branch of anyOf": (
        STRING,
        {"anyOf": [STRING, INTEGER]},
        True,
        False,
        "TYPE_CHANGED",
    ),
    "local $ref target narrowed": (
        {"definitions": {"x": NUMBER}, "$ref": "#/definitions/x"},
        {"definitions": {"x": INTEGER}, "$ref": "#/definitions/x"},
        False,
        True,
        "TYPE_NARROWED",
    ),
    "recursive $ref unchanged": (
        {
            "definitions": {"n": obj({"next": {"$ref": "#/definitions/n"}})},
            "$ref": "#/definitions/n",
        },
        {
            "definitions": {"n": obj({"next": {"$ref": "#/definitions/n"}})},
            "$ref": "#/definitions/n",
        },
        True,
        True,
        "",
    ),
    "schema made false": (STRING, False, False, True, "TYPE_NARROWED"),
}


@pytest.mark.parametrize(
    ("old", "new", "backward", "forward", "error_type"), CASES.values(), ids=CASES.keys()
)
def test_compatibility_table(
    old: object, new: object, backward: bool, forward: bool, error_type: str
) -> None:
    old_schema, new_schema = json_schema(old), json_schema(new)
    backward_reasons = check(new_schema, [old_schema], BACKWARD)
    forward_reasons = check(new_schema, [old_schema], FORWARD)
    assert (backward_reasons == []) is backward, backward_reasons
    assert (forward_reasons == []) is forward, forward_reasons
    if error_type:
        assert error_type in " ".join(backward_reasons or forward_reasons)


def test_a_reason_carries_the_path_of_the_change() -> None:
    old = json_schema(obj({"a": obj({"x": STRING})}))
    new = json_schema(obj({"a": obj({"x": {**STRING, "maxLength": 2}})}))
    (first, *_) = check(new, [old], BACKWARD)
    assert "#/properties/a/properties/x" in first and "MAX_LENGTH_ADDED" in first


@pytest.mark.parametrize(
    "keyword_and_value",
    [
        ("contains", {"type": "integer"}),
        ("propertyNames", {"maxLength": 2}),
        ("if", {"required": ["a"]}),
        ("patternProperties", {"^a": {"type": "integer"}}),
        ("not", {"type": "null"}),
    ],
)
def test_a_constraint_the_rules_do_not_model_is_reported_when_the_reader_adds_it(
    keyword_and_value: tuple[str, object],
) -> None:
    keyword, value = keyword_and_value
    old = json_schema({"type": ["object", "array"]})
    new = json_schema({"type": ["object", "array"], keyword: value})
    reasons = check(new, [old], BACKWARD)
    assert reasons and f"`{keyword}`" in reasons[0]
    assert check(old, [new], BACKWARD) == []


def test_a_combinatorial_explosion_is_cut_short_and_reported() -> None:
    # Each level nests the previous schema twice inside an anyOf: comparing branch against
    # branch grows exponentially, so the checker stops at its comparison budget.
    def nested(depth: int, bound: int) -> object:
        schema: object = STRING
        for level in range(depth):
            inner = {"type": "object", "properties": {"a": schema}}
            schema = {"anyOf": [schema, {**INTEGER, "maximum": level + bound}, inner]}
        return schema

    reasons = check(json_schema(nested(7, 1)), [json_schema(nested(7, 0))], BACKWARD)
    assert any("TOO_COMPLEX" in r for r in reasons)
    assert check(json_schema(nested(7, 0)), [json_schema(nested(7, 0))], BACKWARD) == []
