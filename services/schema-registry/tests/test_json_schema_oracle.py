"""JSON Schema "compatible" verdicts checked against the data.

Whenever the checker calls a (reader, writer) pair compatible, documents generated for the
writer schema (and validated by it) must validate against the reader schema. A failure here is
a change the registry would let through that breaks consumers.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st
from kanal_registry.compatibility.json_schema import json_schema_incompatibilities
from kanal_registry.errors import InvalidSchema
from kanal_registry.schema_types import SchemaType, parse_schema
from kanal_registry.schemas.json_schema import JsonSchema

from .json_instances import instances
from .schema_strategies import ORACLE, ROLES, json_schema_variants, json_schemas


@ORACLE
@given(st.data(), json_schemas(), json_schemas())
def test_json_schema_compatible_pairs_accept_writer_documents(
    data: st.DataObject, writer_doc: object, reader_doc: object
) -> None:
    writer = parse_schema(SchemaType.JSON, json.dumps(writer_doc))
    reader = parse_schema(SchemaType.JSON, json.dumps(reader_doc))
    assert isinstance(writer, JsonSchema) and isinstance(reader, JsonSchema)
    assume(not json_schema_incompatibilities(reader=reader, writer=writer, roles=ROLES))
    generated = instances(writer_doc)
    assume(not generated.is_empty)
    instance: Any = data.draw(generated)
    assume(writer.validator().is_valid(instance))
    assert reader.validator().is_valid(instance), (writer_doc, reader_doc, instance)


@ORACLE
@given(st.data(), json_schemas())
def test_json_schema_compatible_versions_accept_writer_documents(
    data: st.DataObject, first_doc: object
) -> None:
    # Independent pairs are seldom compatible; a schema and its variant often are, in one
    # direction or the other, and differ in the ways versions do.
    second_doc = data.draw(json_schema_variants(first_doc))
    try:
        # A variant may break a keyword's own rules (the mutation is blind); skip those.
        parse_schema(SchemaType.JSON, json.dumps(second_doc))
    except InvalidSchema:
        return
    for writer_doc, reader_doc in ((first_doc, second_doc), (second_doc, first_doc)):
        writer = parse_schema(SchemaType.JSON, json.dumps(writer_doc))
        reader = parse_schema(SchemaType.JSON, json.dumps(reader_doc))
        assert isinstance(writer, JsonSchema) and isinstance(reader, JsonSchema)
        if json_schema_incompatibilities(reader=reader, writer=writer, roles=ROLES):
            continue
        generated = instances(writer_doc)
        if generated.is_empty:
            continue
        instance: Any = data.draw(generated)
        if writer.validator().is_valid(instance):
            assert reader.validator().is_valid(instance), (writer_doc, reader_doc, instance)
