"""Connect schemas to JSON Schema documents and back, as Confluent's `JsonSchemaData` maps them.

A Connect schema becomes a JSON Schema document with Confluent's extension keywords, so
Confluent's JsonSchemaConverter reads what we register and we read what it registers:

    INT8..INT64       {"type": "integer", "connect.type": "int8" | ... | "int64"}
    FLOAT32/FLOAT64   {"type": "number", "connect.type": "float32" | "float64"}
    BYTES             {"type": "string", "connect.type": "bytes"} (base64 text)
    Decimal           {"type": "number", "connect.type": "bytes", "title": <Decimal name>}
    STRING            {"type": "string"} (an `io.confluent.connect.json.Enum` one has "enum")
    ARRAY             {"type": "array", "items": ...}
    MAP string keys   {"type": "object", "additionalProperties": ..., "connect.type": "map"}
    MAP other keys    {"type": "array", "items": {"type": "object", "properties": {key, value}},
                       "connect.type": "map"}
    STRUCT            {"type": "object", "properties": {...}}, each property with
                      "connect.index" (its field position)
    optional          {"oneOf": [{"type": "null"}, <schema>], "connect.index": ...}

Name, version, doc and parameters travel as "title", "connect.version", "description" and
"connect.parameters"; a default as "default". Like Confluent, a property is a required Connect
field unless wrapped in oneOf-with-null (JSON's "required" keyword is not consulted).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kanal_connect.converters.jsonschema_values import (
    KEY_FIELD,
    ONE_OF_NAME,
    VALUE_FIELD,
    from_json_node,
    string_keyed,
    to_json_node,
)
from kanal_connect.data import logical
from kanal_connect.data.schema import Field, Schema, SchemaType
from kanal_connect.errors import DataException

NAMESPACE = "io.confluent.connect.json"
ENUM_PARAMETER = NAMESPACE + ".Enum"
CONNECT_TYPE, CONNECT_INDEX = "connect.type", "connect.index"
CONNECT_VERSION, CONNECT_PARAMETERS = "connect.version", "connect.parameters"
# References deeper than this are a cycle (a recursive type), which Connect schemas cannot be.
_MAX_REF_DEPTH = 32

_NUMBER_TYPES = {
    SchemaType.INT8: ("integer", "int8"),
    SchemaType.INT16: ("integer", "int16"),
    SchemaType.INT32: ("integer", "int32"),
    SchemaType.INT64: ("integer", "int64"),
    SchemaType.FLOAT32: ("number", "float32"),
    SchemaType.FLOAT64: ("number", "float64"),
}
_CONNECT_NUMBERS = {connect: schema_type for schema_type, (_, connect) in _NUMBER_TYPES.items()}
_NULL = {"type": "null"}


def json_schema_document(schema: Schema) -> dict[str, Any]:
    """The JSON Schema document for a Connect schema (Confluent's `fromConnectSchema`)."""
    return _from_connect(schema, None)


def _from_connect(
    schema: Schema, index: int | None, *, ignore_optional: bool = False
) -> dict[str, Any]:
    if schema.type is SchemaType.STRUCT and schema.name == ONE_OF_NAME:
        branches = [_from_connect(_required(f.schema), f.index, ignore_optional=True)
                    for f in schema.fields]
        union: dict[str, Any] = {"oneOf": ([_NULL] if schema.optional else []) + branches}
        return _with_index(union, index)
    document = _typed(schema)
    if schema.name is not None:
        document["title"] = schema.name
    if schema.version is not None:
        document[CONNECT_VERSION] = schema.version
    if schema.doc is not None:
        document["description"] = schema.doc
    parameters = {k: v for k, v in (schema.parameters or {}).items()
                  if not k.startswith(NAMESPACE)}
    if parameters:
        document[CONNECT_PARAMETERS] = parameters
    if schema.default is not None:
        document["default"] = to_json_node(_required(schema), schema.default)
    if schema.optional and not ignore_optional:
        return _with_index({"oneOf": [_NULL, document]}, index)
    return _with_index(document, index)


def _typed(schema: Schema) -> dict[str, Any]:
    """The type-specific keywords of a (non-union) schema."""
    kind = schema.type
    if kind in _NUMBER_TYPES:
        json_type, connect_type = _NUMBER_TYPES[kind]
        return {"type": json_type, CONNECT_TYPE: connect_type}
    if kind is SchemaType.BOOLEAN:
        return {"type": "boolean"}
    if kind is SchemaType.STRING:
        parameters = schema.parameters or {}
        if ENUM_PARAMETER in parameters:
            prefix = ENUM_PARAMETER + "."
            symbols = [v for k, v in parameters.items() if k.startswith(prefix)]
            return {"type": "string", "enum": symbols}
        return {"type": "string"}
    if kind is SchemaType.BYTES:
        json_type = "number" if schema.name == logical.DECIMAL_NAME else "string"
        return {"type": json_type, CONNECT_TYPE: "bytes"}
    if kind is SchemaType.ARRAY:
        assert schema.value_schema is not None
        return {"type": "array", "items": _from_connect(schema.value_schema, None)}
    if kind is SchemaType.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        values = _from_connect(schema.value_schema, None)
        if string_keyed(schema):
            return {"type": "object", "additionalProperties": values, CONNECT_TYPE: "map"}
        entry = {"type": "object", "properties": {
            KEY_FIELD: _from_connect(schema.key_schema, 0),
            VALUE_FIELD: _from_connect(schema.value_schema, 1),
        }}  # fmt: skip
        return {"type": "array", "items": entry, CONNECT_TYPE: "map"}
    properties = {f.name: _from_connect(f.schema, f.index) for f in schema.fields}
    return {"type": "object", "properties": properties}


def _with_index(document: dict[str, Any], index: int | None) -> dict[str, Any]:
    if index is not None:
        document[CONNECT_INDEX] = index
    return document


def _required(schema: Schema) -> Schema:
    return schema.with_optional(False) if schema.optional else schema


# ---- JSON Schema -> Connect ------------------------------------------------------------------


def connect_schema(
    document: object,
    *,
    version: int | None = None,
    references: Mapping[str, object] | None = None,
) -> Schema:
    """The Connect schema for a JSON Schema document (Confluent's `toConnectSchema`);
    `version` (the registry's) names the top level when it carries no `connect.version`;
    `references` are the documents of the schema's registry references, by reference name."""
    if not isinstance(document, Mapping):
        raise DataException("A JSON Schema converter schema must be a JSON object")
    resolver = _Resolver(document, references or {})
    return _to_connect(resolver, document, version, force_optional=False, depth=0)


class _Resolver:
    """`$ref`s: "#/definitions/x" inside the root document, "name" or "name#/path" into a
    referenced document."""

    def __init__(self, root: Mapping[str, Any], references: Mapping[str, object]) -> None:
        self._root = root
        self._references = references

    def resolve(self, reference: object) -> Mapping[str, Any]:
        if not isinstance(reference, str):
            raise DataException(f"Unsupported JSON Schema reference {reference!r}")
        name, _, path = reference.partition("#")
        node: Any = self._root if not name else self._references.get(name)
        if node is None:
            raise DataException(f"Unresolvable JSON Schema reference {reference!r}")
        for part in filter(None, path.split("/")):
            key = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or key not in node:
                raise DataException(f"Unresolvable JSON Schema reference {reference!r}")
            node = node[key]
        if not isinstance(node, Mapping):
            raise DataException(f"JSON Schema reference {reference!r} is not a schema")
        return node


def _to_connect(
    resolver: _Resolver, document: object, version: int | None, *, force_optional: bool,
    depth: int,
) -> Schema:
    if depth > _MAX_REF_DEPTH:
        raise DataException("JSON Schema is nested too deeply (a recursive type?)")
    if not isinstance(document, Mapping):
        raise DataException(f"Not a JSON Schema: {document!r}")
    if "$ref" in document:
        target = resolver.resolve(document["$ref"])
        return _to_connect(resolver, target, version, force_optional=force_optional,
                           depth=depth + 1)
    union = document.get("oneOf", document.get("anyOf"))
    if union is not None:
        return _union(resolver, union, version, force_optional=force_optional, depth=depth)
    json_type = document.get("type")
    if isinstance(json_type, list):
        branches = [{**document, "type": t} for t in json_type]
        return _union(resolver, branches, version, force_optional=force_optional, depth=depth)
    schema = _base(resolver, document, json_type, depth)
    return _decorated(schema, document, version, force_optional=force_optional)


def _union(
    resolver: _Resolver, branches: object, version: int | None, *, force_optional: bool,
    depth: int,
) -> Schema:
    if not isinstance(branches, list) or not branches:
        raise DataException("oneOf/anyOf must be a non-empty array")
    non_null = [b for b in branches if not _is_null(b)]
    nullable = len(non_null) < len(branches)
    if nullable and len(non_null) == 1:
        return _to_connect(resolver, non_null[0], version, force_optional=True, depth=depth + 1)
    fields = [
        Field(f"{ONE_OF_NAME}.field.{i}",
              i, _to_connect(resolver, b, None, force_optional=True, depth=depth + 1))
        for i, b in enumerate(non_null)
    ]
    return Schema(SchemaType.STRUCT, optional=nullable or force_optional, name=ONE_OF_NAME,
                  fields=tuple(fields))


def _is_null(document: object) -> bool:
    return isinstance(document, Mapping) and document.get("type") == "null"


def _base(resolver: _Resolver, document: Mapping[str, Any], json_type: object,
          depth: int) -> Schema:
    connect_type = document.get(CONNECT_TYPE)
    if json_type in ("integer", "number"):
        if connect_type == "bytes":
            return Schema(SchemaType.BYTES)
        if connect_type in _CONNECT_NUMBERS:
            return Schema(_CONNECT_NUMBERS[connect_type])
        return Schema(SchemaType.INT64 if json_type == "integer" else SchemaType.FLOAT64)
    if json_type == "boolean":
        return Schema(SchemaType.BOOLEAN)
    if json_type == "string" or (json_type is None and "enum" in document):
        if "enum" in document:
            if not isinstance(document["enum"], list):
                raise DataException("enum must be an array")
            symbols = [str(s) for s in document["enum"]]
            parameters = {ENUM_PARAMETER: ""} | {f"{ENUM_PARAMETER}.{s}": s for s in symbols}
            return Schema(SchemaType.STRING, parameters=parameters)
        return Schema(SchemaType.BYTES if connect_type == "bytes" else SchemaType.STRING)
    if json_type == "array":
        return _array(resolver, document, depth)
    if json_type == "object" or (json_type is None and "properties" in document):
        return _object(resolver, document, depth)
    raise DataException(f"Unsupported JSON Schema type {json_type!r}")


def _array(resolver: _Resolver, document: Mapping[str, Any], depth: int) -> Schema:
    items = document.get("items")
    if not isinstance(items, Mapping):
        raise DataException("Array schema did not specify the items type")
    if document.get(CONNECT_TYPE) == "map" and isinstance(items.get("properties"), Mapping):
        entry = items["properties"]
        if KEY_FIELD not in entry or VALUE_FIELD not in entry:
            raise DataException("A map entry schema needs key and value properties")
        return Schema(SchemaType.MAP, key_schema=_child(resolver, entry[KEY_FIELD], depth),
                      value_schema=_child(resolver, entry[VALUE_FIELD], depth))
    return Schema(SchemaType.ARRAY, value_schema=_child(resolver, items, depth))


def _object(resolver: _Resolver, document: Mapping[str, Any], depth: int) -> Schema:
    if document.get(CONNECT_TYPE) == "map":
        values = document.get("additionalProperties")
        if not isinstance(values, Mapping):
            raise DataException("A map schema needs an additionalProperties schema")
        return Schema(SchemaType.MAP, key_schema=Schema(SchemaType.STRING),
                      value_schema=_child(resolver, values, depth))
    properties = document.get("properties") or {}
    if not isinstance(properties, Mapping):
        raise DataException("properties must be an object")
    # Fields in connect.index order; properties without one follow in document order.
    indexed = sorted(
        ((p.get(CONNECT_INDEX) if isinstance(p, Mapping) else None, n, p)
         for n, p in properties.items()),
        key=lambda item: (item[0] is None or not isinstance(item[0], int), item[0] or 0),
    )
    fields = tuple(Field(name, position, _child(resolver, prop, depth))
                   for position, (_, name, prop) in enumerate(indexed))
    return Schema(SchemaType.STRUCT, fields=fields)


def _child(resolver: _Resolver, document: object, depth: int) -> Schema:
    return _to_connect(resolver, document, None, force_optional=False, depth=depth + 1)


def _decorated(
    schema: Schema, document: Mapping[str, Any], version: int | None, *, force_optional: bool
) -> Schema:
    title, doc = document.get("title"), document.get("description")
    connect_version = document.get(CONNECT_VERSION)
    parameters = dict(schema.parameters or {})
    given = document.get(CONNECT_PARAMETERS)
    if isinstance(given, Mapping):
        parameters |= {str(k): str(v) for k, v in given.items()}
    schema = schema.with_metadata(
        name=str(title) if title is not None else None,
        version=connect_version if isinstance(connect_version, int) else version,
        doc=str(doc) if doc is not None else None,
        parameters=parameters or None,
    )
    if "default" in document and document["default"] is not None:
        schema = schema.with_default(from_json_node(schema, document["default"]))
    return schema.with_optional(True) if force_optional else schema
