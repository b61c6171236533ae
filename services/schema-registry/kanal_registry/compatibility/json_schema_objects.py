"""JSON Schema object rules: properties under open, partially open and closed content models.

A content model is *closed* when `additionalProperties` is false (a property not listed is
rejected), *open* when it is absent or true, *partially open* when it is a schema. Whether a
property added to or removed from `properties` is compatible depends on what the other side's
content model already allowed under that name (Confluent's PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL,
PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL and their partially open forms).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kanal_registry.compatibility.json_schema_keywords import Rules

Schema = dict[str, object]


class ObjectRules:
    def __init__(self, rules: Rules) -> None:
        self.rules = rules

    def check(self) -> None:
        self.rules.at_most("maxProperties", "MAX_PROPERTIES")
        self.rules.at_least("minProperties", "MIN_PROPERTIES")
        reader_props, writer_props = _properties(self.rules.r), _properties(self.rules.w)
        reader_required, writer_required = _required(self.rules.r), _required(self.rules.w)
        for name in sorted(reader_props.keys() | writer_props.keys()):
            where = f"{self.rules.path}/properties/{name}"
            if name in reader_props and name in writer_props:
                self.rules.sub(reader_props[name], writer_props[name], where)
            elif name in writer_props:
                self._property_removed(name, writer_props[name], where)
            else:
                self._property_added(
                    name, reader_props[name], where, required=name in reader_required
                )
        for name in sorted(reader_required - writer_required):
            # A property new to `properties` under a closed writer was judged just above.
            new_under_closed_writer = (
                name in reader_props
                and name not in writer_props
                and self._writer_additional(name) is False
            )
            if not new_under_closed_writer:
                self.rules.report(
                    "REQUIRED_ATTRIBUTE_ADDED",
                    f"property {name!r} is required by the {{reader}} schema only",
                )
        self._additional_properties()
        _dependencies_rule(self.rules)

    def _property_removed(self, name: str, written: object, where: str) -> None:
        readable = self._reader_additional(name)
        if readable is False:
            self.rules.report(
                "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
                "the {reader} schema's closed content model rejects this property",
                where,
            )
        elif not self.rules.accepts(readable, written):
            self.rules.report(
                "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
                "the {reader} schema's additional properties do not accept this property",
                where,
            )

    def _property_added(self, name: str, readable: object, where: str, *, required: bool) -> None:
        written = self._writer_additional(name)
        if written is False:
            has_default = isinstance(readable, dict) and "default" in readable
            if required and not has_default:
                self.rules.report(
                    "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
                    "a required property without default is new in the {reader} schema",
                    where,
                )
        elif not self.rules.accepts(readable, written):
            kind = (
                "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
                if written in (True, {})
                else "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            )
            self.rules.report(
                kind,
                "the {writer} schema's open content model may already write "
                "this property with other values",
                where,
            )

    def _additional_properties(self) -> None:
        readable, written = (
            self.rules.r.get("additionalProperties", True),
            self.rules.w.get("additionalProperties", True),
        )
        if written is False:
            return
        if readable is False:
            self.rules.report(
                "ADDITIONAL_PROPERTIES_REMOVED",
                "the {reader} schema closes the content model the {writer} schema left open",
            )
        elif not self.rules.accepts(readable, written):
            self.rules.report(
                "ADDITIONAL_PROPERTIES_NARROWED",
                "the {reader} schema's additionalProperties accept less than the {writer} schema's",
            )

    def _reader_additional(self, name: str) -> object:
        return _additional_for(self.rules.r, name)

    def _writer_additional(self, name: str) -> object:
        return _additional_for(self.rules.w, name)


def _dependencies_rule(rules: Rules) -> None:
    for keyword in ("dependentRequired", "dependencies"):
        reader_deps, writer_deps = rules.r.get(keyword), rules.w.get(keyword)
        if not isinstance(reader_deps, dict):
            continue
        writer_deps = writer_deps if isinstance(writer_deps, dict) else {}
        for name, needed in reader_deps.items():
            if needed != writer_deps.get(name):
                rules.report(
                    "DEPENDENCY_ADDED",
                    f"the {{reader}} schema adds or changes the {keyword} of {name!r}",
                )


def _additional_for(schema: Schema, name: str) -> object:
    """The schema a property not in `properties` is validated against."""
    patterns = schema.get("patternProperties")
    if isinstance(patterns, dict):
        for pattern, sub in patterns.items():
            try:
                if re.search(pattern, name):
                    return sub
            except re.error:
                continue
    return schema.get("additionalProperties", True)


def _properties(schema: Schema) -> dict[str, object]:
    props = schema.get("properties")
    return props if isinstance(props, dict) else {}


def _required(schema: Schema) -> set[str]:
    required = schema.get("required")
    return {r for r in required if isinstance(r, str)} if isinstance(required, list) else set()
