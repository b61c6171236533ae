"""Connect schemas <-> Avro schemas, following Confluent's AvroData so that records written
by either side's AvroConverter read back on the other with the same Connect schema.

Connect -> Avro:
    INT8 / INT16        "int" with "connect.type": "int8" / "int16"
    INT32 INT64 ...     "int" "long" "float" "double" "boolean" "string" "bytes"
    ARRAY               {"type": "array", "items": ...}
    MAP, string keys    {"type": "map", "values": ...}
    MAP, other keys     array of records io.confluent.connect.avro.MapEntry {key, value}
    STRUCT              record named by the Connect name (namespace = up to the last dot), or
                        io.confluent.connect.avro.ConnectDefault when unnamed (further distinct
                        unnamed records ConnectDefault2, 3, ...: Avro forbids redefining a name)
    optional            ["null", T] with field default null; [T, "null"] when it has a
                        default (an Avro union default must match its first branch)
    Decimal             "bytes", logicalType decimal, "scale", "precision" (the parameter
                        connect.decimal.precision, else 64)
    Date / Time / Timestamp   int date / int time-millis / long timestamp-millis
    metadata            "connect.name", "connect.version", "connect.doc", "connect.parameters",
                        "connect.default" on the non-union type
    Avro enums          a STRING whose parameters hold io.confluent.connect.avro.Enum (the full
                        name) and io.confluent.connect.avro.Enum.<symbol>; written back as an
                        enum only with enhanced.avro.schema.support, as Confluent does
Avro -> Connect reverses this; other unions become a STRUCT io.confluent.connect.avro.Union
with one optional field per branch (named after the branch's type or simple record name);
fixed reads as BYTES. Record and field docs become the io.confluent.connect.avro.record.doc /
.field.doc.<name> parameters; an Avro field default without "connect.default" is flagged by
the io.confluent.connect.avro.field.default parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kanal_connect.converters.avro_defaults import UNION_NAME, default_to_avro
from kanal_connect.data import logical
from kanal_connect.data.schema import Field, Schema, SchemaType
from kanal_connect.errors import DataException

AvroNode = Any
"""A (parsed) Avro schema node: a type name, a union list, or an object."""
Named = Mapping[str, AvroNode]
"""Named types by full name (fastavro's `named_schemas`)."""

NAMESPACE = "io.confluent.connect.avro"
DEFAULT_NAME = "ConnectDefault"
MAP_ENTRY = "MapEntry"
ENUM_PARAMETER = NAMESPACE + ".Enum"
RECORD_DOC_PARAMETER = NAMESPACE + ".record.doc"
FIELD_DOC_PREFIX = NAMESPACE + ".field.doc."
FIELD_DEFAULT_FLAG = NAMESPACE + ".field.default"
PRECISION_PARAMETER = "connect.decimal.precision"
DEFAULT_PRECISION = 64
INTERNAL_TYPE = "connect.internal.type"
_AVRO_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DEFAULT_NAMES = re.compile(re.escape(f"{NAMESPACE}.{DEFAULT_NAME}") + r"\d*")

_PRIMITIVE_AVRO = {
    SchemaType.INT8: "int", SchemaType.INT16: "int", SchemaType.INT32: "int",
    SchemaType.INT64: "long", SchemaType.FLOAT32: "float", SchemaType.FLOAT64: "double",
    SchemaType.BOOLEAN: "boolean", SchemaType.STRING: "string", SchemaType.BYTES: "bytes",
}  # fmt: skip
_LOGICAL_AVRO = {
    logical.DATE_NAME: "date",
    logical.TIME_NAME: "time-millis",
    logical.TIMESTAMP_NAME: "timestamp-millis",
}
AVRO_PRIMITIVES = frozenset(
    {"null", "boolean", "int", "long", "float", "double", "bytes", "string"})


@dataclass
class _FromConnect:
    """One conversion's state: records already defined (referenced by name afterwards)."""

    enhanced: bool
    metadata: bool
    defined: dict[str, Schema] = field(default_factory=dict)
    unnamed: dict[Schema, str] = field(default_factory=dict)


def from_connect_schema(
    schema: Schema, *, enhanced: bool = False, metadata: bool = True
) -> AvroNode:
    """The Avro schema (JSON-ready) of a Connect schema; DataException when it has none."""
    return _from_connect(schema, _FromConnect(enhanced, metadata), in_union=False)


def _from_connect(schema: Schema, ctx: _FromConnect, *, in_union: bool) -> AvroNode:
    base = _base(schema, ctx)
    if not schema.optional or in_union:
        return base
    if isinstance(base, list):  # a Union struct: null joins its branches, first
        return ["null", *base]
    return [base, "null"] if schema.default is not None else ["null", base]


def _base(schema: Schema, ctx: _FromConnect) -> AvroNode:
    if schema.type is SchemaType.STRUCT and schema.name == UNION_NAME:
        return [_from_connect(f.schema.with_optional(False), ctx, in_union=True)
                for f in schema.fields]
    parameters = dict(schema.parameters or {})
    node: dict[str, Any]
    if schema.type is SchemaType.STRUCT:
        name = _record_name(schema, ctx)
        if name in ctx.defined:
            if _same_record(ctx.defined[name], schema):
                return name
            raise DataException(f"Avro cannot define the record {name} twice differently")
        ctx.defined[name] = schema
        node = {"type": "record", "name": name, "fields": [
            _record_field(f, parameters.get(FIELD_DOC_PREFIX + f.name), ctx)
            for f in schema.fields]}
        if RECORD_DOC_PARAMETER in parameters:
            node["doc"] = parameters[RECORD_DOC_PARAMETER]
    elif schema.type is SchemaType.ARRAY:
        assert schema.value_schema is not None
        node = {"type": "array", "items": _from_connect(schema.value_schema, ctx, in_union=False)}
    elif schema.type is SchemaType.MAP:
        node = _map(schema, ctx)
    elif schema.type is SchemaType.STRING and ctx.enhanced and ENUM_PARAMETER in parameters:
        prefix = ENUM_PARAMETER + "."
        node = {"type": "enum", "name": avro_name(parameters[ENUM_PARAMETER], dotted=True),
                "symbols": [avro_name(v, dotted=False)
                            for k, v in parameters.items() if k.startswith(prefix)]}
    else:
        node = {"type": _PRIMITIVE_AVRO[schema.type]}
    if ctx.metadata:
        _add_metadata(node, schema, parameters)
    _add_logical(node, schema, parameters)
    return node if len(node) > 1 or node["type"] not in AVRO_PRIMITIVES else node["type"]


def avro_name(name: str, *, dotted: bool) -> str:
    """`name` if Avro accepts it (a full name is dot-separated names), else DataException."""
    parts = name.split(".") if dotted else [name]
    if not all(_AVRO_NAME.fullmatch(part) for part in parts):
        raise DataException(f"Illegal Avro name {name!r}: names match [A-Za-z_][A-Za-z0-9_]*")
    return name


def _record_name(schema: Schema, ctx: _FromConnect) -> str:
    if schema.name:
        return avro_name(schema.name, dotted=True)
    key = schema.with_optional(False)
    known = ctx.unnamed.get(key)
    if known is None:
        index = len(ctx.unnamed) + 1
        known = f"{NAMESPACE}.{DEFAULT_NAME}{index if index > 1 else ''}"
        ctx.unnamed[key] = known
    return known


def _same_record(left: Schema, right: Schema) -> bool:
    return left.with_optional(False) == right.with_optional(False)


def _record_field(connect_field: Field, doc: str | None, ctx: _FromConnect) -> dict[str, Any]:
    schema = connect_field.schema
    avro: dict[str, Any] = {"name": avro_name(connect_field.name, dotted=False),
                            "type": _from_connect(schema, ctx, in_union=False)}
    if doc is not None:
        avro["doc"] = doc
    if schema.default is not None:
        avro["default"] = default_to_avro(schema, schema.default)
    elif schema.optional:
        avro["default"] = None
    return avro


def _map(schema: Schema, ctx: _FromConnect) -> dict[str, Any]:
    assert schema.key_schema is not None and schema.value_schema is not None
    keys = schema.key_schema
    if keys.type is SchemaType.STRING and not keys.optional:
        return {"type": "map", "values": _from_connect(schema.value_schema, ctx, in_union=False)}
    entry: dict[str, Any] = {"type": "record", "fields": [
        _record_field(Field("key", 0, keys), None, ctx),
        _record_field(Field("value", 1, schema.value_schema), None, ctx)]}
    if schema.name:
        entry["name"], entry[INTERNAL_TYPE] = avro_name(schema.name, dotted=True), MAP_ENTRY
    else:
        entry["name"] = f"{NAMESPACE}.{MAP_ENTRY}"
    if entry["name"] in ctx.defined:  # the same entry record again: refer to it
        return {"type": "array", "items": entry["name"]}
    ctx.defined[entry["name"]] = schema
    return {"type": "array", "items": entry}


def _add_metadata(node: dict[str, Any], schema: Schema, parameters: Mapping[str, str]) -> None:
    if schema.doc is not None:
        node["connect.doc"] = schema.doc
    if schema.version is not None:
        node["connect.version"] = schema.version
    shown = {k: v for k, v in parameters.items() if k != FIELD_DEFAULT_FLAG}
    if shown:
        node["connect.parameters"] = shown
    if schema.default is not None and FIELD_DEFAULT_FLAG not in parameters:
        node["connect.default"] = default_to_avro(schema, schema.default)
    if schema.name is not None:
        node["connect.name"] = schema.name
    if schema.type in (SchemaType.INT8, SchemaType.INT16):
        node["connect.type"] = schema.type.value


def _add_logical(node: dict[str, Any], schema: Schema, parameters: Mapping[str, str]) -> None:
    if schema.name == logical.DECIMAL_NAME:
        scale = logical.decimal_scale(schema)
        precision = int(parameters.get(PRECISION_PARAMETER, DEFAULT_PRECISION))
        node["scale"], node["precision"] = scale, precision
        if 0 <= scale <= precision:
            node["logicalType"] = "decimal"
    elif schema.name in _LOGICAL_AVRO:
        node["logicalType"] = _LOGICAL_AVRO[schema.name]
