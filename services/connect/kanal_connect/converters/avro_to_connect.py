"""Avro schema -> Connect schema: the reverse of avro_data's mapping (see its docstring), for
schemas read from the registry, whoever wrote them. Works on fastavro's parsed form, where every
name is a full name and a named type used again is its name (resolved through `named`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kanal_connect.converters.avro_data import (
    AVRO_PRIMITIVES,
    DEFAULT_NAMES,
    DEFAULT_PRECISION,
    ENUM_PARAMETER,
    FIELD_DEFAULT_FLAG,
    FIELD_DOC_PREFIX,
    INTERNAL_TYPE,
    MAP_ENTRY,
    NAMESPACE,
    PRECISION_PARAMETER,
    RECORD_DOC_PARAMETER,
    AvroNode,
)
from kanal_connect.converters.avro_defaults import UNION_NAME, default_from_avro
from kanal_connect.data import logical
from kanal_connect.data.schema import STRING, Field, Schema, SchemaType
from kanal_connect.errors import DataException

_SIMPLE = {
    "boolean": SchemaType.BOOLEAN, "int": SchemaType.INT32, "long": SchemaType.INT64,
    "float": SchemaType.FLOAT32, "double": SchemaType.FLOAT64, "string": SchemaType.STRING,
    "bytes": SchemaType.BYTES, "fixed": SchemaType.BYTES, "enum": SchemaType.STRING,
}  # fmt: skip
_INT_TYPES = {"int8": SchemaType.INT8, "int16": SchemaType.INT16}
_LOGICAL_NAMES = {
    ("int", "date"): logical.DATE_NAME,
    ("int", "time-millis"): logical.TIME_NAME,
    ("long", "timestamp-millis"): logical.TIMESTAMP_NAME,
}


@dataclass
class _ToConnect:
    named: Mapping[str, AvroNode]
    metadata: bool
    in_progress: set[str] = field(default_factory=set)


def to_connect_schema(
    node: AvroNode, named: Mapping[str, AvroNode], *, metadata: bool = True
) -> Schema:
    """The Connect schema of a parsed Avro schema; DataException when it has none."""
    return _to_connect(node, _ToConnect(named, metadata), optional=False, field_default=None)


def resolve(node: AvroNode, named: Mapping[str, AvroNode]) -> AvroNode:
    """A named type's definition for its name; anything else as it is."""
    if isinstance(node, str) and node not in AVRO_PRIMITIVES:
        try:
            return named[node]
        except KeyError:
            raise DataException(f"Avro schema names an undefined type {node}") from None
    return node


def union_member_name(node: AvroNode) -> str:
    """The field of an io.confluent.connect.avro.Union struct that holds this branch."""
    if isinstance(node, dict):
        if node.get("type") in ("record", "enum", "fixed"):
            return str(node["name"]).rsplit(".", 1)[-1]
        return union_member_name(node["type"])
    return str(node)


def _to_connect(
    node: AvroNode, ctx: _ToConnect, *, optional: bool, field_default: object
) -> Schema:
    node = resolve(node, ctx.named)
    if isinstance(node, list):
        return _union(node, ctx, optional=optional)
    if isinstance(node, str):
        node = {"type": node}
    avro_type = node["type"]
    if isinstance(avro_type, list | dict):  # {"type": {...}}: the inner schema
        return _to_connect(avro_type, ctx, optional=optional, field_default=field_default)
    name = node.get("connect.name")
    if name is None and avro_type in ("record", "enum"):
        name = node["name"]
    parameters: dict[str, str] = {}
    kind, fields, keys, values, version = _shape(node, avro_type, ctx, parameters)
    logical_name = _logical(node, avro_type, parameters)
    if logical_name is not None:
        name, version = name or logical_name, 1
    if ctx.metadata:
        parameters.update(_connect_parameters(node))
    connect_version = node.get("connect.version")
    if connect_version is not None:
        if isinstance(connect_version, bool) or not isinstance(connect_version, int):
            raise DataException(f"Invalid Connect version found: {connect_version}")
        version = connect_version
    connect_default = node.get("connect.default")
    if field_default is not None and connect_default is None:
        parameters[FIELD_DEFAULT_FLAG] = "true"
    default_json = field_default if field_default is not None else connect_default
    if isinstance(name, str) and DEFAULT_NAMES.fullmatch(name):
        name = None
    doc = node.get("connect.doc") if ctx.metadata else None
    schema = Schema(
        kind, optional=optional, name=name, version=version,
        doc=doc if isinstance(doc, str) else None, parameters=parameters or None,
        fields=fields, key_schema=keys, value_schema=values,
    )
    if default_json is None:
        return schema
    return Schema(
        kind, optional=optional, default=default_from_avro(schema, default_json), name=name,
        version=version, doc=schema.doc, parameters=schema.parameters, fields=fields,
        key_schema=keys, value_schema=values,
    )


