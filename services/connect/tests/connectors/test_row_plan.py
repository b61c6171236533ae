"""The per-schema row plan gives exactly the row the general mapping gives, for any struct
key and value and every pk.mode (it only saves work)."""

from __future__ import annotations

from connect_strategies import schemas, values_for
from hypothesis import given, settings
from hypothesis import strategies as st
from kanal_connect.connectors.postgres.sink.config import parse_config
from kanal_connect.connectors.postgres.sink.row_plan import RowPlans
from kanal_connect.connectors.postgres.sink.rows import to_row
from kanal_connect.data import Schema, SchemaType, Struct, struct
from kanal_connect.data.record import SinkRecord

_fields = st.lists(st.tuples(st.sampled_from(["id", "a", "b", "c", "d"]), schemas),
                   min_size=1, max_size=4, unique_by=lambda p: p[0])
struct_schemas = _fields.map(struct)


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, str], list[SinkRecord]]:
    mode = draw(st.sampled_from(["none", "kafka", "record_key", "record_value"]))
    key_schema = draw(struct_schemas)
    value_schema = draw(struct_schemas)
    source = key_schema if mode == "record_key" else value_schema
    pk_fields = draw(st.lists(st.sampled_from([f.name for f in source.fields]), unique=True))
    records = []
    for offset in range(draw(st.integers(1, 3))):
        key = draw(values_for(key_schema))
        value = draw(values_for(value_schema))
        records.append(SinkRecord(topic="t", kafka_partition=1, kafka_offset=offset,
                                  key_schema=key_schema, key=key, value_schema=value_schema,
                                  value=value))
    props = {"connection.url": "postgresql://127.0.0.1/db", "topics": "t", "pk.mode": mode,
             "pk.fields": ",".join(pk_fields if mode != "kafka" else [])}
    return props, records


@settings(max_examples=150, deadline=None)
@given(cases())
def test_the_plan_gives_the_general_row(case: tuple[dict[str, str], list[SinkRecord]]) -> None:
    props, records = case
    config = parse_config(props)
    plans = RowPlans(config)
    for record in records:
        assert plans.to_row(record, config.table_for(record.topic)) == to_row(config, record)


def test_equal_schemas_built_per_record_share_one_plan() -> None:
    config = parse_config({"connection.url": "postgresql://127.0.0.1/db", "topics": "t",
                           "pk.mode": "record_key"})
    plans = RowPlans(config)
    rows = []
    for offset in range(3):  # as a converter without a schema cache hands them out
        key_schema = struct([("id", Schema(SchemaType.INT64))])
        value_schema = struct([("id", Schema(SchemaType.INT64)),
                               ("name", Schema(SchemaType.STRING, optional=True))])
        record = SinkRecord(topic="t", kafka_partition=0, kafka_offset=offset,
                            key_schema=key_schema, key=Struct(key_schema).put("id", offset),
                            value_schema=value_schema,
                            value=Struct(value_schema).put("id", offset))
        rows.append(plans.to_row(record, "t"))
    assert [row.values if row else None for row in rows] == [(0, None), (1, None), (2, None)]
    assert len({id(row.columns) for row in rows if row}) == 1


def test_defaults_and_nested_values_as_the_general_mapping_stores_them() -> None:
    config = parse_config({"connection.url": "postgresql://127.0.0.1/db", "topics": "t",
                           "pk.mode": "record_value", "pk.fields": "id"})
    inner = struct([("x", Schema(SchemaType.INT32))])
    value_schema = struct([
        ("id", Schema(SchemaType.INT64)),
        ("level", Schema(SchemaType.INT32, optional=True, default=7)),
        ("inner", inner),
    ])
    value = Struct(value_schema).put("id", 1).put("inner", Struct(inner).put("x", 2))
    record = SinkRecord(topic="t", kafka_partition=0, kafka_offset=0, value_schema=value_schema,
                        value=value)
    row = RowPlans(config).to_row(record, "t")
    assert row == to_row(config, record)
    assert row is not None and row.values == (1, 7, '{"x": 2}')
