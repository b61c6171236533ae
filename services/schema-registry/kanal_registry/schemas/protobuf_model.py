"""A checked model of a .proto file: messages, fields with resolved types, enums.

`proto_schema_parser` gives a syntax tree and checks nothing beyond grammar; protoc would
reject much more. This module applies the checks that decide whether the registry can store and
compare the schema: unique field numbers and names, legal and unreserved numbers, `required`
only outside proto3, and every named type resolving (protobuf scoping: the innermost enclosing
scope first) to a message or enum of this file, of a referenced file, or of a well-known
`google/protobuf/*.proto` import.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from proto_schema_parser import ast

from kanal_registry.errors import InvalidSchema
from kanal_registry.schemas.protobuf_well_known import well_known_types

SCALAR_TYPES = frozenset(
    {
        "double",
        "float",
        "int32",
        "int64",
        "uint32",
        "uint64",
        "sint32",
        "sint64",
        "fixed32",
        "fixed64",
        "sfixed32",
        "sfixed64",
        "bool",
        "string",
        "bytes",
    }
)
MAP_KEY_TYPES = SCALAR_TYPES - {"double", "float", "bytes"}
MAX_FIELD_NUMBER = (1 << 29) - 1
# Field numbers protobuf keeps for its own implementation.
IMPLEMENTATION_RESERVED = range(19000, 20000)


class FieldKind(StrEnum):
    SCALAR = "scalar"
    MESSAGE = "message"
    ENUM = "enum"
    MAP = "map"
    GROUP = "group"


@dataclass(frozen=True, slots=True)
class ProtoField:
    name: str
    number: int
    kind: FieldKind
    type_name: str
    """A scalar's name, a message or enum's full name, or `map<key,value>` with value resolved."""
    label: str
    """"required", "optional", "repeated" or "" (proto3 singular)."""
    oneof: str | None = None


@dataclass(slots=True)
class ProtoMessage:
    full_name: str
    index_path: tuple[int, ...]
    """Confluent's message indexes: position among top-level messages, then nested ones."""
    fields: dict[int, ProtoField] = field(default_factory=dict)
    oneofs: dict[str, set[int]] = field(default_factory=dict)
    map_entry: bool = False
    """The `<Field>Entry` type protoc makes for a map field: indexed, never compared."""


@dataclass(slots=True)
class ProtoFile:
    syntax: str
    package: str
    imports: list[str] = field(default_factory=list)
    messages: dict[str, ProtoMessage] = field(default_factory=dict)
    enums: dict[str, dict[str, int]] = field(default_factory=dict)
    visible_enums: set[str] = field(default_factory=set)
    """Full names of every enum this file's fields may use: its own and its dependencies'."""

    def type_names(self) -> set[str]:
        return set(self.messages) | set(self.enums)


def build_model(tree: ast.File, dependencies: list[ProtoFile]) -> ProtoFile:
    """The checked model of `tree`; `dependencies` are the files its imports name."""
    # Editions files ("edition = 2023") choose presence by features, not labels: for the rules
    # here they behave as proto3 (no required label, open enums starting at 0).
    syntax = tree.syntax.strip("\"'") if tree.syntax else ("editions" if tree.edition else "proto2")
    if tree.syntax and syntax not in ("proto2", "proto3"):
        raise InvalidSchema(f"Invalid Protobuf schema: unknown syntax {syntax!r}")
    packages = [e.name for e in tree.file_elements if isinstance(e, ast.Package)]
    if len(packages) > 1:
        raise InvalidSchema("Invalid Protobuf schema: more than one package statement")
    model = ProtoFile(syntax=syntax, package=packages[0] if packages else "")
    model.imports = [e.name.strip("\"'") for e in tree.file_elements if isinstance(e, ast.Import)]
    declared = _Declarations(model)
    declared.collect(tree.file_elements, scope=model.package, path=())
    known = declared.names | well_known_types(model.imports)
    enums = set(model.enums)
    for dependency in dependencies:
        known |= dependency.type_names()
        enums |= set(dependency.enums)
    model.visible_enums = enums
    _Resolver(model, declared, known, enums).resolve_all(declared.raw_fields)
    return model


