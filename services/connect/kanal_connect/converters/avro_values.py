"""Connect values <-> the Python values fastavro writes and reads, compiled once per schema
into a tree of small functions (the per-record path walks no schema).

fastavro is given schemas without "logicalType" (see avro_converter), so logical values cross
as their underlying Avro values; the conversions here apply Connect's logical types. Union
branches are written in fastavro's tuple notation, `(branch name, value)`, so the branch is the
one the schema says rather than the first one a value happens to fit; reading asks fastavro for
the same tuples for named types (`return_named_type`), and matches other values by their type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kanal_connect.converters.avro_data import AVRO_PRIMITIVES, AvroNode, Named
from kanal_connect.converters.avro_defaults import UNION_NAME
from kanal_connect.converters.avro_to_connect import resolve, union_member_name
from kanal_connect.data import logical
from kanal_connect.data.schema import Schema, SchemaType
from kanal_connect.data.structs import Struct
from kanal_connect.data.validation import INT_RANGES
from kanal_connect.errors import DataException

Convert = Callable[[Any], Any]

_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "boolean": (bool,), "int": (int,), "long": (int,), "float": (float,), "double": (float,),
    "string": (str,), "bytes": (bytes,), "fixed": (bytes,), "enum": (str,),
    "array": (list,), "map": (dict,), "record": (dict,),
}  # fmt: skip


def _same(value: Any) -> Any:
    return value


def branch_name(node: AvroNode) -> str:
    """The name fastavro's tuple notation uses for a union branch."""
    if isinstance(node, dict):
        if node.get("type") in ("record", "enum", "fixed"):
            return str(node["name"])
        return branch_name(node["type"])
    return str(node)


def _avro_type(node: AvroNode, named: Named) -> str:
    node = resolve(node, named)
    if isinstance(node, dict):
        return _avro_type(node["type"], named) if not isinstance(node["type"], str) else (
            node["type"])
    return str(node) if node in AVRO_PRIMITIVES else "union"


