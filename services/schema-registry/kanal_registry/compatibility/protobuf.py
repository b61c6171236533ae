"""Protobuf compatibility: Confluent's rules, which follow what the binary encoding tolerates.

Compatible: adding or removing optional fields and messages' fields, renaming fields (the wire
carries numbers, not names), enum changes, adding a oneof, moving one field into a oneof, and
changing a scalar within an encoding group (varint int32/uint32/int64/uint64/bool, zigzag
sint32/sint64, length-delimited string/bytes, fixed32/sfixed32, fixed64/sfixed64), or a numeric
field between singular and repeated (packed and unpacked encodings read both ways).

Incompatible: a changed package; a removed message; a field number reused with another kind,
scalar group or named type; a required field added or removed (proto2); a field removed from a
oneof; several existing fields moved into one new oneof; string/bytes or message fields changed
between singular and repeated.

Messages are matched by name relative to the package, so a package rename is reported once.
"""

from __future__ import annotations

from kanal_registry.compatibility.reasons import Roles, reason
from kanal_registry.schemas.protobuf_model import FieldKind, ProtoField, ProtoFile, ProtoMessage

_SCALAR_GROUPS = (
    frozenset({"int32", "uint32", "int64", "uint64", "bool"}),
    frozenset({"sint32", "sint64"}),
    frozenset({"string", "bytes"}),
    frozenset({"fixed32", "sfixed32"}),
    frozenset({"fixed64", "sfixed64"}),
)
_NUMERIC_SCALARS = frozenset().union(*_SCALAR_GROUPS) - {"string", "bytes"}


def protobuf_incompatibilities(*, reader: ProtoFile, writer: ProtoFile, roles: Roles) -> list[str]:
    """Why messages encoded with `writer` cannot be decoded with `reader`; [] when they can."""
    return _ProtoComparison(reader, writer, roles).run()


class _ProtoComparison:
    def __init__(self, reader: ProtoFile, writer: ProtoFile, roles: Roles) -> None:
        self.reader, self.writer, self.roles = reader, writer, roles
        self.reasons: list[str] = []

    def report(self, error_type: str, path: str, description: str) -> None:
        text = description.format(reader=self.roles.reader, writer=self.roles.writer)
        self.reasons.append(reason(error_type, text, path=path))

    def run(self) -> list[str]:
        if self.reader.package != self.writer.package:
            self.report(
                "PACKAGE_CHANGED",
                "#/",
                f"the package is {self.writer.package!r} in the {{writer}} schema "
                f"and {self.reader.package!r} in the {{reader}} schema",
            )
        reader_messages = _by_relative_name(self.reader)
        for name, writer_message in _by_relative_name(self.writer).items():
            reader_message = reader_messages.get(name)
            if reader_message is None:
                self.report(
                    "MESSAGE_REMOVED",
                    f"#/{name}",
                    "the {reader} schema has no message of this name",
                )
            else:
                self._message(name, reader_message, writer_message)
        return self.reasons

    def _message(self, name: str, reader: ProtoMessage, writer: ProtoMessage) -> None:
        for number, writer_field in writer.fields.items():
            path = f"#/{name}/{number}"
            reader_field = reader.fields.get(number)
            if reader_field is None:
                self._field_removed(writer_field, path)
            else:
                self._field_changed(reader_field, writer_field, path)
        for number, reader_field in reader.fields.items():
            if number not in writer.fields and reader_field.label == "required":
                self.report(
                    "REQUIRED_FIELD_ADDED",
                    f"#/{name}/{number}",
                    "the {reader} schema adds required field " + repr(reader_field.name),
                )
        self._oneof_moves(name, reader, writer)

    def _field_removed(self, field: ProtoField, path: str) -> None:
        if field.label == "required":
            self.report(
                "REQUIRED_FIELD_REMOVED",
                path,
                f"required field {field.name!r} of the {{writer}} schema is gone",
            )
        elif field.oneof is not None:
            self.report(
                "ONEOF_FIELD_REMOVED", path, f"field {field.name!r} left oneof {field.oneof!r}"
            )

    def _field_changed(self, reader: ProtoField, writer: ProtoField, path: str) -> None:
        if (reader.label == "required") != (writer.label == "required"):
            kind = (
                "REQUIRED_FIELD_ADDED" if reader.label == "required" else "REQUIRED_FIELD_REMOVED"
            )
            self.report(
                kind, path, f"field {reader.name!r} changed between required and not required"
            )
        if reader.kind != writer.kind:
            self.report(
                "FIELD_KIND_CHANGED",
                path,
                f"field number {reader.number} is a {writer.kind} in the {{writer}} schema "
                f"and a {reader.kind} in the {{reader}} schema",
            )
            return
        if reader.kind is FieldKind.SCALAR:
            if reader.type_name != writer.type_name and not _same_group(
                reader.type_name, writer.type_name
            ):
                self.report(
                    "FIELD_SCALAR_KIND_CHANGED",
                    path,
                    f"field number {reader.number} changed from {writer.type_name} to "
                    f"{reader.type_name}, which encode differently",
                )
        elif self._relative(reader.type_name, self.reader) != self._relative(
            writer.type_name, self.writer
        ):
            self.report(
                "FIELD_NAMED_TYPE_CHANGED",
                path,
                f"field number {reader.number} changed type from "
                f"{writer.type_name} to {reader.type_name}",
            )
        if (reader.label == "repeated") != (writer.label == "repeated"):
            self._label_changed(reader, path)

    def _label_changed(self, field: ProtoField, path: str) -> None:
        if field.kind is FieldKind.ENUM or field.type_name in _NUMERIC_SCALARS:
            return
        if field.type_name in ("string", "bytes"):
            self.report(
                "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
                path,
                f"field {field.name!r} changed between singular and repeated",
            )
        else:
            self.report(
                "FIELD_KIND_CHANGED",
                path,
                f"message field {field.name!r} changed between singular and repeated",
            )

    def _oneof_moves(self, name: str, reader: ProtoMessage, writer: ProtoMessage) -> None:
        for oneof, numbers in reader.oneofs.items():
            if oneof in writer.oneofs:
                continue
            moved = [n for n in numbers if n in writer.fields and writer.fields[n].oneof is None]
            if len(moved) > 1:
                self.report(
                    "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
                    f"#/{name}/{oneof}",
                    f"fields {sorted(moved)} of the {{writer}} schema moved "
                    f"into the new oneof {oneof!r}",
                )

    @staticmethod
    def _relative(type_name: str, file: ProtoFile) -> str:
        prefix = f"{file.package}." if file.package else ""
        return type_name.replace(prefix, "", 1) if type_name.startswith(prefix) else type_name


def _same_group(first: str, second: str) -> bool:
    return any(first in group and second in group for group in _SCALAR_GROUPS)


def _by_relative_name(file: ProtoFile) -> dict[str, ProtoMessage]:
    prefix = f"{file.package}." if file.package else ""
    return {
        name.removeprefix(prefix): message
        for name, message in file.messages.items()
        if not message.map_entry  # a map field's type change is judged on the field itself
    }
