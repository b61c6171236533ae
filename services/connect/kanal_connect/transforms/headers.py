"""HeaderFrom$Key / $Value, InsertHeader and DropHeaders: move data into and out of headers."""

from __future__ import annotations

from collections.abc import Mapping

from kanal_connect.config.definition import NO_DEFAULT, ConfigDef, ConfigType, Importance
from kanal_connect.config.validators import non_empty_list, non_null, one_of
from kanal_connect.data.record import ConnectHeader
from kanal_connect.errors import DataException, InvalidConnectorConfig
from kanal_connect.transforms.base import (
    R,
    Target,
    field_value,
    fill_struct,
    require_map,
    require_struct,
    struct_schema_like,
)
from kanal_connect.transforms.common_config import (
    REPLACE_NULL_WITH_DEFAULT,
    define_replace_null_with_default,
)
from kanal_connect.transforms.literal import parse_literal


def header_from_config_def() -> ConfigDef:
    config = (
        ConfigDef()
        .define(
            "fields",
            ConfigType.LIST,
            NO_DEFAULT,
            Importance.HIGH,
            "Field names in the record whose values are to be copied or moved to headers.",
            validator=non_empty_list,
        )
        .define(
            "headers",
            ConfigType.LIST,
            NO_DEFAULT,
            Importance.HIGH,
            "Header names, in the same order as the field names listed in the fields "
            "configuration property.",
            validator=non_empty_list,
        )
        .define(
            "operation",
            ConfigType.STRING,
            NO_DEFAULT,
            Importance.HIGH,
            "Either <code>move</code> if the fields are to be moved to the headers (removed "
            "from the key/value), or <code>copy</code> if the fields are to be copied to the "
            "headers (retained in the key/value).",
            validator=one_of("move", "copy"),
        )
    )
    return define_replace_null_with_default(config)


class HeaderFrom:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.fields: list[str] = []
        self.headers: list[str] = []
        self.move = False
        self.replace_null_with_default = True

    def config_def(self) -> ConfigDef:
        return header_from_config_def()

    def configure(self, configs: Mapping[str, object]) -> None:
        parsed = header_from_config_def().parse(configs)
        fields, headers = parsed["fields"], parsed["headers"]
        self.fields = [str(f) for f in fields] if isinstance(fields, list) else []
        self.headers = [str(h) for h in headers] if isinstance(headers, list) else []
        if len(self.fields) != len(self.headers):
            text = "'fields' config must have the same number of elements as 'headers' config."
            raise InvalidConnectorConfig(text, {"headers": [text]})
        self.move = parsed["operation"] == "move"
        self.replace_null_with_default = bool(parsed[REPLACE_NULL_WITH_DEFAULT])

    @property
    def purpose(self) -> str:
        return "header move" if self.move else "header copy"

    def apply(self, record: R) -> R | None:
        value = self.target.value_of(record)
        schema = self.target.schema_of(record)
        added: list[ConnectHeader] = []
        if schema is None:
            source = require_map(value, self.purpose)
            for name, header in zip(self.fields, self.headers, strict=True):
                added.append(ConnectHeader(header, None, source.get(name)))
            kept = {k: v for k, v in source.items() if not (self.move and k in self.fields)}
            return self.target.replace(record, None, kept).new_record(
                headers=record.headers + tuple(added)
            )
        struct = require_struct(value, self.purpose)
        for name, header in zip(self.fields, self.headers, strict=True):
            found = struct.schema.field(name)
            if found is None:
                raise DataException(f"Field {name} not found in schema {struct.schema}")
            added.append(
                ConnectHeader(
                    header, found.schema, field_value(struct, name, self.replace_null_with_default)
                )
            )
        updated = record.new_record(headers=record.headers + tuple(added))
        if not self.move:
            return updated
        kept_fields = [
            (f.name, f.schema) for f in struct.schema.fields if f.name not in self.fields
        ]
        new_schema = struct_schema_like(struct.schema, kept_fields)
        values = {
            name: field_value(struct, name, self.replace_null_with_default)
            for name, _ in kept_fields
        }
        return self.target.replace(updated, new_schema, fill_struct(new_schema, values))


def insert_header_config_def() -> ConfigDef:
    return (
        ConfigDef()
        .define(
            "header",
            ConfigType.STRING,
            NO_DEFAULT,
            Importance.HIGH,
            "The name of the header.",
            validator=non_null,
        )
        .define(
            "value.literal",
            ConfigType.STRING,
            NO_DEFAULT,
            Importance.HIGH,
            "The literal value that is to be set as the header value on all records.",
            validator=non_null,
        )
    )


class InsertHeader:
    def __init__(self) -> None:
        self.header = ConnectHeader("", None, None)

    def config_def(self) -> ConfigDef:
        return insert_header_config_def()

    def configure(self, configs: Mapping[str, object]) -> None:
        parsed = insert_header_config_def().parse(configs)
        schema, value = parse_literal(str(parsed["value.literal"]))
        self.header = ConnectHeader(str(parsed["header"]), schema, value)

    def apply(self, record: R) -> R | None:
        return record.new_record(headers=(*record.headers, self.header))


def drop_headers_config_def() -> ConfigDef:
    return ConfigDef().define(
        "headers",
        ConfigType.LIST,
        NO_DEFAULT,
        Importance.HIGH,
        "The name of the headers to be removed.",
        validator=non_empty_list,
    )


class DropHeaders:
    def __init__(self) -> None:
        self.names: frozenset[str] = frozenset()

    def config_def(self) -> ConfigDef:
        return drop_headers_config_def()

    def configure(self, configs: Mapping[str, object]) -> None:
        names = drop_headers_config_def().parse(configs)["headers"]
        self.names = frozenset(str(n) for n in names) if isinstance(names, list) else frozenset()

    def apply(self, record: R) -> R | None:
        return record.new_record(
            headers=tuple(h for h in record.headers if h.key not in self.names)
        )
