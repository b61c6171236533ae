"""Our .proto validation against protoc's: both accept or both reject the same file.

protoc (from grpcio-tools, already a development dependency for the project's stubs) is the
reference implementation; `proto_schema_parser` plus `protobuf_model` must agree with it on
every generated file, whether it breaks grammar or semantics (numbers, names, labels, types),
and on the message indexes of what it accepts (Confluent's wire format names messages by them).
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from google.protobuf import descriptor_pb2
from grpc_tools import protoc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kanal_registry.errors import InvalidSchema
from kanal_registry.schema_types import SchemaType, parse_schema
from kanal_registry.schemas.protobuf_schema import ProtobufSchema

from .schema_strategies import proto_files, proto_texts

WELL_KNOWN_INCLUDE = str(importlib.resources.files("grpc_tools") / "_proto")


def protoc_accepts(text: str, workdir: Path) -> bool:
    (workdir / "schema.proto").write_text(text)
    arguments = [
        "protoc",
        f"-I{workdir}",
        f"-I{WELL_KNOWN_INCLUDE}",
        f"--descriptor_set_out={workdir / 'schema.pb'}",
        "schema.proto",
    ]
    return bool(protoc.main(arguments) == 0)


def registry_accepts(text: str) -> bool:
    try:
        parse_schema(SchemaType.PROTOBUF, text)
    except InvalidSchema:
        return False
    return True


def protoc_message_indexes(workdir: Path) -> dict[str, tuple[int, ...]]:
    """Each message's full name and index path, from the descriptor protoc wrote."""
    descriptors = descriptor_pb2.FileDescriptorSet.FromString((workdir / "schema.pb").read_bytes())
    file = descriptors.file[0]
    found: dict[str, tuple[int, ...]] = {}
    pending: list[tuple[descriptor_pb2.DescriptorProto, str, tuple[int, ...]]] = [
        (message, file.package, (index,)) for index, message in enumerate(file.message_type)
    ]
    while pending:
        message, scope, path = pending.pop()
        name = f"{scope}.{message.name}" if scope else message.name
        found[name] = path
        pending.extend((nested, name, (*path, i)) for i, nested in enumerate(message.nested_type))
    return found


PROTOC_CHECK = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
NESTING = """
syntax = "proto2";
package shop;
message Order {
  message Line { optional int32 qty = 1; message Tax { optional int32 rate = 1; } }
  optional group Gift = 2 { optional string note = 1; message Wrap { optional int32 id = 1; } }
  enum Kind { A = 0; }
  message Payment { optional int64 cents = 1; }
}
message Refund { optional Order.Gift gift = 1; message Reason { optional string text = 1; } }
"""


@PROTOC_CHECK
@given(st.one_of(proto_files(), proto_texts()))
def test_the_registry_accepts_exactly_what_protoc_accepts(tmp_path: Path, text: str) -> None:
    assert registry_accepts(text) == protoc_accepts(text, tmp_path), text


@PROTOC_CHECK
@given(st.one_of(st.just(NESTING), proto_files(), proto_texts()))
def test_message_indexes_match_protocs_descriptor(tmp_path: Path, text: str) -> None:
    if not protoc_accepts(text, tmp_path):
        return
    schema = parse_schema(SchemaType.PROTOBUF, text)
    assert isinstance(schema, ProtobufSchema)
    ours = {name: schema.message_indexes(name) for name in schema.message_names()}
    assert ours == protoc_message_indexes(tmp_path)