def _in_range(kind: SchemaType) -> Convert:
    low, high = INT_RANGES[kind]

    def checked(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise DataException(f"Value {value!r} out of range for {kind.name}")
        return value

    return checked


# ---- Connect -> fastavro -------------------------------------------------------------------


def to_avro(schema: Schema, node: AvroNode, named: Named) -> Convert:
    """A function from a Connect value of `schema` to the value fastavro writes for `node`."""
    node = resolve(node, named)
    if isinstance(node, list):
        return _union_to_avro(schema, node, named)
    if isinstance(node, dict) and not isinstance(node["type"], str):
        return to_avro(schema, node["type"], named)
    name, kind = schema.name, schema.type
    if name == logical.DECIMAL_NAME:
        return lambda value: logical.decimal_to_bytes(schema, value)
    if name == logical.DATE_NAME:
        return logical.date_to_days
    if name == logical.TIME_NAME:
        return logical.time_to_millis
    if name == logical.TIMESTAMP_NAME:
        return logical.timestamp_to_millis
    if kind is SchemaType.BYTES:
        return bytes
    if kind in (SchemaType.INT8, SchemaType.INT16, SchemaType.INT32):
        return _in_range(kind)  # fastavro would write any int as an Avro int
    if kind is SchemaType.ARRAY:
        assert schema.value_schema is not None
        item = to_avro(schema.value_schema, node["items"], named)
        return lambda value: [item(v) for v in value]
    if kind is SchemaType.MAP:
        return _map_to_avro(schema, node, named)
    if kind is SchemaType.STRUCT:
        return _struct_to_avro(schema, node, named)
    return _same


def _union_to_avro(schema: Schema, node: list[AvroNode], named: Named) -> Convert:
    branches = [branch for branch in node if branch != "null"]
    if schema.type is SchemaType.STRUCT and schema.name == UNION_NAME:
        by_member = {union_member_name(resolve(b, named)): b for b in branches}
        members = []
        for connect_field in schema.fields:
            branch = by_member.get(connect_field.name)
            if branch is None:
                raise DataException(f"No Avro union branch for {connect_field.name}")
            member = to_avro(connect_field.schema, branch, named)
            members.append((connect_field.name, branch_name(resolve(branch, named)), member))

        def union(value: Any) -> Any:
            if value is None:
                return None
            for member_name, tag, member_to_avro in members:
                item = value.get(member_name)
                if item is not None:
                    return (tag, member_to_avro(item))
            return None

        return union
    if len(branches) != 1:
        raise DataException(f"Cannot write {schema} as the Avro union {node}")
    tag = branch_name(resolve(branches[0], named))
    inner = to_avro(schema, branches[0], named)
    return lambda value: None if value is None else (tag, inner(value))


def _map_to_avro(schema: Schema, node: dict[str, Any], named: Named) -> Convert:
    assert schema.key_schema is not None and schema.value_schema is not None
    if node["type"] == "map":
        item = to_avro(schema.value_schema, node["values"], named)
        return lambda value: {k: item(v) for k, v in value.items()}
    entry = resolve(node["items"], named)
    by_name = {f["name"]: f["type"] for f in entry["fields"]}
    key = to_avro(schema.key_schema, by_name["key"], named)
    item = to_avro(schema.value_schema, by_name["value"], named)
    return lambda value: [{"key": key(k), "value": item(v)} for k, v in value.items()]


def _struct_to_avro(schema: Schema, node: dict[str, Any], named: Named) -> Convert:
    by_name = {f.name: f for f in schema.fields}
    fields: list[tuple[str, Convert]] = []
    for avro_field in node["fields"]:
        connect_field = by_name.get(avro_field["name"])
        if connect_field is None:
            raise DataException(f"Connect schema has no field {avro_field['name']}")
        convert = to_avro(connect_field.schema, avro_field["type"], named)
        fields.append((connect_field.name, convert))

    def record(value: Any) -> Any:
        if not isinstance(value, Struct):
            raise DataException(f"Expected a Struct, got {type(value).__name__}")
        # get() gives a null field its schema default, as Confluent's AvroData writes it.
        return {name: convert(value.get(name)) for name, convert in fields}

    return record


# ---- fastavro -> Connect -------------------------------------------------------------------


def to_connect(schema: Schema, node: AvroNode, named: Named) -> Convert:
    """A function from the value fastavro read for `node` to the Connect value of `schema`."""
    node = resolve(node, named)
    if isinstance(node, list):
        return _union_to_connect(schema, node, named)
    if isinstance(node, dict) and not isinstance(node["type"], str):
        return to_connect(schema, node["type"], named)
    name, kind = schema.name, schema.type
    if name == logical.DECIMAL_NAME:
        return lambda value: logical.decimal_from_bytes(schema, value)
    if name == logical.DATE_NAME:
        return logical.date_from_days
    if name == logical.TIME_NAME:
        return logical.time_from_millis
    if name == logical.TIMESTAMP_NAME:
        return logical.timestamp_from_millis
    if kind in (SchemaType.INT8, SchemaType.INT16):
        return _in_range(kind)
    if kind is SchemaType.ARRAY:
        assert schema.value_schema is not None
        item = to_connect(schema.value_schema, node["items"], named)
        return lambda value: [item(v) for v in value]
    if kind is SchemaType.MAP:
        return _map_to_connect(schema, node, named)
    if kind is SchemaType.STRUCT:
        return _struct_to_connect(schema, node, named)
    return _same


def _union_to_connect(schema: Schema, node: list[AvroNode], named: Named) -> Convert:
    branches = [branch for branch in node if branch != "null"]
    if not (schema.type is SchemaType.STRUCT and schema.name == UNION_NAME):
        inner = to_connect(schema, branches[0], named)

        def optional(value: Any) -> Any:
            if isinstance(value, tuple):  # a named type, tagged by fastavro
                value = value[1]
            return None if value is None else inner(value)

        return optional
    members = []
    for connect_field in schema.fields:
        branch = next(b for b in branches
                      if union_member_name(resolve(b, named)) == connect_field.name)
        members.append((branch_name(resolve(branch, named)), _avro_type(branch, named),
                        to_connect(connect_field.schema, branch, named)))

    def union(value: Any) -> Any:
        if value is None:
            return None
        tag = value[0] if isinstance(value, tuple) else None
        item = value[1] if isinstance(value, tuple) else value
        for index, (member_tag, avro_type, member_to_connect) in enumerate(members):
            if tag == member_tag or (tag is None and _fits(item, avro_type)):
                values: list[object] = [None] * len(members)
                values[index] = member_to_connect(item)
                return Struct.trusted(schema, values)
        raise DataException(f"Did not find matching union field for data: {item!r}")

    return union


def _fits(value: Any, avro_type: str) -> bool:
    types = _PYTHON_TYPES.get(avro_type, ())
    return isinstance(value, types) and not (isinstance(value, bool) and bool not in types)


def _map_to_connect(schema: Schema, node: dict[str, Any], named: Named) -> Convert:
    assert schema.key_schema is not None and schema.value_schema is not None
    if node["type"] == "map":
        item = to_connect(schema.value_schema, node["values"], named)
        return lambda value: {k: item(v) for k, v in value.items()}
    entry = resolve(node["items"], named)
    by_name = {f["name"]: f["type"] for f in entry["fields"]}
    key = to_connect(schema.key_schema, by_name["key"], named)
    item = to_connect(schema.value_schema, by_name["value"], named)

    def entries(value: Any) -> Any:
        pairs = ((key(e["key"]), item(e["value"])) for e in value)
        return {(tuple(k) if isinstance(k, list) else k): v for k, v in pairs}

    return entries


def _struct_to_connect(schema: Schema, node: dict[str, Any], named: Named) -> Convert:
    types = {f["name"]: f["type"] for f in node["fields"]}
    fields = [(f.name, to_connect(f.schema, types[f.name], named)) for f in schema.fields]

    def record(value: Any) -> Any:
        return Struct.trusted(schema, [convert(value[name]) for name, convert in fields])

    return record