@dataclass(frozen=True, slots=True)
class _RawField:
    message: str
    element: ast.Field | ast.MapField | ast.Group
    oneof: str | None


class _Declarations:
    """First pass: every message and enum name, so fields can refer to types declared later."""

    def __init__(self, model: ProtoFile) -> None:
        self.model = model
        self.names: set[str] = set()
        self.raw_fields: list[_RawField] = []
        self.reserved_numbers: dict[str, list[range]] = {}
        self.reserved_names: dict[str, set[str]] = {}

    def collect(self, elements: Sequence[object], scope: str, path: tuple[int, ...]) -> None:
        # Message indexes follow the descriptor protoc builds, whose nested types are, in
        # declaration order: messages, proto2 groups (a field and a type at once, also inside
        # a oneof) and the synthetic `<Field>Entry` type of each map field.
        index = 0
        for element in _flatten_oneofs(elements):
            if isinstance(element, ast.Message | ast.Group):
                full = _join(scope, element.name)
                self._declare(full)
                self.model.messages[full] = ProtoMessage(full, (*path, index))
                self._message_body(element.elements, full, (*path, index))
                index += 1
            elif isinstance(element, ast.MapField):
                full = _join(scope, _map_entry_name(element.name))
                self._declare(full)
                self.model.messages[full] = ProtoMessage(full, (*path, index), map_entry=True)
                index += 1
            elif isinstance(element, ast.Enum):
                self._enum(element, _join(scope, element.name))

    def _message_body(self, elements: Sequence[object], full: str, path: tuple[int, ...]) -> None:
        for element in elements:
            if isinstance(element, ast.Field | ast.MapField | ast.Group):
                self.raw_fields.append(_RawField(full, element, None))
            elif isinstance(element, ast.OneOf):
                self.model.messages[full].oneofs[element.name] = set()
                for member in element.elements:
                    if isinstance(member, ast.Field | ast.Group):
                        self.raw_fields.append(_RawField(full, member, element.name))
            elif isinstance(element, ast.Reserved):
                self._reserve(full, element)
        self.collect(elements, scope=full, path=path)

    def _enum(self, element: ast.Enum, full: str) -> None:
        self._declare(full)
        values = {v.name: v.number for v in element.elements if isinstance(v, ast.EnumValue)}
        numbers = [v.number for v in element.elements if isinstance(v, ast.EnumValue)]
        if not numbers:
            raise InvalidSchema(f"Invalid Protobuf schema: enum {full} has no values")
        if self.model.syntax != "proto2" and numbers[0] != 0:
            raise InvalidSchema(
                f"Invalid Protobuf schema: the first value of enum {full} must be 0"
            )
        if len(values) != len(numbers):
            raise InvalidSchema(f"Invalid Protobuf schema: enum {full} repeats a value name")
        self.model.enums[full] = values

    def _reserve(self, message: str, element: ast.Reserved) -> None:
        spans = self.reserved_numbers.setdefault(message, [])
        for text in element.ranges:
            low, _, high = str(text).partition(" to ")
            try:
                top = MAX_FIELD_NUMBER if high.strip() == "max" else int(high or low, 0)
                spans.append(range(int(low, 0), top + 1))
            except ValueError:
                raise InvalidSchema(
                    f"Invalid Protobuf schema: message {message} reserves {text!r}"
                ) from None
        names = self.reserved_names.setdefault(message, set())
        names.update(name.strip("\"'") for name in element.names)

    def _declare(self, full: str) -> None:
        if full in self.names:
            raise InvalidSchema(f"Invalid Protobuf schema: {full} is declared twice")
        self.names.add(full)


