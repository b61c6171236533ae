"""TimestampConverter$Key / $Value: convert a timestamp field (or the whole value) between
Unix epoch numbers, formatted strings, and Connect's Date, Time and Timestamp types."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from kanal_connect.config.definition import NO_DEFAULT, ConfigDef, ConfigType, Importance
from kanal_connect.config.validators import one_of
from kanal_connect.data import logical
from kanal_connect.data.schema import (
    INT64,
    OPTIONAL_INT64,
    OPTIONAL_STRING,
    STRING,
    Schema,
    SchemaType,
)
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
from kanal_connect.transforms.java_date_format import JavaDateFormat

PURPOSE = "converting timestamp formats"
TYPES = ("string", "unix", "Date", "Time", "Timestamp")
# unix.precision -> (milliseconds per unit as a fraction numerator, denominator)
_PRECISIONS = {
    "seconds": (1000, 1),
    "milliseconds": (1, 1),
    "microseconds": (1, 1000),
    "nanoseconds": (1, 1_000_000),
}
_INT64_MAX = 2**63 - 1


def config_def() -> ConfigDef:
    config = (
        ConfigDef()
        .define(
            "field",
            ConfigType.STRING,
            "",
            Importance.HIGH,
            "The field containing the timestamp, or empty if the entire value is a timestamp",
        )
        .define(
            "target.type",
            ConfigType.STRING,
            NO_DEFAULT,
            Importance.HIGH,
            "The desired timestamp representation: string, unix, Date, Time, or Timestamp",
            validator=one_of(*TYPES),
        )
        .define(
            "format",
            ConfigType.STRING,
            "",
            Importance.MEDIUM,
            "A SimpleDateFormat-compatible format for the timestamp. Used to generate the "
            "output when type=string or used to parse the input if the input is a string.",
        )
        .define(
            "unix.precision",
            ConfigType.STRING,
            "milliseconds",
            Importance.LOW,
            "The desired Unix precision for the timestamp: seconds, milliseconds, "
            "microseconds, or nanoseconds. Used to generate the output when type=unix or used "
            "to parse the input if the input is a Long.Note: This SMT will cause precision "
            "loss during conversions from, and to, values with sub-millisecond components.",
            validator=one_of("nanoseconds", "microseconds", "milliseconds", "seconds"),
        )
    )
    return define_replace_null_with_default(config)


def _trunc_div(a: int, b: int) -> int:
    """Java's integer division (toward zero), as TimeUnit conversions use."""
    quotient = abs(a) // b
    return quotient if a >= 0 else -quotient


