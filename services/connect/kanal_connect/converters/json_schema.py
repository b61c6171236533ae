"""Connect schemas as the JSON objects Kafka's JsonConverter puts in the envelope.

    {"type": "struct", "fields": [{"type": "int32", "optional": false, "field": "id"}],
     "optional": false, "name": "...", "version": 1, "doc": "...",
     "parameters": {"scale": "2"}, "default": ...}

Key order is Kafka's: type, then items / keys+values / fields, then optional, name, version,
doc, parameters, default; a struct field's object ends with "field". FLOAT32 is "float" and
FLOAT64 is "double"; every other type is its lower-case name.
"""

from __future__ import annotations

from collections.abc import Callable

from kanal_connect.converters.jackson import JsonNode
from kanal_connect.data.schema import Field, Schema, SchemaType
from kanal_connect.errors import DataException

_TYPE_NAMES = {t: t.value for t in SchemaType} | {
    SchemaType.FLOAT32: "float",
    SchemaType.FLOAT64: "double",
}
_TYPES_BY_NAME = {name: t for t, name in _TYPE_NAMES.items()}

ValueToJson = Callable[[Schema, object], JsonNode]
JsonToValue = Callable[[Schema, object], object]


def schema_to_json(schema: Schema, value_to_json: ValueToJson) -> dict[str, JsonNode]:
    """Kafka's `asJsonSchema`; `value_to_json` writes the default value."""
    node: dict[str, JsonNode] = {"type": _TYPE_NAMES[schema.type]}
    if schema.type is SchemaType.ARRAY:
        assert schema.value_schema is not None
        node["items"] = schema_to_json(schema.value_schema, value_to_json)
    elif schema.type is SchemaType.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        node["keys"] = schema_to_json(schema.key_schema, value_to_json)
        node["values"] = schema_to_json(schema.value_schema, value_to_json)
    elif schema.type is SchemaType.STRUCT:
        fields: list[JsonNode] = []
        for field in schema.fields:
            field_node = schema_to_json(field.schema, value_to_json)
            field_node["field"] = field.name
            fields.append(field_node)
        node["fields"] = fields
    node["optional"] = schema.optional
    if schema.name is not None:
        node["name"] = schema.name
    if schema.version is not None:
        node["version"] = schema.version
    if schema.doc is not None:
        node["doc"] = schema.doc
    if schema.parameters is not None:
        node["parameters"] = dict(schema.parameters)
    if schema.default is not None:
        node["default"] = value_to_json(schema, schema.default)
    return node


def schema_from_json(node: object, json_to_value: JsonToValue) -> Schema | None:
    """Kafka's `asConnectSchema`: JSON null is no schema; anything malformed is DataException."""
    if node is None:
        return None
    if not isinstance(node, dict):
        raise DataException("Schema must contain 'type' field")
    type_name = node.get("type")
    if not isinstance(type_name, str):
        raise DataException("Schema must contain 'type' field")
    schema_type = _TYPES_BY_NAME.get(type_name)
    if schema_type is None:
        raise DataException(f"Unknown schema type: {type_name}")
    schema = Schema(schema_type)
    if schema_type is SchemaType.ARRAY:
        items = node.get("items")
        if items is None:
            raise DataException("Array schema did not specify the element type")
        schema = Schema(schema_type, value_schema=_required(items, json_to_value))
    elif schema_type is SchemaType.MAP:
        if "keys" not in node:
            raise DataException("Map schema did not specify the key type")
        if "values" not in node:
            raise DataException("Map schema did not specify the value type")
        schema = Schema(
            schema_type,
            key_schema=_required(node["keys"], json_to_value),
            value_schema=_required(node["values"], json_to_value),
        )
    elif schema_type is SchemaType.STRUCT:
        schema = Schema(schema_type, fields=_fields(node.get("fields"), json_to_value))
    return _with_attributes(schema, node, json_to_value)


def _required(node: object, json_to_value: JsonToValue) -> Schema:
    schema = schema_from_json(node, json_to_value)
    if schema is None:
        raise DataException("Nested schema must not be null")
    return schema


def _fields(fields: object, json_to_value: JsonToValue) -> tuple[Field, ...]:
    if not isinstance(fields, list):
        raise DataException('Struct schema\'s "fields" argument is not an array.')
    built: list[Field] = []
    names: set[str] = set()
    for field in fields:
        name = field.get("field") if isinstance(field, dict) else None
        if not isinstance(name, str):
            raise DataException("Struct schema's field name not specified properly")
        if name in names:
            raise DataException(f"Cannot create field because of field name duplication {name}")
        names.add(name)
        built.append(Field(name, len(built), _required(field, json_to_value)))
    return tuple(built)


def _with_attributes(schema: Schema, node: dict[str, object], json_to_value: JsonToValue) -> Schema:
    optional = node.get("optional") is True
    name = node.get("name")
    version = node.get("version")
    doc = node.get("doc")
    parameters = node.get("parameters")
    params: dict[str, str] | None = None
    if isinstance(parameters, dict):
        params = {}
        for key, param in parameters.items():
            if not isinstance(param, str):
                raise DataException("Schema parameters must have string values.")
            params[key] = param
    if isinstance(version, int) and not isinstance(version, bool):
        if not -(2**31) <= version < 2**31:
            raise DataException(f"Schema version {version} is out of range")
    else:
        version = None
    schema = Schema(
        schema.type,
        optional=optional,
        name=name if isinstance(name, str) else None,
        version=version,
        doc=doc if isinstance(doc, str) else None,
        parameters=params,
        fields=schema.fields,
        key_schema=schema.key_schema,
        value_schema=schema.value_schema,
    )
    if "default" in node:
        default = json_to_value(schema, node["default"])
        if default is not None:
            schema = schema.with_default(default)
    return schema
