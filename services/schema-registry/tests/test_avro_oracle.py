"""Avro "compatible" verdicts checked against the data: writer datums decode with the reader.

Datums encoded with the writer schema must decode through `fastavro`'s schema resolution, an
implementation independent of the `avro` package whose checker the registry uses. (The `avro`
package's own DatumReader cannot serve: it rejects a writer union read by a non-union reader,
which the spec allows.) A failure here is a change the registry would let through that breaks
consumers. fastavro is a test-only dependency; without it this module is skipped.
"""

from __future__ import annotations

import io
import json

import avro.schema
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from kanal_registry.compatibility.avro import avro_incompatibilities
from kanal_registry.errors import InvalidSchema
from kanal_registry.schema_types import SchemaType, parse_schema
from kanal_registry.schemas.avro_schema import AvroSchema

from .schema_strategies import ORACLE, ROLES, avro_types, avro_variants

fastavro = pytest.importorskip("fastavro", reason="fastavro is the independent Avro decoder")


def parsed_avro(document: object) -> AvroSchema | None:
    try:
        schema = parse_schema(SchemaType.AVRO, json.dumps(document))
    except InvalidSchema:
        return None
    assert isinstance(schema, AvroSchema)
    return schema


def datums(schema: avro.schema.Schema, depth: int = 0) -> st.SearchStrategy[object]:
    """Values of an Avro schema, as Avro libraries take them."""
    kind = schema.type
    simple: dict[str, st.SearchStrategy[object]] = {
        "null": st.none(),
        "boolean": st.booleans(),
        "int": st.integers(-(2**31), 2**31 - 1),
        "long": st.integers(-(2**63), 2**63 - 1),
        "float": st.floats(width=32, allow_nan=False),
        "double": st.floats(allow_nan=False),
        # UTF-8 only: the spec lets a string reader read bytes, which works for text alone.
        "bytes": st.text(max_size=8).map(str.encode),
        "string": st.text(max_size=8),
    }
    if kind in simple:
        return simple[kind]
    if isinstance(schema, avro.schema.EnumSchema):
        return st.sampled_from(list(schema.symbols))
    if isinstance(schema, avro.schema.FixedSchema):
        return st.binary(min_size=schema.size, max_size=schema.size)
    if isinstance(schema, avro.schema.ArraySchema):
        return st.lists(datums(schema.items, depth + 1), max_size=0 if depth > 3 else 3)
    if isinstance(schema, avro.schema.MapSchema):
        return st.dictionaries(st.text(max_size=3), datums(schema.values, depth + 1), max_size=2)
    if isinstance(schema, avro.schema.UnionSchema):
        return st.one_of([datums(branch, depth + 1) for branch in schema.schemas])
    assert isinstance(schema, avro.schema.RecordSchema)
    return st.fixed_dictionaries({f.name: datums(f.type, depth + 1) for f in schema.fields})


@ORACLE
@given(st.data(), avro_types(), st.booleans())
def test_avro_compatible_pairs_decode_writer_data(
    data: st.DataObject, first_doc: object, independent: bool
) -> None:
    # A schema and its variant are often compatible one way; independent pairs test the rest.
    second_doc = data.draw(avro_types() if independent else avro_variants(first_doc))
    first, second = parsed_avro(first_doc), parsed_avro(second_doc)
    assume(first is not None and second is not None)
    assert first is not None and second is not None
    for writer, reader in ((first, second), (second, first)):
        if avro_incompatibilities(reader=reader.avro, writer=writer.avro, roles=ROLES):
            continue
        datum = data.draw(datums(writer.avro))
        writer_schema = fastavro.parse_schema(json.loads(writer.text))
        reader_schema = fastavro.parse_schema(json.loads(reader.text))
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, writer_schema, datum)
        buffer.seek(0)
        fastavro.schemaless_reader(buffer, writer_schema, reader_schema)