class TimestampConverter:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.field = ""
        self.type = "Timestamp"
        self.format: JavaDateFormat | None = None
        self.precision = "milliseconds"
        self.replace_null_with_default = True
        self._schemas: dict[Schema, Schema] = {}

    def config_def(self) -> ConfigDef:
        return config_def()

    def configure(self, configs: Mapping[str, object]) -> None:
        parsed = config_def().parse(configs)
        self.field = str(parsed["field"])
        self.type = str(parsed["target.type"])
        self.precision = str(parsed["unix.precision"])
        self.replace_null_with_default = bool(parsed[REPLACE_NULL_WITH_DEFAULT])
        pattern = str(parsed["format"])
        if self.type == "string" and not pattern.strip():
            raise InvalidConnectorConfig(
                "TimestampConverter requires format option to "
                "be specified when using string timestamps",
                {
                    "format": [
                        "TimestampConverter requires format option to "
                        "be specified when using string timestamps"
                    ]
                },
            )
        try:
            self.format = JavaDateFormat(pattern) if pattern.strip() else None
        except ValueError as error:
            raise InvalidConnectorConfig.for_value(
                "format",
                pattern,
                "TimestampConverter requires a SimpleDateFormat-compatible "
                f"pattern for string timestamps: {error}",
            ) from None
        self._schemas.clear()

    def apply(self, record: R) -> R | None:
        value = self.target.value_of(record)
        schema = self.target.schema_of(record)
        if schema is None:
            if value is None or not self.field:
                return self.target.replace(record, None, self.convert(value, None))
            updated = dict(require_map(value, PURPOSE))
            updated[self.field] = self.convert(updated.get(self.field), None)
            return self.target.replace(record, None, updated)
        if not self.field:
            return self.target.replace(
                record,
                self.type_schema(schema.optional),
                self.convert(value, self.type_from_schema(schema)),
            )
        new_schema = self._schemas.get(schema)
        if new_schema is None:
            fields = [
                (f.name, self.type_schema(f.schema.optional) if f.name == self.field else f.schema)
                for f in schema.fields
            ]
            new_schema = self._schemas[schema] = struct_schema_like(
                schema, fields, optional=schema.optional
            )
        if value is None:
            return self.target.replace(record, new_schema, None)
        struct = require_struct(value, PURPOSE)
        values = {}
        for f in struct.schema.fields:
            current = field_value(struct, f.name, self.replace_null_with_default)
            values[f.name] = (
                self.convert(current, self.type_from_schema(f.schema))
                if f.name == self.field
                else current
            )
        return self.target.replace(record, new_schema, fill_struct(new_schema, values))

    def type_schema(self, optional: bool) -> Schema:
        return {
            "string": OPTIONAL_STRING if optional else STRING,
            "unix": OPTIONAL_INT64 if optional else INT64,
            "Date": logical.date_schema(optional=optional),
            "Time": logical.time_schema(optional=optional),
            "Timestamp": logical.timestamp_schema(optional=optional),
        }[self.type]

    @staticmethod
    def type_from_schema(schema: Schema) -> str:
        by_name = {
            logical.TIMESTAMP_NAME: "Timestamp",
            logical.DATE_NAME: "Date",
            logical.TIME_NAME: "Time",
        }
        if schema.name in by_name:
            return by_name[schema.name]
        if schema.type is SchemaType.STRING:
            return "string"
        if schema.type is SchemaType.INT64:
            return "unix"
        raise DataException(f"Schema {schema} does not correspond to a known timestamp type format")

    def convert(self, value: object, source_type: str | None) -> object:
        if value is None:
            return None
        return self._to_type(self._to_raw(value, source_type or self._infer(value)))

    @staticmethod
    def _infer(value: object) -> str:
        if isinstance(value, dt.datetime):
            return "Timestamp"
        if isinstance(value, dt.date):
            return "Date"
        if isinstance(value, dt.time):
            return "Time"
        if isinstance(value, int) and not isinstance(value, bool):
            return "unix"
        if isinstance(value, str):
            return "string"
        raise DataException(
            f"TimestampConverter does not support {type(value).__name__} objects as timestamps"
        )

    def _to_raw(self, value: object, source_type: str) -> dt.datetime:
        """The instant as a UTC datetime at millisecond precision (Java's `Date`)."""
        if source_type == "string":
            if not isinstance(value, str) or self.format is None:
                raise DataException(
                    f"Expected string timestamp to be a String, but found {type(value).__name__}"
                )
            try:
                return self.format.parse(value)
            except (ValueError, OverflowError):
                raise DataException(
                    f"Could not parse timestamp: value ({value}) "
                    f"does not match pattern ({self.format.pattern})"
                ) from None
        if source_type == "unix":
            if not isinstance(value, int) or isinstance(value, bool):
                raise DataException(
                    f"Expected Unix timestamp to be a Long, but found {type(value).__name__}"
                )
            multiply, divide = _PRECISIONS[self.precision]
            return logical.timestamp_from_millis(_trunc_div(value * multiply, divide))
        if isinstance(value, dt.datetime):
            return logical.timestamp_from_millis(logical.timestamp_to_millis(value))
        if isinstance(value, dt.date):
            return logical.timestamp_from_millis(logical.date_to_days(value) * 86_400_000)
        if isinstance(value, dt.time):
            return logical.timestamp_from_millis(logical.time_to_millis(value))
        raise DataException(
            f"Expected {source_type} to be a java.util.Date, but found {type(value).__name__}"
        )

    def _to_type(self, moment: dt.datetime) -> object:
        if self.type == "string":
            assert self.format is not None
            return self.format.format(moment)
        if self.type == "unix":
            millis = logical.timestamp_to_millis(moment)
            divide, multiply = _PRECISIONS[self.precision]
            # TimeUnit.MILLISECONDS.toMicros/toNanos saturate at Long.MAX_VALUE.
            scaled = _trunc_div(millis * multiply, divide)
            return max(-_INT64_MAX - 1, min(_INT64_MAX, scaled))
        if self.type == "Date":
            return moment.date()
        if self.type == "Time":
            return moment.time().replace(tzinfo=None)
        return moment
