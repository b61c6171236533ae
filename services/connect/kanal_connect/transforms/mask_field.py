"""MaskField$Key / MaskField$Value: replace fields with a type's "null" value or a
replacement (Kafka's `maskWithNullValue` / `maskWithCustomReplacement`)."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping

from kanal_connect.config.definition import NO_DEFAULT, ConfigDef, ConfigType, Importance
from kanal_connect.config.validators import non_empty_list, non_empty_string
from kanal_connect.data import logical
from kanal_connect.errors import DataException
from kanal_connect.transforms.base import (
    R,
    Target,
    field_value,
    fill_struct,
    require_map,
    require_struct,
)
from kanal_connect.transforms.common_config import (
    REPLACE_NULL_WITH_DEFAULT,
    define_replace_null_with_default,
)

PURPOSE = "mask fields"


def config_def() -> ConfigDef:
    config = (
        ConfigDef()
        .define(
            "fields",
            ConfigType.LIST,
            NO_DEFAULT,
            Importance.HIGH,
            "Names of fields to mask.",
            validator=non_empty_list,
        )
        .define(
            "replacement",
            ConfigType.STRING,
            None,
            Importance.LOW,
            "Custom value replacement, that will be applied to all 'fields' values "
            "(numeric or non-empty string values only).",
            validator=non_empty_string,
        )
    )
    return define_replace_null_with_default(config)


def null_value_like(value: object) -> object:
    """The "empty" value of the same type: 0, false, "", empty list/map, the epoch."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0
    if isinstance(value, float):
        return 0.0
    if isinstance(value, decimal.Decimal):
        return decimal.Decimal(0)
    if isinstance(value, str):
        return ""
    if isinstance(value, list | tuple):
        return []
    if isinstance(value, dict):
        return {}
    if isinstance(value, dt.datetime):
        return logical.EPOCH
    if isinstance(value, dt.date):
        return dt.date(1970, 1, 1)
    if isinstance(value, dt.time):
        return dt.time(0)
    raise DataException(f"Cannot mask value of type: {type(value).__name__}")


def replaced_like(value: object, replacement: str) -> object:
    """`replacement` converted to the value's type (numbers and strings only)."""
    try:
        if isinstance(value, bool):
            raise DataException(
                f"Cannot mask value of type {type(value).__name__} with custom replacement."
            )
        if isinstance(value, int):
            return int(replacement.strip())
        if isinstance(value, float):
            return float(replacement)
        if isinstance(value, decimal.Decimal):
            return decimal.Decimal(replacement.strip())
    except (ValueError, decimal.InvalidOperation):
        raise DataException(
            f"Unable to convert {replacement} ({type(value).__name__}) to number"
        ) from None
    if isinstance(value, str):
        return replacement
    raise DataException(
        f"Cannot mask value of type {type(value).__name__} with custom replacement."
    )


class MaskField:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.fields: set[str] = set()
        self.replacement: str | None = None
        self.replace_null_with_default = True

    def config_def(self) -> ConfigDef:
        return config_def()

    def configure(self, configs: Mapping[str, object]) -> None:
        parsed = config_def().parse(configs)
        fields = parsed["fields"]
        self.fields = {str(f) for f in fields} if isinstance(fields, list) else set()
        replacement = parsed["replacement"]
        self.replacement = replacement if isinstance(replacement, str) else None
        self.replace_null_with_default = bool(parsed[REPLACE_NULL_WITH_DEFAULT])

    def masked(self, value: object) -> object:
        if value is None:
            return None
        if self.replacement is None:
            return null_value_like(value)
        return replaced_like(value, self.replacement)

    def apply(self, record: R) -> R | None:
        # Kafka's MaskField does not pass tombstones: a null value fails requireMap/Struct.
        value = self.target.value_of(record)
        schema = self.target.schema_of(record)
        if schema is None:
            source = require_map(value, PURPOSE)
            updated = dict(source)
            for name in self.fields:
                updated[name] = self.masked(source.get(name))
            return self.target.replace(record, None, updated)
        struct = require_struct(value, PURPOSE)
        values = {}
        for name, _ in struct.items():
            current = field_value(struct, name, self.replace_null_with_default)
            values[name] = self.masked(current) if name in self.fields else current
        return self.target.replace(record, schema, fill_struct(struct.schema, values))
