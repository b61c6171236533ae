"""InsertField$Key / InsertField$Value: add record metadata or a static value as fields.

A field name may end in `!` (the inserted field is required) or `?` (optional, the default).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kanal_connect.config.definition import ConfigDef, ConfigType, Importance
from kanal_connect.data import logical
from kanal_connect.data.record import ConnectRecord
from kanal_connect.data.schema import (
    INT32,
    INT64,
    OPTIONAL_INT32,
    OPTIONAL_INT64,
    OPTIONAL_STRING,
    STRING,
    Schema,
)
from kanal_connect.transforms.base import (
    R,
    Target,
    field_value,
    fill_struct,
    require_map,
    require_sink_record,
    require_struct,
    struct_schema_like,
)
from kanal_connect.transforms.common_config import (
    REPLACE_NULL_WITH_DEFAULT,
    define_replace_null_with_default,
)

PURPOSE = "field insertion"
_OPTIONALITY_DOC = (
    "Suffix with <code>!</code> to make this a required field, or <code>?</code> "
    "to keep it optional (the default)."
)


@dataclass(frozen=True, slots=True)
class InsertionSpec:
    name: str
    optional: bool

    @classmethod
    def parse(cls, spec: object) -> InsertionSpec | None:
        if not isinstance(spec, str) or not spec:
            return None
        if spec.endswith("!"):
            return cls(spec[:-1], False)
        if spec.endswith("?"):
            return cls(spec[:-1], True)
        return cls(spec, True)


def config_def() -> ConfigDef:
    config = ConfigDef()
    for key, doc in (
        ("topic.field", "Field name for Kafka topic. "),
        ("partition.field", "Field name for Kafka partition. "),
        ("offset.field", "Field name for Kafka offset - only applicable to sink connectors.<br/>"),
        ("timestamp.field", "Field name for record timestamp. "),
        ("static.field", "Field name for static data field. "),
    ):
        config.define(key, ConfigType.STRING, None, Importance.MEDIUM, doc + _OPTIONALITY_DOC)
    config.define(
        "static.value",
        ConfigType.STRING,
        None,
        Importance.MEDIUM,
        "Static field value, if field name configured.",
    )
    return define_replace_null_with_default(config)


class InsertField:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.topic: InsertionSpec | None = None
        self.partition: InsertionSpec | None = None
        self.offset: InsertionSpec | None = None
        self.timestamp: InsertionSpec | None = None
        self.static: InsertionSpec | None = None
        self.static_value: str | None = None
        self.replace_null_with_default = True
        self._schemas: dict[Schema, Schema] = {}

    def config_def(self) -> ConfigDef:
        return config_def()

    def configure(self, configs: Mapping[str, object]) -> None:
        parsed = config_def().parse(configs)
        self.topic = InsertionSpec.parse(parsed["topic.field"])
        self.partition = InsertionSpec.parse(parsed["partition.field"])
        self.offset = InsertionSpec.parse(parsed["offset.field"])
        self.timestamp = InsertionSpec.parse(parsed["timestamp.field"])
        self.static = InsertionSpec.parse(parsed["static.field"])
        static_value = parsed["static.value"]
        self.static_value = static_value if isinstance(static_value, str) else None
        self.replace_null_with_default = bool(parsed[REPLACE_NULL_WITH_DEFAULT])
        self._schemas.clear()

    def apply(self, record: R) -> R | None:
        value = self.target.value_of(record)
        if value is None:
            return record
        schema = self.target.schema_of(record)
        if schema is None:
            updated = dict(require_map(value, PURPOSE))
            updated.update(self._insertions(record, schemaless=True))
            return self.target.replace(record, None, updated)
        struct = require_struct(value, PURPOSE)
        new_schema = self._schemas.get(struct.schema)
        if new_schema is None:
            new_schema = self._schemas[struct.schema] = self._updated_schema(struct.schema)
        values = {
            name: field_value(struct, name, self.replace_null_with_default)
            for name, _ in struct.items()
        }
        values.update(self._insertions(record, schemaless=False))
        return self.target.replace(record, new_schema, fill_struct(new_schema, values))

    def _insertions(self, record: ConnectRecord, *, schemaless: bool) -> dict[str, object]:
        found: dict[str, object] = {}
        if self.topic:
            found[self.topic.name] = record.topic
        if self.partition and record.kafka_partition is not None:
            found[self.partition.name] = record.kafka_partition
        if self.offset:
            found[self.offset.name] = require_sink_record(record, PURPOSE).kafka_offset
        if self.timestamp and record.timestamp is not None:
            found[self.timestamp.name] = (
                record.timestamp if schemaless else logical.timestamp_from_millis(record.timestamp)
            )
        if self.static and self.static_value is not None:
            found[self.static.name] = self.static_value
        return found

    def _updated_schema(self, schema: Schema) -> Schema:
        fields = [(field.name, field.schema) for field in schema.fields]
        for spec, required, optional in (
            (self.topic, STRING, OPTIONAL_STRING),
            (self.partition, INT32, OPTIONAL_INT32),
            (self.offset, INT64, OPTIONAL_INT64),
            (self.timestamp, logical.TIMESTAMP, logical.OPTIONAL_TIMESTAMP),
            (self.static, STRING, OPTIONAL_STRING),
        ):
            if spec is not None:
                fields.append((spec.name, optional if spec.optional else required))
        return struct_schema_like(schema, fields)
