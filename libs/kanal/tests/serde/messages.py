"""Protobuf message classes for the serde tests, built from a descriptor at import time (no
generated code to keep in step): kanaltest.Order with a nested Line, and a second top-level
message so that index paths other than [0] occur; kanaltest.Shipment lives in a second file
that imports the first (a schema reference) and google/protobuf/timestamp.proto."""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2
from google.protobuf.message import Message

_F = descriptor_pb2.FieldDescriptorProto


def _field(
    message: descriptor_pb2.DescriptorProto,
    name: str,
    number: int,
    kind: int,
    *,
    repeated: bool = False,
    type_name: str = "",
) -> None:
    field = message.field.add(name=name, number=number, type=kind)
    if type_name:
        field.type_name = type_name
    field.label = _F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL


def _file() -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto(
        name="kanaltest/orders.proto", package="kanaltest", syntax="proto3"
    )
    customer = proto.message_type.add(name="Customer")
    _field(customer, "name", 1, _F.TYPE_STRING)
    order = proto.message_type.add(name="Order")
    line = order.nested_type.add(name="Line")
    _field(line, "sku", 1, _F.TYPE_STRING)
    _field(line, "quantity", 2, _F.TYPE_INT32)
    _field(order, "id", 1, _F.TYPE_INT64)
    _field(order, "customer", 2, _F.TYPE_STRING)
    _field(order, "total", 3, _F.TYPE_DOUBLE)
    _field(order, "tags", 4, _F.TYPE_STRING, repeated=True)
    _field(order, "lines", 5, _F.TYPE_MESSAGE, repeated=True, type_name=".kanaltest.Order.Line")
    return proto


def _importing_file() -> descriptor_pb2.FileDescriptorProto:
    """kanaltest/shipment.proto: imports the orders file and a well-known type."""
    proto = descriptor_pb2.FileDescriptorProto(
        name="kanaltest/shipment.proto",
        package="kanaltest",
        syntax="proto3",
        dependency=["kanaltest/orders.proto", "google/protobuf/timestamp.proto"],
    )
    shipment = proto.message_type.add(name="Shipment")
    _field(shipment, "order", 1, _F.TYPE_MESSAGE, type_name=".kanaltest.Order")
    _field(shipment, "at", 2, _F.TYPE_MESSAGE, type_name=".google.protobuf.Timestamp")
    return proto


_POOL = descriptor_pool.DescriptorPool()
_POOL.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
_POOL.Add(_file())
_POOL.Add(_importing_file())


def message_class(full_name: str) -> type[Message]:
    return message_factory.GetMessageClass(_POOL.FindMessageTypeByName(full_name))


Customer = message_class("kanaltest.Customer")
Order = message_class("kanaltest.Order")
OrderLine = message_class("kanaltest.Order.Line")
Shipment = message_class("kanaltest.Shipment")
