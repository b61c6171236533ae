"""Connect values into Protobuf messages and back, as Confluent's `ProtobufData` converts them.

Structs fill messages field by field (by name); a null leaves the field unset, so a proto3
scalar reads back as its zero value (Confluent behaves the same without wrappers). Empty
lists are left out. Logical types become their well-known messages:

    Timestamp  google.protobuf.Timestamp {seconds, nanos}    (epoch milliseconds)
    Date       google.type.Date {year, month, day}
    Time       google.type.TimeOfDay {hours, minutes, seconds, nanos}
    Decimal    confluent.type.Decimal {value: unscaled big-endian two's complement,
               precision, scale}
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any, cast

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from kanal_connect.converters.protobuf_data import (
    ENUM_PARAMETER,
    UNION_PREFIX,
    enum_type_of,
    field_named,
    message_type_of,
)
from kanal_connect.data import logical
from kanal_connect.data.schema import Schema, SchemaType
from kanal_connect.data.structs import Struct
from kanal_connect.errors import DataException

_NANOS_PER_MILLI = 1_000_000
_INT64_SPAN = 2**64
_UNSIGNED_64 = (FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64)
# The Python classes each scalar field takes from Connect (integers: int, never bool).
_PYTHON_TYPES: dict[int, tuple[type, ...]] = {
    FieldDescriptor.TYPE_BOOL: (bool,),
    FieldDescriptor.TYPE_FLOAT: (float,),
    FieldDescriptor.TYPE_DOUBLE: (float,),
    FieldDescriptor.TYPE_STRING: (str,),
    FieldDescriptor.TYPE_BYTES: (bytes, bytearray),
}


def fill_message(target: Message, schema: Schema, value: object) -> None:
    """Write a non-null Connect value (a struct, a logical value or a wrapped primitive)
    into `target`, whose type the schema was mapped to."""
    name = schema.name
    if name == logical.TIMESTAMP_NAME and isinstance(value, dt.datetime):
        seconds, millis = divmod(logical.timestamp_to_millis(value), 1000)
        _set_fields(target, seconds=seconds, nanos=millis * _NANOS_PER_MILLI)
    elif name == logical.DATE_NAME and isinstance(value, dt.date):
        day = logical.date_from_days(logical.date_to_days(value))
        _set_fields(target, year=day.year, month=day.month, day=day.day)
    elif name == logical.TIME_NAME and isinstance(value, dt.time):
        millis = logical.time_to_millis(value)
        _set_fields(target, hours=value.hour, minutes=value.minute, seconds=value.second,
                    nanos=(millis % 1000) * _NANOS_PER_MILLI)
    elif name == logical.DECIMAL_NAME and isinstance(value, decimal.Decimal):
        _fill_decimal(target, value)
    elif schema.type is SchemaType.STRUCT and isinstance(value, Struct):
        _fill_struct(target, schema, value)
    elif schema.type.is_primitive and name not in logical.LOGICAL_NAMES:
        _set_scalar(target, _field(_descriptor(target), "value"), schema, value)
    else:
        raise DataException(f"Invalid type for {schema.type.name}: {type(value).__name__}")
    target.SetInParent()


def _set_fields(target: Message, **values: int) -> None:
    for field_name, number in values.items():
        setattr(target, field_name, number)


def _fill_decimal(target: Message, value: decimal.Decimal) -> None:
    if not value.is_finite():
        raise DataException(f"Decimal value {value} is not finite")
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    unscaled = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    length = (unscaled + (unscaled < 0)).bit_length() // 8 + 1
    target.value = unscaled.to_bytes(length, "big", signed=True)  # type: ignore[attr-defined]
    target.precision = len(digits)  # type: ignore[attr-defined]
    target.scale = -exponent  # type: ignore[attr-defined]


def _fill_struct(target: Message, schema: Schema, value: Struct) -> None:
    for connect_field in schema.fields:
        item = value.get(connect_field.name)
        if item is None:
            continue
        if (connect_field.schema.name or "").startswith(UNION_PREFIX):
            assert isinstance(item, Struct)
            _fill_struct(target, connect_field.schema, item)
            continue
        proto = field_named(_descriptor(target), connect_field.name)
        if proto is None:
            raise DataException(f"Cannot find field with name {connect_field.name}")
        _set(target, proto, connect_field.schema, item)


def _set(target: Message, proto: FieldDescriptor, schema: Schema, value: object) -> None:
    if proto.is_repeated and schema.type is SchemaType.MAP:
        _set_map(target, proto, schema, value)
    elif proto.is_repeated:
        if not isinstance(value, list | tuple) or schema.value_schema is None:
            raise DataException(f"Invalid type for ARRAY: {type(value).__name__}")
        container: Any = getattr(target, proto.name)
        for item in value:
            if item is None:
                raise DataException(f"{proto.name}: a repeated field cannot hold null")
            if proto.type == FieldDescriptor.TYPE_MESSAGE:
                fill_message(container.add(), schema.value_schema, item)
            else:
                container.append(_scalar(proto, schema.value_schema, item))
    elif proto.type == FieldDescriptor.TYPE_MESSAGE:
        fill_message(getattr(target, proto.name), schema, value)
    else:
        _set_scalar(target, proto, schema, value)


def _set_map(target: Message, proto: FieldDescriptor, schema: Schema, value: object) -> None:
    assert schema.key_schema is not None and schema.value_schema is not None
    if not isinstance(value, dict):
        raise DataException(f"Invalid type for MAP: {type(value).__name__}")
    entry_type = message_type_of(proto)
    key_field, value_field = entry_type.fields
    container: Any = getattr(target, proto.name)
    for key, item in value.items():
        if key is None or item is None:
            raise DataException(f"{proto.name}: map keys and values cannot be null")
        if entry_type.GetOptions().map_entry:
            converted_key = _scalar(key_field, schema.key_schema, key)
            if value_field.type == FieldDescriptor.TYPE_MESSAGE:
                fill_message(container[converted_key], schema.value_schema, item)
            else:
                container[converted_key] = _scalar(value_field, schema.value_schema, item)
        else:
            entry = container.add()
            _set(entry, key_field, schema.key_schema, key)
            _set(entry, value_field, schema.value_schema, item)


def _set_scalar(target: Message, proto: FieldDescriptor, schema: Schema, value: object) -> None:
    try:
        setattr(target, proto.name, _scalar(proto, schema, value))
    except (TypeError, ValueError) as error:
        raise DataException(f"Invalid value for {proto.name}: {error}") from None


def _scalar(proto: FieldDescriptor, schema: Schema, value: object) -> object:
    if proto.type == FieldDescriptor.TYPE_ENUM:
        number = (schema.parameters or {}).get(f"{ENUM_PARAMETER}.{value}")
        if number is None:
            raise DataException(f"{value!r} is not a symbol of enum {enum_type_of(proto).name}")
        return int(number)
    accepted = _PYTHON_TYPES.get(proto.type, (int,))
    if not isinstance(value, accepted) or (isinstance(value, bool) and bool not in accepted):
        raise DataException(f"Invalid value for {proto.name}: {type(value).__name__}")
    if proto.type in _UNSIGNED_64 and isinstance(value, int) and value < 0:
        return value + _INT64_SPAN  # the Java long's bits, as read
    return bytes(value) if isinstance(value, bytearray) else value


# ---- Protobuf -> Connect ---------------------------------------------------------------------


def struct_from_message(schema: Schema, message: Message) -> Struct:
    """The Connect struct of a message, for the schema `connect_schema` made of its type."""
    values: list[object] = []
    for connect_field in schema.fields:
        field_schema = connect_field.schema
        if (field_schema.name or "").startswith(UNION_PREFIX):
            values.append(_union(field_schema, message))
            continue
        values.append(_get(message, _field(_descriptor(message), connect_field.name), field_schema))
    return Struct.trusted(schema, values)


def _union(schema: Schema, message: Message) -> Struct | None:
    assert schema.name is not None
    chosen = message.WhichOneof(schema.name[len(UNION_PREFIX):])
    if chosen is None:
        return None
    proto = _field(_descriptor(message), chosen)
    return Struct.trusted(schema, [
        _get(message, proto, f.schema) if f.name == chosen else None for f in schema.fields
    ])  # fmt: skip


def _get(message: Message, proto: FieldDescriptor, schema: Schema) -> object:
    raw: Any = getattr(message, proto.name)
    if proto.is_repeated and schema.type is SchemaType.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        entry_type = message_type_of(proto)
        key_field, value_field = entry_type.fields
        if entry_type.GetOptions().map_entry:
            pairs = list(raw.items())
        else:
            pairs = [(e.key, e.value) for e in raw]
        return {
            _read(key_field, schema.key_schema, k): _read(value_field, schema.value_schema, v)
            for k, v in pairs
        }
    if proto.is_repeated:
        assert schema.value_schema is not None
        return [_read(proto, schema.value_schema, item) for item in raw]
    if proto.has_presence and not message.HasField(proto.name):
        return None  # an unset message, oneof member or proto3 `optional` scalar
    return _read(proto, schema, raw)


def _read(proto: FieldDescriptor, schema: Schema, raw: Any) -> object:
    if proto.type == FieldDescriptor.TYPE_ENUM:
        symbol = enum_type_of(proto).values_by_number.get(raw)
        return symbol.name if symbol is not None else str(raw)
    if proto.type != FieldDescriptor.TYPE_MESSAGE:
        if proto.type in _UNSIGNED_64:
            return raw - _INT64_SPAN if raw >= _INT64_SPAN // 2 else raw  # Java's long
        return raw
    return message_value(schema, raw)


def message_value(schema: Schema, message: Message) -> object:
    """The Connect value a (present) message field holds."""
    name = schema.name
    fields: Any = message
    if name == logical.TIMESTAMP_NAME:
        millis = fields.seconds * 1000 + fields.nanos // _NANOS_PER_MILLI
        return logical.timestamp_from_millis(millis)
    if name == logical.DATE_NAME:
        try:
            return dt.date(fields.year, fields.month, fields.day)
        except ValueError as error:
            raise DataException(f"Invalid google.type.Date: {error}") from None
    if name == logical.TIME_NAME:
        millis = ((fields.hours * 60 + fields.minutes) * 60 + fields.seconds) * 1000
        return logical.time_from_millis(millis + fields.nanos // _NANOS_PER_MILLI)
    if name == logical.DECIMAL_NAME:
        unscaled = int.from_bytes(fields.value, "big", signed=True)
        return decimal.Decimal(unscaled).scaleb(-fields.scale)
    if schema.type is SchemaType.STRUCT:
        return struct_from_message(schema, message)
    if schema.type is SchemaType.INT64 and fields.DESCRIPTOR.name == "UInt64Value":
        return _read(_field(_descriptor(fields), "value"), schema, fields.value)
    return fields.value  # a google.protobuf wrapper


def _field(message: Descriptor, name: str) -> FieldDescriptor:
    found = field_named(message, name)
    if found is None:
        raise DataException(f"{message.full_name} has no field {name}")
    return found


def _descriptor(message: Message) -> Descriptor:
    return cast(Descriptor, message.DESCRIPTOR)
