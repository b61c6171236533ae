"""SinkRecord.consumed (the sink runtime's constructor per consumed record) builds the same
record as the keyword constructor: equal, same hash, and new_record keeps working on it."""

from __future__ import annotations

from typing import get_args

from hypothesis import given
from hypothesis import strategies as st
from kanal_connect.data.record import ConnectHeader, SinkRecord, TimestampType
from kanal_connect.data.schema import INT64, STRING

SCHEMAS = st.sampled_from([None, INT64, STRING])
VALUES = st.one_of(st.none(), st.integers(), st.text(max_size=8))
HEADERS = st.lists(st.builds(ConnectHeader, st.text(max_size=4), SCHEMAS, VALUES),
                   max_size=2).map(tuple)


@given(st.text(max_size=8), st.integers(0, 99), st.integers(0, 2**40),
       st.one_of(st.none(), st.integers(0, 2**41)), st.sampled_from(get_args(TimestampType)),
       SCHEMAS, VALUES, SCHEMAS, VALUES, HEADERS)
def test_consumed_equals_the_keyword_constructor(  # noqa: PLR0917 - one argument per field
        topic: str, partition: int, offset: int, timestamp: int | None,
        timestamp_type: TimestampType, key_schema: object, key: object,
        value_schema: object, value: object, headers: tuple[ConnectHeader, ...]) -> None:
    fast = SinkRecord.consumed(topic, partition, offset, timestamp, timestamp_type,
                               key_schema, key, value_schema, value, headers)  # type: ignore[arg-type]
    slow = SinkRecord(topic=topic, kafka_partition=partition, kafka_offset=offset,
                      timestamp=timestamp, timestamp_type=timestamp_type,
                      key_schema=key_schema, key=key, value_schema=value_schema,  # type: ignore[arg-type]
                      value=value, headers=headers)
    assert fast == slow
    assert type(fast) is SinkRecord
    assert hash(fast) == hash(slow)
    moved = fast.new_record(topic="elsewhere")
    assert moved == slow.new_record(topic="elsewhere")
    assert moved.kafka_offset == offset
