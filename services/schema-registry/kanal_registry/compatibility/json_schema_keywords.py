"""Per-keyword JSON Schema rules: types, enums, numeric, string, array and object constraints.

Each rule asks whether the reader's constraint admits everything the writer's admits; a
constraint matters only for the instance types the writer can produce (a `maxLength` added to a
schema whose writer only writes integers changes nothing).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from kanal_registry.compatibility.json_schema_objects import ObjectRules, Schema

if TYPE_CHECKING:
    from kanal_registry.compatibility.json_schema import JsonComparison, _Node

ALL_TYPES = frozenset({"null", "boolean", "object", "array", "number", "integer", "string"})
# Validation keywords these rules do not model. A reader that adds or changes one may reject
# documents the writer allows, so any difference is reported rather than ignored (sound over
# complete). Annotations (title, description, default, examples, format, ...) never matter.
UNMODELLED_KEYWORDS = frozenset({
    "contains", "minContains", "maxContains", "propertyNames", "dependentSchemas",
    "if", "then", "else", "unevaluatedProperties", "unevaluatedItems", "patternProperties",
    "not",
})  # fmt: skip


def compare_keywords(
    comparison: JsonComparison, reader_node: _Node, writer_node: _Node, path: str
) -> None:
    reader, writer = reader_node.schema, writer_node.schema
    assert isinstance(reader, dict) and isinstance(writer, dict)
    rules = Rules(comparison, reader_node, writer_node, path)
    rules.types()
    rules.enums()
    written = instance_types(writer)
    if written & {"number", "integer"}:
        rules.numbers()
    if "string" in written:
        rules.strings()
    if "array" in written:
        rules.arrays()
    if "object" in written:
        ObjectRules(rules).check()
    for keyword in sorted(UNMODELLED_KEYWORDS & reader.keys()):
        if reader[keyword] != writer.get(keyword):
            comparison.report(
                f"{_snake(keyword).upper()}_CHANGED",
                path,
                f"the {{reader}} schema adds or changes `{keyword}`, which may reject "
                "documents the {writer} schema allows",
            )


def _snake(keyword: str) -> str:
    return "".join(f"_{c}" if c.isupper() else c for c in keyword).upper()


def instance_types(schema: Schema) -> frozenset[str]:
    """The instance types a schema admits (`integer` counted inside `number`)."""
    declared = schema.get("type")
    if isinstance(declared, str):
        declared = [declared]
    if not isinstance(declared, list):
        return ALL_TYPES
    kinds = frozenset(k for k in declared if isinstance(k, str))
    return kinds | {"integer"} if "number" in kinds else kinds


class Rules:
    def __init__(
        self, comparison: JsonComparison, reader_node: _Node, writer_node: _Node, path: str
    ) -> None:
        self.c = comparison
        self.reader_node, self.writer_node = reader_node, writer_node
        assert isinstance(reader_node.schema, dict) and isinstance(writer_node.schema, dict)
        self.r: Schema = reader_node.schema
        self.w: Schema = writer_node.schema
        self.path = path

    def report(self, error_type: str, description: str, path: str = "") -> None:
        self.c.report(error_type, path or self.path, description)

    def sub(self, reader: object, writer: object, path: str) -> None:
        from kanal_registry.compatibility.json_schema import _Node

        self.c.compare(
            _Node(reader, self.reader_node.root), _Node(writer, self.writer_node.root), path
        )

    def accepts(self, reader: object, writer: object) -> bool:
        return self.c.accepts(reader, writer, self.reader_node.root, self.writer_node.root)

    def types(self) -> None:
        readable, written = instance_types(self.r), instance_types(self.w)
        if not written <= readable:
            narrowed = readable < written
            self.report(
                "TYPE_NARROWED" if narrowed else "TYPE_CHANGED",
                f"the {{writer}} schema allows types {sorted(written - readable)} that "
                f"the {{reader}} schema does not",
            )

    def enums(self) -> None:
        allowed = self._allowed_values(self.r)
        if allowed is None:
            return
        written = self._allowed_values(self.w)
        if written is None or any(value not in allowed for value in written):
            extended = written is not None and all(v in written for v in allowed)
            self.report(
                "ENUM_ARRAY_NARROWED" if extended else "ENUM_ARRAY_CHANGED",
                "the {reader} schema's enum or const does not allow every value "
                "the {writer} schema allows",
            )

    @staticmethod
    def _allowed_values(schema: Schema) -> list[object] | None:
        if "const" in schema:
            return [schema["const"]]
        enum = schema.get("enum")
        return enum if isinstance(enum, list) else None

    def numbers(self) -> None:
        upper_r, upper_r_exclusive = _bound(self.r, "maximum", "exclusiveMaximum")
        upper_w, upper_w_exclusive = _bound(self.w, "maximum", "exclusiveMaximum")
        if upper_r is not None and not _within(
            upper_w, upper_w_exclusive, upper_r, upper_r_exclusive, upper=True
        ):
            self.report(
                "MAXIMUM_ADDED" if upper_w is None else "MAXIMUM_DECREASED",
                f"the {{reader}} schema's maximum {upper_r} is below what "
                f"the {{writer}} schema allows",
            )
        lower_r, lower_r_exclusive = _bound(self.r, "minimum", "exclusiveMinimum")
        lower_w, lower_w_exclusive = _bound(self.w, "minimum", "exclusiveMinimum")
        if lower_r is not None and not _within(
            lower_w, lower_w_exclusive, lower_r, lower_r_exclusive, upper=False
        ):
            self.report(
                "MINIMUM_ADDED" if lower_w is None else "MINIMUM_INCREASED",
                f"the {{reader}} schema's minimum {lower_r} is above what "
                f"the {{writer}} schema allows",
            )
        step_r, step_w = _decimal(self.r.get("multipleOf")), _decimal(self.w.get("multipleOf"))
        if step_r is not None and (step_w is None or step_w % step_r != 0):
            self.report(
                "MULTIPLE_OF_ADDED" if step_w is None else "MULTIPLE_OF_CHANGED",
                "the {writer} schema allows numbers that are not a multiple of the "
                "{reader} schema's multipleOf",
            )

    def strings(self) -> None:
        self.at_most("maxLength", "MAX_LENGTH")
        self.at_least("minLength", "MIN_LENGTH")
        if "pattern" in self.r and self.r["pattern"] != self.w.get("pattern"):
            self.report(
                "PATTERN_ADDED" if "pattern" not in self.w else "PATTERN_CHANGED",
                "the {reader} schema's pattern differs from the {writer} schema's",
            )

    def arrays(self) -> None:
        self.at_most("maxItems", "MAX_ITEMS")
        self.at_least("minItems", "MIN_ITEMS")
        if self.r.get("uniqueItems") is True and self.w.get("uniqueItems") is not True:
            self.report(
                "UNIQUE_ITEMS_ADDED",
                "the {reader} schema requires unique items; the {writer} schema does not",
            )
        reader_prefix, reader_rest = _item_schemas(self.r)
        writer_prefix, writer_rest = _item_schemas(self.w)
        for index in range(max(len(reader_prefix), len(writer_prefix))):
            reader_item = reader_prefix[index] if index < len(reader_prefix) else reader_rest
            writer_item = writer_prefix[index] if index < len(writer_prefix) else writer_rest
            self.sub(reader_item, writer_item, f"{self.path}/items/{index}")
        self.sub(reader_rest, writer_rest, f"{self.path}/items")

    def at_most(self, keyword: str, name: str) -> None:
        limit_r, limit_w = _number(self.r.get(keyword)), _number(self.w.get(keyword))
        if limit_r is not None and (limit_w is None or limit_w > limit_r):
            suffix = "ADDED" if limit_w is None else "DECREASED"
            self.report(
                f"{name}_{suffix}",
                f"the {{reader}} schema's {keyword} {limit_r} is tighter "
                f"than the {{writer}} schema's",
            )

    def at_least(self, keyword: str, name: str) -> None:
        limit_r, limit_w = _number(self.r.get(keyword)), _number(self.w.get(keyword))
        if limit_r is not None and limit_r > 0 and (limit_w is None or limit_w < limit_r):
            suffix = "ADDED" if limit_w is None else "INCREASED"
            self.report(
                f"{name}_{suffix}",
                f"the {{reader}} schema's {keyword} {limit_r} is tighter "
                f"than the {{writer}} schema's",
            )


def _item_schemas(schema: Schema) -> tuple[list[object], object]:
    """Positional item schemas and the schema of every further item (draft-07 and 2020-12)."""
    items, prefix = schema.get("items", True), schema.get("prefixItems")
    if isinstance(prefix, list):
        return prefix, items
    if isinstance(items, list):
        return items, schema.get("additionalItems", True)
    return [], items


def _number(value: object) -> Decimal | None:
    return None if isinstance(value, bool) else _decimal(value)


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _bound(schema: Schema, inclusive_key: str, exclusive_key: str) -> tuple[Decimal | None, bool]:
    """The tightest bound, and whether it is exclusive (draft-04 booleans and draft-06+ numbers)."""
    inclusive, exclusive = _number(schema.get(inclusive_key)), schema.get(exclusive_key)
    if exclusive is True:
        return inclusive, True
    exclusive_value = _number(exclusive)
    if exclusive_value is None:
        return inclusive, False
    if inclusive is None:
        return exclusive_value, True
    upper = inclusive_key == "maximum"
    tighter = exclusive_value <= inclusive if upper else exclusive_value >= inclusive
    return (exclusive_value, True) if tighter else (inclusive, False)


def _within(
    value: Decimal | None, exclusive: bool, limit: Decimal, limit_exclusive: bool, *, upper: bool
) -> bool:
    """Whether a writer bound (`value`) keeps numbers inside the reader's `limit`."""
    if value is None:
        return False
    if value == limit:
        return exclusive or not limit_exclusive
    return value < limit if upper else value > limit
