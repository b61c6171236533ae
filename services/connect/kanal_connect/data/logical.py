"""Kafka Connect's logical types: Decimal, Date, Time and Timestamp.

Each is a primitive schema carrying a well-known name (and version 1). In Python their values
are `decimal.Decimal`, `datetime.date`, `datetime.time` and a UTC `datetime.datetime`; on the
wire they are the primitive encodings Kafka uses:

    Decimal    BYTES  big-endian two's-complement unscaled value; parameter "scale"
    Date       INT32  days since 1970-01-01
    Time       INT32  milliseconds since midnight
    Timestamp  INT64  milliseconds since the Unix epoch (UTC)
"""

from __future__ import annotations

import datetime as dt
import decimal

from kanal_connect.data.schema import Schema, SchemaType
from kanal_connect.errors import DataException

DECIMAL_NAME = "org.apache.kafka.connect.data.Decimal"
DATE_NAME = "org.apache.kafka.connect.data.Date"
TIME_NAME = "org.apache.kafka.connect.data.Time"
TIMESTAMP_NAME = "org.apache.kafka.connect.data.Timestamp"
SCALE_PARAMETER = "scale"

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_DATE = dt.date(1970, 1, 1)
_MS_PER_DAY = 86_400_000


def decimal_schema(scale: int, *, optional: bool = False) -> Schema:
    return Schema(
        SchemaType.BYTES,
        optional=optional,
        name=DECIMAL_NAME,
        version=1,
        parameters={SCALE_PARAMETER: str(scale)},
    )


def date_schema(*, optional: bool = False) -> Schema:
    return Schema(SchemaType.INT32, optional=optional, name=DATE_NAME, version=1)


def time_schema(*, optional: bool = False) -> Schema:
    return Schema(SchemaType.INT32, optional=optional, name=TIME_NAME, version=1)


def timestamp_schema(*, optional: bool = False) -> Schema:
    return Schema(SchemaType.INT64, optional=optional, name=TIMESTAMP_NAME, version=1)


DATE = date_schema()
TIME = time_schema()
TIMESTAMP = timestamp_schema()
OPTIONAL_DATE = date_schema(optional=True)
OPTIONAL_TIME = time_schema(optional=True)
OPTIONAL_TIMESTAMP = timestamp_schema(optional=True)

LOGICAL_NAMES = frozenset({DECIMAL_NAME, DATE_NAME, TIME_NAME, TIMESTAMP_NAME})


def decimal_scale(schema: Schema) -> int:
    text = (schema.parameters or {}).get(SCALE_PARAMETER)
    if text is None:
        raise DataException("Invalid Decimal schema: scale parameter not found.")
    try:
        return int(text)
    except ValueError:
        raise DataException(f"Invalid Decimal schema: scale parameter {text!r}") from None


def decimal_to_bytes(schema: Schema, value: decimal.Decimal) -> bytes:
    """Kafka's `Decimal.fromLogical`: the unscaled value, which must have the schema's scale."""
    scale = decimal_scale(schema)
    if not value.is_finite():
        raise DataException(f"Decimal value {value} is not finite")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent != scale:
        raise DataException(
            f"Decimal value has mismatching scale for given Decimal schema: "
            f"expected {scale}, got {-exponent}"
        )
    unscaled = int(value.scaleb(scale))
    length = (unscaled + (unscaled < 0)).bit_length() // 8 + 1
    return unscaled.to_bytes(length, "big", signed=True)


def decimal_from_bytes(schema: Schema, raw: bytes) -> decimal.Decimal:
    if not raw:
        raise DataException("Invalid Decimal bytes: empty")
    unscaled = int.from_bytes(raw, "big", signed=True)
    return decimal.Decimal(unscaled).scaleb(-decimal_scale(schema))


def date_to_days(value: dt.date) -> int:
    """Kafka's `Date.fromLogical`; a datetime must fall exactly on midnight UTC."""
    if isinstance(value, dt.datetime):
        millis = timestamp_to_millis(value)
        if millis % _MS_PER_DAY:
            raise DataException(
                "Kafka Connect Date type should not have any time fields set to non-zero values."
            )
        return millis // _MS_PER_DAY
    return (value - _EPOCH_DATE).days


def date_from_days(days: int) -> dt.date:
    try:
        return _EPOCH_DATE + dt.timedelta(days=days)
    except OverflowError:
        raise DataException(f"Date {days} days from the epoch is out of range") from None


def time_to_millis(value: dt.time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1000 + value.microsecond // 1000


def time_from_millis(millis: int) -> dt.time:
    if not 0 <= millis < _MS_PER_DAY:
        raise DataException(
            "Kafka Connect Time type should not have any date fields set to non-zero values."
        )
    seconds, ms = divmod(millis, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return dt.time(hour, minute, second, ms * 1000)


def timestamp_to_millis(value: dt.datetime) -> int:
    """Milliseconds since the epoch; a naive datetime is taken as UTC (Connect has no zones)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    delta = aware - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def timestamp_from_millis(millis: int) -> dt.datetime:
    try:
        return EPOCH + dt.timedelta(milliseconds=millis)
    except OverflowError:
        raise DataException(f"Timestamp {millis} ms from the epoch is out of range") from None
