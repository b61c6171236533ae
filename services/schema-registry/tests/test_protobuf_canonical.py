"""The canonical text a Protobuf schema is stored and identified by: one text for one file,
whatever its layout, comments, option order, quoting, type-name qualification or enum
placement, and whether it came as text or as a base64 descriptor; canonicalising twice
changes nothing; the message indexes the text gives are the ones the original gives.

Each example is one drawn file (messages with fields, maps, oneofs, nested messages and enums,
options of each kind) printed twice with different drawn formatting: the declaration order of
fields and nested messages is kept, because it decides protoc's message indexes."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kanal_registry.schema_types import SchemaType
from kanal_registry.schemas.protobuf_descriptor_build import serialized_descriptor
from kanal_registry.schemas.protobuf_schema import ProtobufSchema, parse_protobuf
from kanal_registry.service.schema_parsing import request_text

CANONICAL = settings(max_examples=40, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])
PACKAGE = "canon.v1"
SCALARS = ["string", "int32", "int64", "bool", "bytes", "double", "uint64", "sint32"]
FILE_OPTIONS = {"java_package": '"io.canon"', "java_outer_classname": '"Canon"',
                "java_multiple_files": "true", "optimize_for": "CODE_SIZE",
                "deprecated": "false", "go_package": '"canon/v1"'}


@dataclass
class Field:
    name: str
    number: int
    type: str
    """A scalar, `map<k, v>`, or a message/enum path relative to the package (`M.Inner`)."""
    repeated: bool = False
    options: dict[str, str] = field(default_factory=dict)


@dataclass
class Message:
    name: str
    items: list[object]
    """Fields, nested Messages, Enums and Oneofs (lists of Fields), in declaration order."""
    options: dict[str, str] = field(default_factory=dict)


@dataclass
class Enum:
    name: str
    values: list[str]


@dataclass
class ProtoFile:
    options: dict[str, str]
    messages: list[Message]
    enums: list[Enum]


@st.composite
def proto_files(draw: st.DrawFn) -> ProtoFile:
    enums = [Enum("Color", ["COLOR_UNSPECIFIED", "RED"])] if draw(st.booleans()) else []
    messages = []
    for top in range(draw(st.integers(1, 3))):
        name = f"M{top}"
        items: list[object] = []
        numbers = iter(range(1, 100))
        targets = [f"M{t}" for t in range(top)] + [e.name for e in enums]
        for position in range(draw(st.integers(1, 6))):
            kind = draw(st.sampled_from(["scalar", "scalar", "ref", "map", "nested", "oneof",
                                         "enum"]))
            if kind == "nested":
                inner = f"Inner{position}"
                items.append(Message(inner, [Field("x", 1, "string")]))
                targets.append(f"{name}.{inner}")
            elif kind == "enum":
                values = [f"K{position}_UNSPECIFIED", f"K{position}_A"]
                items.append(Enum(f"Kind{position}", values))
                targets.append(f"{name}.Kind{position}")
            elif kind == "oneof":
                items.append([Field(f"choice{position}_{i}", next(numbers),
                                    draw(st.sampled_from(SCALARS))) for i in range(2)])
            else:
                number = next(numbers)
                if kind == "map":
                    value = draw(st.sampled_from(["string", "int32", *targets]))
                    type_name = f"map<string, {value}>"
                elif kind == "ref" and targets:
                    type_name = draw(st.sampled_from(targets))
                else:
                    type_name = draw(st.sampled_from(SCALARS))
                options = {}
                if draw(st.booleans()):
                    options["deprecated"] = draw(st.sampled_from(["true", "false"]))
                if draw(st.booleans()):
                    options["json_name"] = f'"j{number}"'
                repeated = kind != "map" and draw(st.booleans())
                items.append(Field(f"field_{number}", number, type_name, repeated, options))
        message_options = {"deprecated": "true"} if draw(st.booleans()) else {}
        messages.append(Message(name, items, message_options))
    chosen = draw(st.lists(st.sampled_from(sorted(FILE_OPTIONS)), unique=True, max_size=4))
    return ProtoFile({key: FILE_OPTIONS[key] for key in chosen}, messages, enums)


class Printer:
    """Prints a ProtoFile with formatting drawn as it goes."""

    def __init__(self, data: st.DataObject) -> None:
        self._data = data

    def gap(self) -> str:
        """Between declarations: whitespace or comments."""
        return self._data.draw(st.sampled_from([" ", "\n", "\n\n  ", "\t", " // note\n",
                                           " /* note */ ", "\n// a comment { } ;\n"]))

    def space(self) -> str:
        """Inside a declaration: whitespace only (the parser keeps comments as elements)."""
        return self._data.draw(st.sampled_from(["", " ", "\n", "\n\n  ", "\t"]))

    def quoted(self, value: str) -> str:
        return f"'{value[1:-1]}'" if value.startswith('"') and self._data.draw(st.booleans()) \
            else value

    def options(self, options: dict[str, str]) -> list[tuple[str, str]]:
        return self._data.draw(st.permutations(sorted(options.items())))

    def type_ref(self, relative: str, scope: str) -> str:
        if relative.startswith("map<"):
            key, value = relative[4:-1].split(", ")
            return f"map<{key},{self.space()}{self.type_ref(value, scope)}>"
        if relative in SCALARS:
            return relative
        choices = [f".{PACKAGE}.{relative}", f"{PACKAGE}.{relative}", relative]
        if relative.startswith(f"{scope}."):
            choices.append(relative.removeprefix(f"{scope}."))
        return self._data.draw(st.sampled_from(choices))

    def file(self, proto: ProtoFile) -> str:
        parts = ['syntax = "proto3";', f"package {PACKAGE};"]
        parts += [f"option {k} = {self.quoted(v)};" for k, v in self.options(proto.options)]
        messages = [self.message(m, m.name) for m in proto.messages]
        enums = [self.enum(e) for e in proto.enums]
        # Enums do not count in message indexes: they may come anywhere among the messages.
        at = self._data.draw(st.integers(0, len(messages)))
        return self.gap().join(parts + messages[:at] + enums + messages[at:]) + "\n"

    def message(self, message: Message, scope: str) -> str:
        parts = [f"message {message.name} {{"]
        options = [f"option {k} = {v};" for k, v in self.options(message.options)]
        body = []
        for item in message.items:
            if isinstance(item, Field):
                body.append(self.field(item, scope))
            elif isinstance(item, Message):
                body.append(self.message(item, f"{scope}.{item.name}"))
            elif isinstance(item, Enum):
                body.append(self.enum(item))
            else:
                assert isinstance(item, list)
                members = self.space().join(self.field(f, scope) for f in item)
                body.append(f"oneof {item[0].name.split('_')[0]} {{{self.space()}{members} }}")
        # A message's options may be declared anywhere in its body.
        at = self._data.draw(st.integers(0, len(body)))
        return self.gap().join(parts + body[:at] + options + body[at:] + ["}"])

    def field(self, declared: Field, scope: str) -> str:
        label = "repeated " if declared.repeated else ""
        options = [f"{k}{self._data.draw(st.sampled_from(['=', ' = ']))}{self.quoted(v)}"
                   for k, v in self.options(declared.options)]
        suffix = f" [{', '.join(options)}]" if options else ""
        return (f"{label}{self.type_ref(declared.type, scope)} {declared.name} ="
                f"{self.space()} {declared.number}{suffix};")

    def enum(self, enum: Enum) -> str:
        values = " ".join(f"{name} = {number};" for number, name in enumerate(enum.values))
        return f"enum {enum.name} {{{self.space()}{values}{self.space()}}}"


def parsed(text: str) -> ProtobufSchema:
    return parse_protobuf(text, (), lambda subject, version: "")


def indexes(schema: ProtobufSchema) -> dict[str, tuple[int, ...]]:
    return {name: schema.message_indexes(name) for name in schema.message_names()}


@CANONICAL
@given(proto_files(), st.data())
def test_formatting_variants_of_one_file_have_one_canonical_text(
        proto: ProtoFile, data: st.DataObject) -> None:
    first = parsed(Printer(data).file(proto))
    second = parsed(Printer(data).file(proto))
    canonical = first.canonical_form()
    assert second.canonical_form() == canonical
    again = parsed(canonical)
    assert again.canonical_form() == canonical
    assert indexes(again) == indexes(first) == indexes(second)


@CANONICAL
@given(proto_files(), st.data())
def test_a_file_sent_as_a_descriptor_has_the_canonical_text_of_its_source(
        proto: ProtoFile, data: st.DataObject) -> None:
    source = parsed(Printer(data).file(proto))
    encoded = serialized_descriptor(source.tree, source.model, name="canon.proto")
    from_descriptor = parsed(request_text(SchemaType.PROTOBUF, encoded))
    assert from_descriptor.canonical_form() == source.canonical_form()
    assert indexes(from_descriptor) == indexes(source)


def test_the_canonical_text_is_confluents_layout_with_sorted_options() -> None:
    text = """syntax = "proto3"; package p; option optimize_for = SPEED; option java_package = "j";
    message A { message B { int32 x = 1; } B b = 2 [json_name = "bee", deprecated = true];
                string name = 1; oneof pick { int32 n = 3; } }
    enum E { E0 = 0; }"""
    assert parsed(text).canonical_form() == """syntax = "proto3";
