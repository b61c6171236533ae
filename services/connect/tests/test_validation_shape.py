"""The validation answer has the shape of Kafka Connect's config/validate REST response."""

from __future__ import annotations

import json
from typing import cast

from kanal_connect.chain import validate_chain_config

CONFIG = {
    "transforms": "route,mask",
    "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
    "transforms.route.regex": "(.*)",
    "transforms.route.predicate": "onlyOrders",
    "transforms.mask.type": "MaskField$Value",
    "predicates": "onlyOrders",
    "predicates.onlyOrders.type": "TopicNameMatches",
    "predicates.onlyOrders.pattern": "orders.*",
}


def test_report_shape_and_error_count() -> None:
    body = validate_chain_config(CONFIG, "FileStreamSource").to_json()
    assert set(body) == {"name", "error_count", "groups", "configs"}
    assert body["name"] == "FileStreamSource"
    assert body["groups"] == [
        "Transforms",
        "Predicates",
        "Transforms: route",
        "Transforms: mask",
        "Predicates: onlyOrders",
    ]
    configs = {c["value"]["name"]: c for c in body["configs"]}  # type: ignore[attr-defined]
    errors = {name: c["value"]["errors"] for name, c in configs.items() if c["value"]["errors"]}
    assert errors == {
        "transforms.route.replacement": [
            'Missing required configuration "transforms.route.replacement" '
            "which has no default value."
        ],
        "transforms.mask.fields": [
            'Missing required configuration "transforms.mask.fields" which has no default value.'
        ],
    }
    assert body["error_count"] == 2
    json.dumps(body)  # serializable as it stands


def test_definition_and_value_entries() -> None:
    body = validate_chain_config(CONFIG).to_json()
    configs = {c["value"]["name"]: c for c in body["configs"]}  # type: ignore[attr-defined]
    type_entry = configs["transforms.route.type"]
    assert set(type_entry) == {"definition", "value"}
    assert type_entry["definition"] == {
        "name": "transforms.route.type",
        "type": "CLASS",
        "required": True,
        "default_value": None,
        "importance": "HIGH",
        "documentation": "Class for the 'route' transformation.",
        "group": "Transforms: route",
        "order": 0,
        "width": "LONG",
        "display_name": "Transformation type for route",
        "dependents": [],
    }
    value = type_entry["value"]
    assert value["value"] == "org.apache.kafka.connect.transforms.RegexRouter"
    assert "org.apache.kafka.connect.transforms.Cast$Value" in value["recommended_values"]
    assert value["errors"] == [] and value["visible"] is True
    negate = configs["transforms.route.negate"]["definition"]
    assert (negate["type"], negate["default_value"], negate["required"]) == (
        "BOOLEAN",
        "false",
        False,
    )
    transforms = configs["transforms"]
    assert transforms["value"]["value"] == "route,mask"
    assert transforms["definition"]["default_value"] == ""
    assert (transforms["definition"]["group"], transforms["definition"]["order"]) == (
        "Transforms",
        8,
    )
    mask_fields = configs["transforms.mask.fields"]
    assert mask_fields["definition"]["type"] == "LIST" and mask_fields["value"]["value"] is None


def test_valid_config_has_no_errors() -> None:
    config = dict(
        CONFIG, **{"transforms.route.replacement": "x-$1", "transforms.mask.fields": "ssn"}
    )
    report = validate_chain_config(config)
    assert report.error_count == 0 and report.field_errors() == {}


def test_embedded_keys_follow_kafkas_sorted_order() -> None:
    body = validate_chain_config(CONFIG).to_json()
    configs = cast(list[dict[str, dict[str, object]]], body["configs"])
    route = [
        (c["definition"]["name"], c["definition"]["order"])
        for c in configs
        if c["definition"]["group"] == "Transforms: route"
    ]
    assert route == [
        ("transforms.route.type", 0),
        ("transforms.route.regex", 1),
        ("transforms.route.replacement", 2),
        ("transforms.route.negate", 3),
        ("transforms.route.predicate", 4),
    ]


def test_embedded_validators_name_the_unprefixed_key() -> None:
    # Kafka calls an embedded key's validator with the key's own name.
    report = validate_chain_config(
        {"transforms": "m", "transforms.m.type": "MaskField$Value", "transforms.m.fields": ""}
    )
    assert report.field_errors() == {
        "transforms.m.fields": ["Invalid value [] for configuration fields: Empty list"]
    }
