"""PROTOBUF schemas: .proto text parsed by `proto_schema_parser`, then checked (protobuf_model).

References are the files the schema imports: a reference's `name` is the import path
(`import "common/address.proto";` needs a reference named `common/address.proto`). The
well-known `google/protobuf/*.proto` imports need none.

Confluent's wire format names the message a record uses by its *message indexes*: the path from
the file's top-level messages down through nested ones, e.g. `[1, 0]` is the first message nested
in the second top-level message. `message_indexes` and `message_for_indexes` convert.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from proto_schema_parser import ast
from proto_schema_parser.generator import Generator
from proto_schema_parser.parser import Parser

from kanal_registry.errors import InvalidSchema
from kanal_registry.schema_types import (
    ParsedSchema,
    ReferenceResolver,
    SchemaReference,
    SchemaType,
    resolve_reference_texts,
)
from kanal_registry.schemas.protobuf_descriptor_build import file_descriptor
from kanal_registry.schemas.protobuf_descriptor_text import proto_text
from kanal_registry.schemas.protobuf_model import ProtoFile, build_model
from kanal_registry.schemas.protobuf_well_known import is_well_known
from kanal_registry.schemas.text_errors import resolved_references

_MAX_ERROR_CHARS = 200


@dataclass(frozen=True, slots=True)
class ProtobufSchema:
    """A parsed .proto file and the checked model the compatibility rules read."""

    text: str
    references: tuple[SchemaReference, ...]
    tree: ast.File
    model: ProtoFile

    @property
    def schema_type(self) -> SchemaType:
        return SchemaType.PROTOBUF

    def canonical_form(self) -> str:
        """The text the registry stores and identifies this file by (see the module doc)."""
        return canonical_text(self.text, self.tree, self.model)

    def normalize(self) -> ParsedSchema:
        """The canonical form already orders options and qualifies every type name, which is
        what Confluent's normalization adds that matters for identity."""
        return dataclasses.replace(self, text=self.canonical_form())

    def message_names(self) -> list[str]:
        """Full names of the file's message types, parents before nested ones; as in protoc's
        descriptor, these include each map field's `<Field>Entry` type."""
        return list(self.model.messages)

    def message_indexes(self, full_name: str) -> tuple[int, ...]:
        message = self.model.messages.get(full_name)
        if message is None:
            raise InvalidSchema(f"no message {full_name!r} in this schema")
        return message.index_path

    def message_for_indexes(self, indexes: tuple[int, ...]) -> str:
        for name, message in self.model.messages.items():
            if message.index_path == indexes:
                return name
        raise InvalidSchema(f"no message at indexes {list(indexes)} in this schema")


def parse_protobuf(
    text: str, references: tuple[SchemaReference, ...], resolve: ReferenceResolver
) -> ProtobufSchema:
    with resolved_references():
        referenced = resolve_reference_texts(references, resolve)
    dependencies: list[ProtoFile] = []
    for reference, reference_text in referenced:
        tree = parse_proto_text(reference_text, where=f"reference {reference.name!r}")
        dependencies.append(build_model(tree, list(dependencies)))
    tree = parse_proto_text(text, where="schema")
    names = {reference.name for reference in references}
    for element in tree.file_elements:
        path = element.name.strip("\"'") if isinstance(element, ast.Import) else ""
        if path and path not in names and not is_well_known(path):
            raise InvalidSchema(f"Invalid Protobuf schema: import {path!r} has no reference")
    return ProtobufSchema(text, references, tree, build_model(tree, dependencies))


class _RaisingErrorListener:
    """An ANTLR error listener that stops at the first syntax error instead of printing it."""

    def __init__(self, where: str) -> None:
        self.where = where

    def syntaxError(  # noqa: N802, PLR0917 - ANTLR's callback, called positionally
        self, recognizer: object, symbol: object, line: int, column: int, msg: str, e: object
    ) -> None:
        if len(msg) > _MAX_ERROR_CHARS:
            msg = msg[:_MAX_ERROR_CHARS] + "...}"
        raise InvalidSchema(f"Invalid Protobuf {self.where} at line {line}:{column}: {msg}")

    def reportAmbiguity(self, *args: object) -> None:  # noqa: N802
        pass

    def reportAttemptingFullContext(self, *args: object) -> None:  # noqa: N802
        pass

    def reportContextSensitivity(self, *args: object) -> None:  # noqa: N802
        pass


def parse_proto_text(text: str, *, where: str) -> ast.File:
    listener = _RaisingErrorListener(where)

    def raise_on_errors(recognizer: object) -> None:
        recognizer.removeErrorListeners()  # type: ignore[attr-defined]
        recognizer.addErrorListener(listener)  # type: ignore[attr-defined]

    try:
        return Parser(setup_lexer=raise_on_errors, setup_parser=raise_on_errors).parse(text)
    except InvalidSchema:
        raise
    except (RecursionError, ValueError, TypeError, AttributeError) as exc:
        # The tree builder converts literals (numbers, names) with plain Python calls.
        raise InvalidSchema(f"Invalid Protobuf {where}: {type(exc).__name__}: {exc}") from None


def canonical_text(text: str, tree: ast.File, model: ProtoFile) -> str:
    """The file rebuilt as protoc's descriptor and printed back in Confluent's layout, so the
    same file reads the same whatever its formatting, comments, option order, type-name
    qualification, or whether it came as text or as a base64 descriptor. A file the descriptor
    built here cannot carry whole (an edition, extensions, groups, custom `(extension)`
    options, options of services, methods or oneofs) keeps the parser's printing of its text
    without comments instead, which still ignores layout and loses nothing; one with groups,
    whose label that printing drops, keeps its text as given."""
    if model.syntax in ("proto2", "proto3") and not _beyond_descriptor(tree, in_options=False):
        return proto_text(file_descriptor(tree, model))
    if _holds(tree, ast.Group):
        return text
    plain = _without_comments(tree)
    assert isinstance(plain, ast.File)
    return Generator().generate(plain)


_WITHOUT_DESCRIPTOR = (ast.Extension, ast.ExtensionRange, ast.Group)
_OPTIONS_NOT_CARRIED = (ast.Service, ast.Method, ast.OneOf)


def _beyond_descriptor(node: object, *, in_options: bool) -> bool:
    """Whether `node` holds something `file_descriptor` leaves out (see canonical_text)."""
    if isinstance(node, _WITHOUT_DESCRIPTOR):
        return True
    if isinstance(node, ast.Option):
        return in_options or node.name.startswith("(")
    in_options = in_options or isinstance(node, _OPTIONS_NOT_CARRIED)
    if isinstance(node, list):
        return any(_beyond_descriptor(item, in_options=in_options) for item in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return any(_beyond_descriptor(getattr(node, f.name), in_options=in_options)
                   for f in dataclasses.fields(node))
    return False


def _holds(node: object, kind: type) -> bool:
    if isinstance(node, kind):
        return True
    if isinstance(node, list):
        return any(_holds(item, kind) for item in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return any(_holds(getattr(node, f.name), kind) for f in dataclasses.fields(node))
    return False


def _without_comments(node: object) -> object:
    if isinstance(node, list):
        return [_without_comments(item) for item in node if not isinstance(item, ast.Comment)]
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        changes = {
            f.name: _without_comments(getattr(node, f.name)) for f in dataclasses.fields(node)
        }
        return dataclasses.replace(node, **changes)
    return node
