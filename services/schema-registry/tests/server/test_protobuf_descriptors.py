"""PROTOBUF schemas in Confluent's serialized form (a base64 FileDescriptorProto): read into
.proto text and written back, checked against the descriptors protoc itself builds."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_tools import protoc
from kanal_registry.errors import InvalidSchema
from kanal_registry.schema_types import SchemaReference, SchemaType, parse_schema
from kanal_registry.schemas.protobuf_descriptor_build import serialized_descriptor
from kanal_registry.schemas.protobuf_descriptor_text import (
    descriptor_from_base64,
    looks_serialized,
    proto_text,
)
from kanal_registry.schemas.protobuf_schema import ProtobufSchema

COMMON = """syntax = "proto3";
package acme.common;
message Money { int64 cents = 1; string currency = 2; }
enum Tier { TIER_UNSPECIFIED = 0; GOLD = 1; }
"""
ORDER = """syntax = "proto3";
package acme.orders;
import "acme/common.proto";
import "google/protobuf/timestamp.proto";
option java_package = "com.acme.orders";
message Order {
  reserved 20, 30 to 40;
  reserved "legacy";
  string id = 1 [deprecated = true];
  acme.common.Money total = 2;
  google.protobuf.Timestamp at = 3;
  optional int32 priority = 4;
  repeated string tags = 5;
  repeated int64 counts = 11 [packed = false];
  map<string, Line> lines = 6;
  map<int32, acme.common.Tier> tiers = 7;
  oneof payment { string card = 8; Transfer transfer = 9; }
  Status status = 10;
  message Line { int32 quantity = 1; acme.common.Money price = 2; }
  message Transfer { string iban = 1; }
  enum Status { STATUS_UNSPECIFIED = 0; OPEN = 1; CLOSED = 2; }
}
message Basket {
  message Item { int32 quantity = 1; }
  map<string, Item> items = 1;
  message Later { string note = 1; }
}
"""
LEGACY = """syntax = "proto2";
package acme.legacy;
message Old {
  required string id = 1;
  optional int32 count = 2 [default = 7];
  optional string label = 3 [default = "none"];
  repeated double xs = 4;
}
"""


def compiled(tmp_path: Path, files: dict[str, str]
             ) -> dict[str, descriptor_pb2.FileDescriptorProto]:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    out = tmp_path / "set.pb"
    include = Path(protoc.__file__).parent / "_proto"
    assert protoc.main(["protoc", f"-I{tmp_path}", f"-I{include}", "--include_imports",
                        f"--descriptor_set_out={out}", *files]) == 0
    found = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    return {f.name: f for f in found.file}


def shape(file: descriptor_pb2.FileDescriptorProto) -> dict[str, object]:
    """What a reader of the descriptor depends on: every message's fields and oneofs, enums,
    and the order of nested types (map entries included: message indexes count them)."""
    found: dict[str, object] = {}

    def walk(messages: list[descriptor_pb2.DescriptorProto], scope: str) -> None:
        for m in messages:
            full = f"{scope}.{m.name}"
            found[full] = (
                sorted((f.name, f.number, f.type, f.label, f.type_name, f.json_name,
                        f.oneof_index if f.HasField("oneof_index") else -1, f.proto3_optional,
                        f.default_value) for f in m.field),
                [o.name for o in m.oneof_decl], m.options.map_entry,
                sorted((r.start, r.end) for r in m.reserved_range), sorted(m.reserved_name),
                sorted((e.name, tuple((v.name, v.number) for v in e.value))
                       for e in m.enum_type),
                [n.name for n in m.nested_type])
            walk(list(m.nested_type), full)

    walk(list(file.message_type), "." + file.package)
    found["enums"] = sorted((e.name, tuple((v.name, v.number) for v in e.value))
                            for e in file.enum_type)
    found["imports"] = list(file.dependency)
    return found


def test_protocs_descriptors_survive_text_and_back(tmp_path: Path) -> None:
    files = compiled(tmp_path, {"acme/common.proto": COMMON, "acme/orders.proto": ORDER,
                                "acme/legacy.proto": LEGACY})
    common_text = proto_text(files["acme/common.proto"])
    reference = SchemaReference("acme/common.proto", "common", 1)
    for name, references in (("acme/common.proto", ()), ("acme/legacy.proto", ()),
                             ("acme/orders.proto", (reference,))):
        original = files[name]
        encoded = base64.b64encode(original.SerializeToString()).decode()
        assert looks_serialized(encoded)
        text = proto_text(descriptor_from_base64(encoded))
        assert not looks_serialized(text)
        parsed = parse_schema(SchemaType.PROTOBUF, text, references=references,
                              resolve=lambda subject, version: common_text)
        assert isinstance(parsed, ProtobufSchema)
        rebuilt = descriptor_from_base64(serialized_descriptor(parsed.tree, parsed.model,
                                                               name=name))
        assert shape(rebuilt) == shape(original), name

    pool = descriptor_pool.DescriptorPool()
    for name in ("google/protobuf/timestamp.proto", "acme/common.proto"):
        pool.Add(files[name])
    order = parse_schema(SchemaType.PROTOBUF, proto_text(files["acme/orders.proto"]),
                         references=[reference], resolve=lambda subject, version: common_text)
    assert isinstance(order, ProtobufSchema)
    pool.Add(descriptor_from_base64(serialized_descriptor(order.tree, order.model,
                                                          name="acme/orders.proto")))
    line = pool.FindMessageTypeByName("acme.orders.Order.Line")
    price = line.fields_by_name["price"].message_type
    assert price is not None and price.full_name == "acme.common.Money"


@pytest.mark.parametrize("text", ["QUJD!", "bm90IGEgZGVzY3JpcHRvcg=="])
def test_text_that_is_no_descriptor_is_an_invalid_schema(text: str) -> None:
    with pytest.raises(InvalidSchema):
        proto_text(descriptor_from_base64(text))


def test_proto_text_is_never_taken_for_base64() -> None:
    assert not looks_serialized(COMMON)
    assert not looks_serialized("message A {}")
    assert not looks_serialized("   ")
