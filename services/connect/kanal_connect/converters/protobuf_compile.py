"""Registry .proto text to live message types: protoc (grpcio-tools, in process) compiles it.

A registered Protobuf schema is .proto source; reading records needs its descriptors. protoc is
the reference parser, so it resolves names, maps and options exactly as the writer's compiler
did. The schema and the files it references are written to a private temporary directory
(each is small: one schema's text) next to the files Confluent's registry treats as built in
(google/type/*, confluent/*), whose texts are below; protoc's own include path has the
google/protobuf/* ones. The resulting descriptor set goes into a fresh descriptor pool, so
schemas with the same type names but different shapes never meet.
"""

from __future__ import annotations

import importlib.resources
import tempfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import DecodeError, Message
from grpc_tools import protoc

from kanal_connect.errors import DataException

_ROOT_FILE = "schema.proto"
BUILT_IN_SOURCES = {
    "google/type/date.proto": """syntax = "proto3";
package google.type;
message Date { int32 year = 1; int32 month = 2; int32 day = 3; }
""",
    "google/type/timeofday.proto": """syntax = "proto3";
package google.type;
message TimeOfDay { int32 hours = 1; int32 minutes = 2; int32 seconds = 3; int32 nanos = 4; }
""",
    "confluent/type/decimal.proto": """syntax = "proto3";
package confluent.type;
message Decimal { bytes value = 1; uint32 precision = 2; int32 scale = 3; }
""",
    "confluent/meta.proto": """syntax = "proto3";
package confluent;
import "google/protobuf/descriptor.proto";
message Meta { string doc = 1; map<string, string> params = 2; repeated string tags = 3; }
extend google.protobuf.FileOptions { Meta file_meta = 1088; }
extend google.protobuf.MessageOptions { Meta message_meta = 1088; }
extend google.protobuf.FieldOptions { Meta field_meta = 1088; }
extend google.protobuf.EnumOptions { Meta enum_meta = 1088; }
extend google.protobuf.EnumValueOptions { Meta enum_value_meta = 1088; }
""",
}


class CompiledSchema:
    """One registered .proto file, compiled: its message types by full name and by
    Confluent's message-index path."""

    def __init__(self, files: descriptor_pb2.FileDescriptorSet) -> None:
        pool = descriptor_pool.DescriptorPool()
        for file in files.file:
            pool.Add(file)
        self.file = pool.FindFileByName(files.file[-1].name)
        self._classes: dict[str, type[Message]] = {}

    def descriptor_at(self, indexes: Sequence[int]) -> Descriptor:
        """The message type at a message-index path ([0] = the first top-level message)."""
        try:
            current: Descriptor = list(self.file.message_types_by_name.values())[indexes[0]]
            for index in indexes[1:]:
                current = current.nested_types[index]
        except IndexError:
            raise DataException(f"No message type at message indexes {list(indexes)}") from None
        return current

    def descriptor_named(self, full_name: str) -> Descriptor:
        try:
            return self.file.pool.FindMessageTypeByName(full_name)
        except KeyError:
            raise DataException(f"No message type {full_name} in the schema") from None

    def message_class(self, descriptor: Descriptor) -> type[Message]:
        found = self._classes.get(descriptor.full_name)
        if found is None:
            found = self._classes[descriptor.full_name] = message_factory.GetMessageClass(
                descriptor
            )
        return found

    def parse(self, descriptor: Descriptor, payload: bytes) -> Message:
        try:
            return self.message_class(descriptor).FromString(payload)
        except (DecodeError, RecursionError, ValueError) as error:
            raise DataException(
                f"bytes are not a {descriptor.full_name} message: {error}"
            ) from None


def message_indexes(descriptor: Descriptor) -> list[int]:
    """The message-index path of a message type inside its file."""
    path: list[int] = []
    current = descriptor
    while current.containing_type is not None:
        parent = current.containing_type
        path.append(list(parent.nested_types).index(current))
        current = parent
    path.append(list(current.file.message_types_by_name.values()).index(current))
    return path[::-1]


def compile_schema(text: str, references: Sequence[tuple[str, str]] = ()) -> CompiledSchema:
    """Compile .proto `text`; `references` are (import path, text) of the files it imports."""
    with tempfile.TemporaryDirectory(prefix="kanal-proto-") as directory:
        root = Path(directory)
        sources = dict(BUILT_IN_SOURCES) | dict(references) | {_ROOT_FILE: text}
        for name, source in sources.items():
            relative = PurePosixPath(name)
            if relative.is_absolute() or ".." in relative.parts:
                raise DataException(f"Unsafe Protobuf reference name {name!r}")
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(source, encoding="utf-8")
        output = root / "out.desc"
        include = importlib.resources.files("grpc_tools") / "_proto"
        status = protoc.main([
            "protoc", f"-I{root}", f"-I{include}", "--include_imports",
            f"--descriptor_set_out={output}", str(root / _ROOT_FILE),
        ])  # fmt: skip
        if status != 0 or not output.exists():
            raise DataException("Invalid Protobuf schema: protoc could not compile it")
        files = descriptor_pb2.FileDescriptorSet.FromString(output.read_bytes())
    return CompiledSchema(files)