package p;

option java_package = "j";
option optimize_for = SPEED;

message A {
  .p.A.B b = 2 [
    deprecated = true,
    json_name = "bee"
  ];
  string name = 1;

  oneof pick {
    int32 n = 3;
  }

  message B {
    int32 x = 1;
  }
}
enum E {
  E0 = 0;
}
"""


def test_a_map_declared_after_a_nested_message_keeps_its_entry_index() -> None:
    text = """syntax = "proto3"; package p;
    message A { int32 a = 1; message B { int32 x = 1; } map<string, B> m = 2; int32 z = 3; }"""
    schema = parsed(text)
    assert indexes(parsed(schema.canonical_form())) == indexes(schema) == {
        "p.A": (0,), "p.A.B": (0, 0), "p.A.MEntry": (0, 1)}


@pytest.mark.parametrize(("text", "kept"), [
    ('syntax = "proto3"; package p; import "google/protobuf/descriptor.proto";\n'
     "extend google.protobuf.FieldOptions { string tag = 50001; }\n"
     'message A { string x = 1 [(tag) = "t"]; // comment\n}', '(tag) = "t"'),
    ('edition = "2023"; package e; message A { int32 x = 1; } // comment', 'edition = "2023"'),
    ('syntax = "proto2"; package g; // comment\n'
     "message A { optional group G = 1 { optional int32 y = 2; } }", "optional group G"),
    ('syntax = "proto3"; package s; message Q { int32 a = 1; } // comment\n'
     "service S { rpc Get (Q) returns (Q) { option deprecated = true; } }",
     "option deprecated = true"),
])
def test_what_a_descriptor_cannot_carry_is_kept(text: str, kept: str) -> None:
    """Extensions and custom options, editions, groups, method options: the canonical text
    is the file printed without comments (a file with groups: as given), still parseable."""
    canonical = parsed(text).canonical_form()
    assert kept in canonical
    assert "comment" not in canonical or "group" in kept
    assert parsed(canonical).canonical_form() == canonical
