"""What every single message transformation (SMT) shares.

`Transformation` is Kafka's interface. Most SMTs come in `$Key` and `$Value` variants that
differ only in which half of the record they read and rewrite; `Target` is that difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Protocol, TypeVar, runtime_checkable

from kanal_connect.config.definition import ConfigDef
from kanal_connect.data.record import ConnectRecord, SinkRecord
from kanal_connect.data.schema import Field, Schema, SchemaType
from kanal_connect.data.structs import Struct
from kanal_connect.errors import DataException

R = TypeVar("R", bound=ConnectRecord)


@runtime_checkable
class Transformation(Protocol):
    def configure(self, configs: Mapping[str, object]) -> None:
        """Read the SMT's settings (the `transforms.<alias>.` prefix already stripped)."""

    def apply(self, record: R) -> R | None:
        """The rewritten record, or None to drop it."""

    def config_def(self) -> ConfigDef:
        """The settings this SMT reads, with types, defaults, importance and docs."""


class Target(Enum):
    """Which half of the record a `$Key` / `$Value` variant works on."""

    KEY = "Key"
    VALUE = "Value"

    def schema_of(self, record: ConnectRecord) -> Schema | None:
        return record.key_schema if self is Target.KEY else record.value_schema

    def value_of(self, record: ConnectRecord) -> object:
        return record.key if self is Target.KEY else record.value

    def replace(self, record: R, schema: Schema | None, value: object) -> R:
        if self is Target.KEY:
            return record.new_record(key_schema=schema, key=value)
        return record.new_record(value_schema=schema, value=value)


def require_map(value: object, purpose: str) -> dict[str, object]:
    """Kafka's `Requirements.requireMap`."""
    if not isinstance(value, dict):
        kind = "null" if value is None else type(value).__name__
        raise DataException(
            f"Only Map objects supported in absence of schema for [{purpose}], found: {kind}"
        )
    return value


def require_struct(value: object, purpose: str) -> Struct:
    """Kafka's `Requirements.requireStruct`."""
    if not isinstance(value, Struct):
        kind = "null" if value is None else type(value).__name__
        raise DataException(f"Only Struct objects supported for [{purpose}], found: {kind}")
    return value


def require_sink_record(record: ConnectRecord, purpose: str) -> SinkRecord:
    if not isinstance(record, SinkRecord):
        raise DataException(
            f"Only SinkRecord supported for [{purpose}], found: {type(record).__name__}"
        )
    return record


def struct_schema_like(
    original: Schema, fields: list[tuple[str, Schema]], *, optional: bool = False
) -> Schema:
    """A STRUCT holding `fields` with `original`'s name, version, doc and parameters.

    Kafka's `SchemaUtil.copySchemaBasics` copies no optionality or default, so most SMTs
    turn an optional struct schema into a required one; Cast and TimestampConverter keep it
    (they pass `optional`)."""
    names = [name for name, _ in fields]
    if len(set(names)) != len(names):
        duplicate = next(name for name in names if names.count(name) > 1)
        raise DataException(f"Cannot create field because of field name duplication {duplicate}")
    return Schema(
        SchemaType.STRUCT,
        optional=optional,
        name=original.name,
        version=original.version,
        doc=original.doc,
        parameters=original.parameters,
        fields=tuple(Field(name, index, schema) for index, (name, schema) in enumerate(fields)),
    )


def field_value(struct: Struct, name: str, replace_null_with_default: bool) -> object:
    """`replace.null.with.default`: a null field reads as its default when true."""
    return struct.get(name) if replace_null_with_default else struct.get_without_default(name)


def fill_struct(schema: Schema, values: Mapping[str, object]) -> Struct:
    result = Struct(schema)
    for name, value in values.items():
        result.put(name, value)
    return result