def _union(node: list[AvroNode], ctx: _ToConnect, *, optional: bool) -> Schema:
    branches = [branch for branch in node if branch != "null"]
    if len(node) == 2 and len(branches) == 1:
        return _to_connect(branches[0], ctx, optional=True, field_default=None)
    fields: list[Field] = []
    for branch in branches:
        member = union_member_name(resolve(branch, ctx.named))
        if any(f.name == member for f in fields):
            raise DataException("Multiple union schemas map to the Connect union field name")
        member_schema = _to_connect(branch, ctx, optional=True, field_default=None)
        fields.append(Field(member, len(fields), member_schema))
    return Schema(SchemaType.STRUCT, optional=optional or len(branches) < len(node),
                  name=UNION_NAME, fields=tuple(fields))


def _shape(
    node: dict[str, Any], avro_type: str, ctx: _ToConnect, parameters: dict[str, str]
) -> tuple[SchemaType, tuple[Field, ...], Schema | None, Schema | None, int | None]:
    """(type, fields, key schema, value schema, version) of a non-union node."""
    if avro_type == "record":
        return SchemaType.STRUCT, _fields(node, ctx, parameters), None, None, None
    if avro_type == "array":
        items = resolve(node["items"], ctx.named)
        if _is_map_entry(items):
            by_name = {f["name"]: f["type"] for f in items["fields"]}
            keys = _to_connect(by_name["key"], ctx, optional=False, field_default=None)
            values = _to_connect(by_name["value"], ctx, optional=False, field_default=None)
            return SchemaType.MAP, (), keys, values, None
        return SchemaType.ARRAY, (), None, _nested(items, ctx), None
    if avro_type == "map":
        return SchemaType.MAP, (), STRING, _nested(node["values"], ctx), None
    if avro_type == "int" and "connect.type" in node and "logicalType" not in node:
        kind = _INT_TYPES.get(node["connect.type"])
        if kind is None:
            raise DataException(f"Unknown Connect type annotation {node['connect.type']}")
        return kind, (), None, None, None
    if avro_type == "enum":
        parameters[ENUM_PARAMETER] = str(node["name"])
        for symbol in node.get("symbols", ()):
            parameters[f"{ENUM_PARAMETER}.{symbol}"] = str(symbol)
    kind = _SIMPLE.get(avro_type)
    if kind is None:
        raise DataException(f"Couldn't translate unsupported schema type {avro_type}.")
    return kind, (), None, None, None


def _nested(node: AvroNode, ctx: _ToConnect) -> Schema:
    return _to_connect(node, ctx, optional=False, field_default=None)


def _fields(node: dict[str, Any], ctx: _ToConnect, parameters: dict[str, str]) -> tuple[Field, ...]:
    name = str(node["name"])
    if name in ctx.in_progress:
        raise DataException(f"Recursive Avro record {name} has no Connect schema")
    ctx.in_progress.add(name)
    if ctx.metadata and isinstance(node.get("doc"), str):
        parameters[RECORD_DOC_PARAMETER] = node["doc"]
    fields = []
    for index, avro_field in enumerate(node["fields"]):
        if ctx.metadata and isinstance(avro_field.get("doc"), str):
            parameters[FIELD_DOC_PREFIX + avro_field["name"]] = avro_field["doc"]
        field_schema = _to_connect(
            avro_field["type"], ctx, optional=False, field_default=avro_field.get("default"))
        fields.append(Field(str(avro_field["name"]), index, field_schema))
    ctx.in_progress.discard(name)
    return tuple(fields)


def _is_map_entry(node: AvroNode) -> bool:
    if not isinstance(node, dict) or node.get("type") != "record":
        return False
    named_entry = node.get("name") == f"{NAMESPACE}.{MAP_ENTRY}"
    if not (named_entry or node.get(INTERNAL_TYPE) == MAP_ENTRY):
        return False
    if sorted(f["name"] for f in node["fields"]) != ["key", "value"]:
        raise DataException(
            "Found map encoded as array of key-value pairs, but array elements do not match "
            "the expected format.")
    return True


def _logical(node: dict[str, Any], avro_type: str, parameters: dict[str, str]) -> str | None:
    """The Connect logical type name of a node (adding the Decimal parameters), or None."""
    logical_type = node.get("logicalType")
    if logical_type == "decimal" and avro_type in ("bytes", "fixed"):
        scale, precision = node.get("scale", 0), node.get("precision", DEFAULT_PRECISION)
        if not isinstance(scale, int) or not isinstance(precision, int):
            raise DataException("Decimal scale and precision must be JSON integers")
        parameters[logical.SCALE_PARAMETER] = str(scale)
        if precision != DEFAULT_PRECISION:
            parameters[PRECISION_PARAMETER] = str(precision)
        return logical.DECIMAL_NAME
    return _LOGICAL_NAMES.get((avro_type, str(logical_type)))


def _connect_parameters(node: dict[str, Any]) -> dict[str, str]:
    found = node.get("connect.parameters")
    if found is None:
        return {}
    if not isinstance(found, dict) or not all(isinstance(v, str) for v in found.values()):
        raise DataException(f"Expected schema parameter values to be strings: {found}")
    return {str(k): v for k, v in found.items()}
