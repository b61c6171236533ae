"""The .proto text printed from a descriptor compiles back (with protoc, from grpcio-tools) to
the same descriptor: every message, field, map, oneof, enum, reserved range and service."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2
from grpc_tools import protoc
from kanal.errors import SerializationError
from kanal.serde.proto_text import proto_text

from .messages import Order

RICH_PROTO3 = """
syntax = "proto3";
package shop.v1;
import "google/protobuf/timestamp.proto";
message Basket {
  enum State { STATE_UNSPECIFIED = 0; OPEN = 1; CLOSED = 2; reserved 5 to 7; reserved "OLD"; }
  message Item { string sku = 1; sint64 count = 2; }
  string id = 1;
  map<string, Item> items = 2;
  message Later { map<int32, string> labels = 1; }
  oneof owner { string user = 3; uint64 session = 4; }
  optional double discount = 5;
  repeated int32 codes = 6 [packed = false];
  State state = 7;
  google.protobuf.Timestamp created = 8;
  bytes blob = 9 [deprecated = true];
  reserved 10, 12 to 14;
  reserved "legacy";
}
enum Top { TOP_ZERO = 0; TOP_ONE = 1; }
service Shop { rpc Put (Basket) returns (stream Basket); }
"""
RICH_PROTO2 = """
syntax = "proto2";
package legacy;
message Row {
  required int32 id = 1;
  optional string name = 2 [default = "n\\"a"];
  optional float ratio = 3 [default = 0.5];
  optional Kind kind = 4 [default = B];
  repeated fixed64 marks = 5 [packed = true];
  enum Kind { A = 1; B = 2; }
}
"""


def compile_proto(tmp_path: Path, name: str, text: str) -> descriptor_pb2.FileDescriptorProto:
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(text)
    out = tmp_path / f"{name}.pb"
    include = Path(protoc.__file__).parent / "_proto"
    status = protoc.main(
        ["protoc", f"-I{tmp_path}", f"-I{include}", f"--descriptor_set_out={out}", name]
    )
    assert status == 0, f"protoc refused:\n{text}"
    files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file
    return files[-1]


def without_json_names(proto: descriptor_pb2.FileDescriptorProto) -> bytes:
    copy = descriptor_pb2.FileDescriptorProto()
    copy.CopyFrom(proto)

    def strip(message: descriptor_pb2.DescriptorProto) -> None:
        for field in message.field:
            field.ClearField("json_name")
        for nested in message.nested_type:
            strip(nested)

    for message in copy.message_type:
        strip(message)
    return copy.SerializeToString(deterministic=True)


@pytest.mark.parametrize("source", [RICH_PROTO3, RICH_PROTO2])
def test_printed_text_compiles_to_the_same_descriptor(tmp_path: Path, source: str) -> None:
    original = compile_proto(tmp_path, "original.proto", source)
    printed = proto_text(original)
    again = compile_proto(tmp_path, "original.proto", printed)
    assert without_json_names(again) == without_json_names(original), printed


def test_the_test_messages_print_and_compile(tmp_path: Path) -> None:
    proto = descriptor_pb2.FileDescriptorProto.FromString(Order.DESCRIPTOR.file.serialized_pb)
    again = compile_proto(tmp_path, "kanaltest/orders.proto", proto_text(proto))
    assert without_json_names(again) == without_json_names(proto)


def test_editions_are_refused() -> None:
    proto = descriptor_pb2.FileDescriptorProto(name="e.proto", syntax="editions")
    with pytest.raises(SerializationError, match="editions"):
        proto_text(proto)
