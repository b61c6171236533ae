"""The sender's hand-written ProduceRequest bytes against the generated message's."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from kanal.client.produce_request import TopicData, encode_produce_request, varint
from kanal.v1 import broker_pb2

INT32 = st.integers(-(2**31), 2**31 - 1)
INT64 = st.integers(-(2**63), 2**63 - 1)

topics_strategy = st.lists(
    st.tuples(
        st.text(max_size=12),
        st.lists(
            st.tuples(INT32, st.lists(st.binary(max_size=300), max_size=4)),
            max_size=4,
        ),
    ),
    max_size=4,
)


def generated(
    correlation_id: int, acks: int, timeout_ms: int, topics: list[TopicData]
) -> broker_pb2.ProduceRequest:
    request = broker_pb2.ProduceRequest(
        correlation_id=correlation_id, acks=acks, timeout_ms=timeout_ms
    )
    for name, partitions in topics:
        topic = request.topics.add(topic=name)
        for partition, batches in partitions:
            topic.partitions.add(partition=partition, records=b"".join(batches))
    return request


@settings(max_examples=300)
@given(INT64, INT32, INT32, topics_strategy)
def test_the_bytes_are_the_generated_messages(
    correlation_id: int, acks: int, timeout_ms: int, topics: list[TopicData]
) -> None:
    ours = encode_produce_request(
        correlation_id=correlation_id, acks=acks, timeout_ms=timeout_ms, topics=topics
    )
    expected = generated(correlation_id, acks, timeout_ms, topics)
    assert broker_pb2.ProduceRequest.FromString(ours) == expected
    assert ours == expected.SerializeToString(deterministic=True)


def test_batches_given_as_bytearrays_are_joined_as_they_are() -> None:
    batches: list[bytes | bytearray] = [bytearray(b"\x00" * 200), b"\x01" * 3]
    ours = encode_produce_request(
        correlation_id=7, acks=-1, timeout_ms=30_000, topics=[("t", [(3, batches)])]
    )
    parsed = broker_pb2.ProduceRequest.FromString(ours)
    assert parsed.acks == -1 and parsed.correlation_id == 7
    assert parsed.topics[0].partitions[0].records == b"\x00" * 200 + b"\x01" * 3


@given(st.integers(0, 2**64 - 1))
def test_varints_are_protobufs(value: int) -> None:
    message = broker_pb2.ProduceRequest(correlation_id=value - 2**64 if value >= 2**63 else value)
    if value:
        assert message.SerializeToString() == b"\x08" + varint(value)