class _Resolver:
    """Second pass: each field checked and its type resolved to a full name."""

    def __init__(
        self, model: ProtoFile, declared: _Declarations, known: set[str], enums: set[str]
    ) -> None:
        self.model = model
        self.known = known
        self.enums = enums
        self.reserved_numbers = declared.reserved_numbers
        self.reserved_names = declared.reserved_names

    def resolve_all(self, raw_fields: list[_RawField]) -> None:
        for raw in raw_fields:
            self._add(raw)

    def _add(self, raw: _RawField) -> None:
        element, message = raw.element, self.model.messages[raw.message]
        where = f"Invalid Protobuf schema: field {raw.message}.{element.name}"
        number = element.number
        if not 1 <= number <= MAX_FIELD_NUMBER or number in IMPLEMENTATION_RESERVED:
            raise InvalidSchema(f"{where}: field number {number} is out of the allowed range")
        if number in message.fields:
            raise InvalidSchema(f"{where}: field number {number} is already used")
        if any(f.name == element.name for f in message.fields.values()):
            raise InvalidSchema(f"{where}: the field name is already used")
        if any(number in span for span in self.reserved_numbers.get(raw.message, [])):
            raise InvalidSchema(f"{where}: field number {number} is reserved")
        if element.name in self.reserved_names.get(raw.message, set()):
            raise InvalidSchema(f"{where}: the field name is reserved")
        label = _label(element)
        if label in ("required", "optional") and self.model.syntax == "editions":
            raise InvalidSchema(f"{where}: the {label} label is not allowed in editions")
        if label == "required" and self.model.syntax == "proto3":
            raise InvalidSchema(f"{where}: required fields are not allowed in proto3")
        if not label and self.model.syntax == "proto2" and raw.oneof is None:
            raise InvalidSchema(
                f"{where}: proto2 fields need a label (required, optional, repeated)"
            )
        kind, type_name = self._type_of(element, raw.message, where)
        message.fields[number] = ProtoField(element.name, number, kind, type_name, label, raw.oneof)
        if raw.oneof is not None:
            message.oneofs[raw.oneof].add(number)

    def _type_of(
        self, element: ast.Field | ast.MapField | ast.Group, scope: str, where: str
    ) -> tuple[FieldKind, str]:
        if isinstance(element, ast.Group):
            return FieldKind.GROUP, _join(scope, element.name)
        if isinstance(element, ast.MapField):
            if element.key_type not in MAP_KEY_TYPES:
                raise InvalidSchema(f"{where}: {element.key_type} cannot be a map key")
            value = self._named_or_scalar(element.value_type, scope, where)
            return FieldKind.MAP, f"map<{element.key_type},{value}>"
        if element.type in SCALAR_TYPES:
            return FieldKind.SCALAR, element.type
        full = self._named_or_scalar(element.type, scope, where)
        return (FieldKind.ENUM if full in self.enums else FieldKind.MESSAGE), full

    def _named_or_scalar(self, written: str, scope: str, where: str) -> str:
        if written in SCALAR_TYPES:
            return written
        if written.startswith("."):
            candidates = [written[1:]]
        else:
            parts = scope.split(".") if scope else []
            candidates = [_join(".".join(parts[:i]), written) for i in range(len(parts), -1, -1)]
        for candidate in candidates:
            if candidate in self.known:
                return candidate
        raise InvalidSchema(f"{where}: type {written!r} is not defined or imported")


def _flatten_oneofs(elements: Sequence[object]) -> list[object]:
    flat: list[object] = []
    for element in elements:
        flat.extend(element.elements if isinstance(element, ast.OneOf) else [element])
    return flat


def _map_entry_name(field_name: str) -> str:
    """protoc's name for a map field's entry type: `tag_counts` -> `TagCountsEntry`."""
    camel = "".join(part[:1].upper() + part[1:] for part in field_name.split("_"))
    return f"{camel}Entry"


def _label(element: ast.Field | ast.MapField | ast.Group) -> str:
    if isinstance(element, ast.MapField):
        return "repeated"
    return element.cardinality.value.lower() if element.cardinality else ""


def _join(scope: str, name: str) -> str:
    return f"{scope}.{name}" if scope else name
