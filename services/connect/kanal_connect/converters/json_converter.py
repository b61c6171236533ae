"""Kafka's `org.apache.kafka.connect.json.JsonConverter`.

With `schemas.enable=true` (the default) every message is the envelope
`{"schema":{...},"payload":...}` (see `json_schema` for the schema object); with `false` the
payload alone is written, and reading infers schemaless values (objects become dicts,
integers INT64, other numbers FLOAT64).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping

from kanal_connect.config.definition import ConfigDef, ConfigType, Importance
from kanal_connect.config.validators import one_of
from kanal_connect.converters import jackson
from kanal_connect.converters.base import CONVERTER_TYPE_CONFIG, NULL, SchemaAndValue
from kanal_connect.converters.json_prepared import PreparedWriters
from kanal_connect.converters.json_prepared_reader import prepare_reader
from kanal_connect.converters.json_schema import schema_from_json, schema_to_json
from kanal_connect.converters.json_struct_reader import Reader
from kanal_connect.converters.json_values import JsonValueOptions, to_connect, to_json
from kanal_connect.data.schema import Schema
from kanal_connect.errors import DataException

SCHEMAS_ENABLE_CONFIG = "schemas.enable"
SCHEMAS_CACHE_SIZE_CONFIG = "schemas.cache.size"
DECIMAL_FORMAT_CONFIG = "decimal.format"
REPLACE_NULL_WITH_DEFAULT_CONFIG = "replace.null.with.default"

_ENVELOPE_ERROR = (
    'JsonConverter with schemas.enable requires "schema" and "payload" fields and may not '
    "contain additional fields. If you are trying to deserialize plain JSON data, set "
    "schemas.enable=false in your converter configuration."
)


def json_converter_config_def() -> ConfigDef:
    return (
        ConfigDef()
        .define(
            SCHEMAS_ENABLE_CONFIG,
            ConfigType.BOOLEAN,
            True,
            Importance.HIGH,
            "Include schemas within each of the serialized values and keys.",
        )
        .define(
            SCHEMAS_CACHE_SIZE_CONFIG,
            ConfigType.INT,
            1000,
            Importance.HIGH,
            "The maximum number of schemas that can be cached in this converter instance.",
        )
        .define(
            DECIMAL_FORMAT_CONFIG,
            ConfigType.STRING,
            "BASE64",
            Importance.LOW,
            "Controls which format this converter will serialize decimals in. This value "
            "is case insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
            validator=one_of("BASE64", "NUMERIC", "base64", "numeric"),
        )
        .define(
            REPLACE_NULL_WITH_DEFAULT_CONFIG,
            ConfigType.BOOLEAN,
            True,
            Importance.LOW,
            "Whether to replace fields that have a default value and that are null to the "
            "default value. When set to true, the default value is used, otherwise null is used.",
        )
        .define(
            CONVERTER_TYPE_CONFIG,
            ConfigType.STRING,
            None,
            Importance.LOW,
            "How this converter will be used.",
        )
    )


class JsonConverter:
    def __init__(self) -> None:
        self.schemas_enabled = True
        self.options = JsonValueOptions()
        self._cache_size = 1000
        self._schema_json: OrderedDict[Schema, jackson.JsonNode] = OrderedDict()
        # Serialized envelope schemas by schema identity. Connectors reuse one Schema object
        # per table or record type, and hashing a Schema (deep, recomputed) then writing its
        # JSON again cost several times the payload itself for every record.
        self._schema_bytes: dict[int, tuple[Schema, bytes]] = {}
        self._writers = PreparedWriters(self.options, self._cache_size)
        self._connect_schemas: dict[str, tuple[Schema | None, Reader]] = {}
        # A topic's records mostly share one schema: its text, once matched, is compared
        # instead of parsed (see jackson.split_envelope).
        self._last_schema_text = ""
        # The last envelope's head, exactly as it was written up to its payload (compact,
        # or with a Python producer's spaces), with its schema and reader: a record
        # starting with the same text needs only its payload parsed (jackson.payload_after).
        self._last_envelope: tuple[str, Schema | None, Reader] | None = None

    def config_def(self) -> ConfigDef:
        return json_converter_config_def()

    def configure(self, configs: Mapping[str, object], is_key: bool) -> None:
        parsed = json_converter_config_def().parse(
            {**configs, CONVERTER_TYPE_CONFIG: "key" if is_key else "value"}
        )
        self.schemas_enabled = bool(parsed[SCHEMAS_ENABLE_CONFIG])
        self._cache_size = int(str(parsed[SCHEMAS_CACHE_SIZE_CONFIG]))
        self.options = JsonValueOptions(
            decimal_numeric=str(parsed[DECIMAL_FORMAT_CONFIG]).upper() == "NUMERIC",
            replace_null_with_default=bool(parsed[REPLACE_NULL_WITH_DEFAULT_CONFIG]),
        )
        self._schema_json.clear()
        self._schema_bytes.clear()
        self._writers = PreparedWriters(self.options, self._cache_size)
        self._connect_schemas.clear()
        self._last_schema_text = ""
        self._last_envelope = None

    def from_connect(self, topic: str, schema: Schema | None, value: object) -> bytes | None:
        if schema is None and value is None:
            return None
        if schema is None:
            payload = jackson.write_text(to_json(None, value, self.options))
        else:
            payload = self._writers.writer(schema)(value)
        if not self.schemas_enabled:
            return jackson.utf8(payload)
        # The envelope written in pieces is byte for byte jackson.write of the whole object.
        return b'{"schema":' + self._serialized_schema(schema) + b',"payload":' + (
            jackson.utf8(payload) + b"}")

    def _serialized_schema(self, schema: Schema | None) -> bytes:
        if schema is None:
            return b"null"
        entry = self._schema_bytes.get(id(schema))
        if entry is not None and entry[0] is schema:
            return entry[1]
        data = jackson.write(self.schema_to_json(schema))
        if len(self._schema_bytes) >= self._cache_size:
            self._schema_bytes.clear()
        self._schema_bytes[id(schema)] = (schema, data)  # the reference keeps the id unique
        return data

    def to_connect(self, topic: str, data: bytes | None) -> SchemaAndValue:
        if data is None:
            return NULL
        text = jackson.decode(data)
        known = self._last_envelope
        if known is not None and text.startswith(known[0]):
            payload = jackson.payload_after(text, len(known[0]))
            if payload is not jackson.MISSING:
                return SchemaAndValue(known[1], known[2](payload))
        envelope = (
            jackson.split_envelope(text, self._last_schema_text) if self.schemas_enabled else None
        )
        if envelope is not None:
            schema_text, schema_node, payload, payload_start = envelope
            schema, read_payload = self._connect_schema(schema_text, schema_node)
            self._remember_envelope(schema_text, text[:payload_start], (schema, read_payload))
            return SchemaAndValue(schema, read_payload(payload))
        document = jackson.parse(text)
        if not self.schemas_enabled:
            return SchemaAndValue(None, to_connect(None, document, self.options))
        if not isinstance(document, dict) or set(document) != {"schema", "payload"}:
            raise DataException(_ENVELOPE_ERROR)
        schema = self.schema_from_json(document["schema"])
        return SchemaAndValue(schema, to_connect(schema, document["payload"], self.options))

    def _connect_schema(
        self, schema_text: str, schema_node: object
    ) -> tuple[Schema | None, Reader]:
        """Kafka's toConnectSchemaCache, keyed by the schema's exact JSON text (equal text
        parses to an equal schema), with the payload reader prepared for that schema."""
        cached = self._connect_schemas.get(schema_text)
        if cached is not None:
            return cached
        if schema_node is jackson.MISSING:  # the known text, evicted since
            schema_node = jackson.parse(schema_text)
        schema = self.schema_from_json(schema_node)
        options = self.options
        reader: Reader = (
            prepare_reader(schema, options) if schema is not None
            else lambda node: to_connect(None, node, options)
        )
        if self._connect_schemas and len(self._connect_schemas) >= self._cache_size:
            del self._connect_schemas[next(iter(self._connect_schemas))]
        self._connect_schemas[schema_text] = (schema, reader)
        return schema, reader

    def _remember_envelope(self, schema_text: str, head: str,
                           entry: tuple[Schema | None, Reader]) -> None:
        self._last_schema_text = schema_text
        self._last_envelope = (head, *entry)

    def schema_to_json(self, schema: Schema | None) -> jackson.JsonNode:
        if schema is None:
            return None
        cached = self._schema_json.get(schema)
        if cached is None:
            cached = schema_to_json(schema, lambda s, v: to_json(s, v, self.options))
            self._remember(schema, cached)
        return cached

    def schema_from_json(self, node: object) -> Schema | None:
        return schema_from_json(node, lambda s, v: to_connect(s, v, self.options))

    def _remember(self, schema: Schema, node: jackson.JsonNode) -> None:
        self._schema_json[schema] = node
        while len(self._schema_json) > self._cache_size:
            self._schema_json.popitem(last=False)
