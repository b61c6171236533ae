"""`check(new, existing_versions, level)`: Confluent's compatibility decision, with reasons.

Each format module answers one question: can data written with `writer` be read with `reader`?
(For JSON Schema: does every document valid under `writer` stay valid under `reader`?) This
module turns a level into those questions. Like Confluent, it compares newest first and stops at
the first incompatible version, and its reasons end with the context lines of `verbose=true`:
the old schema and the level.
"""

from __future__ import annotations

from collections.abc import Sequence

from kanal_registry.compatibility.avro import avro_incompatibilities
from kanal_registry.compatibility.json_schema import json_schema_incompatibilities
from kanal_registry.compatibility.levels import CompatibilityLevel
from kanal_registry.compatibility.protobuf import protobuf_incompatibilities
from kanal_registry.compatibility.reasons import Roles
from kanal_registry.schema_types import ParsedSchema
from kanal_registry.schemas.avro_schema import AvroSchema
from kanal_registry.schemas.json_schema import JsonSchema
from kanal_registry.schemas.protobuf_schema import ProtobufSchema


def check(
    new: ParsedSchema,
    existing_versions: Sequence[ParsedSchema],
    level: CompatibilityLevel,
) -> list[str]:
    """Why `new` may not follow `existing_versions` (oldest first) at `level`; [] = compatible."""
    if level is CompatibilityLevel.NONE or not existing_versions:
        return []
    compared = existing_versions if level.transitive else existing_versions[-1:]
    for old in reversed(compared):
        reasons = _pair_reasons(new, old, level)
        if reasons:
            return [*reasons, f"{{oldSchema: '{old.text}'}}", f"{{compatibility: '{level}'}}"]
    return []


def _pair_reasons(new: ParsedSchema, old: ParsedSchema, level: CompatibilityLevel) -> list[str]:
    if new.schema_type != old.schema_type:
        return [
            f"{{errorType:'SCHEMA_TYPE_CHANGED', description:'The new schema is "
            f"{new.schema_type} but the old one is {old.schema_type}'}}"
        ]
    reasons: list[str] = []
    if level.checks_backward:
        reasons += _reader_writer(reader=new, writer=old, roles=Roles(reader="new", writer="old"))
    if level.checks_forward:
        reasons += _reader_writer(reader=old, writer=new, roles=Roles(reader="old", writer="new"))
    return reasons


def _reader_writer(*, reader: ParsedSchema, writer: ParsedSchema, roles: Roles) -> list[str]:
    if isinstance(reader, AvroSchema) and isinstance(writer, AvroSchema):
        return avro_incompatibilities(reader=reader.avro, writer=writer.avro, roles=roles)
    if isinstance(reader, JsonSchema) and isinstance(writer, JsonSchema):
        return json_schema_incompatibilities(reader=reader, writer=writer, roles=roles)
    if isinstance(reader, ProtobufSchema) and isinstance(writer, ProtobufSchema):
        return protobuf_incompatibilities(reader=reader.model, writer=writer.model, roles=roles)
    raise TypeError(f"no compatibility rules for {type(reader).__name__}")
