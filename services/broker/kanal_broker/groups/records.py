"""The records a coordinator writes to its `__consumer_offsets` partition.

Every key starts with an int16 record type (Kafka uses the key version the same way); every
value with an int16 value version (0 today; a reader refuses versions it does not know). A
null value is a tombstone: compaction keeps the last value per key, and replay ends with the
same state whether or not the log was compacted.

    type 1 offset commit     key: group, topic, int32 partition
                             value: int64 offset, int32 leader epoch, metadata,
                                    int64 commit timestamp ms
    type 3 group metadata    key: group          value: int32 group epoch,
                                                        int64 empty-since ms (-1: has members)
    type 4 subscribed topics key: group          value: [topic, int32 partitions]
    type 5 member metadata   key: group, member  value: ?instance, ?rack, client id,
                                    client host, [topic name], ?regex, ?assignor,
                                    int32 rebalance timeout ms
    type 6 target metadata   key: group          value: int32 assignment epoch, assignor name
    type 7 target member     key: group, member  value: partitions
    type 8 member assignment key: group, member  value: int32 member epoch,
                                    int32 previous epoch, int8 state, assigned partitions,
                                    partitions pending revocation
    partitions = [topic, [int32 partition]], topics and partitions in ascending order
(`?` marks a nullable string, `[...]` an array; the primitives are drawn in wire.py.)

A group's non-offset state is written as a whole-state snapshot diff (`group_records`
before and after a change): only keys whose bytes changed are appended, removed keys get
tombstones. Replaying the partition (replay.py) therefore rebuilds exactly the state the
coordinator had.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from kanal.errors import CorruptRecord
from kanal.types import TopicPartition

from kanal_broker.groups.group import ConsumerGroup
from kanal_broker.groups.member import Member, MemberState
from kanal_broker.groups.offsets import CommittedOffset
from kanal_broker.groups.wire import Reader, Writer

VALUE_VERSION = 0
_STATES = (MemberState.STABLE, MemberState.UNREVOKED_PARTITIONS, MemberState.UNRELEASED_PARTITIONS)


class RecordType(IntEnum):
    OFFSET_COMMIT = 1
    GROUP_METADATA = 3
    SUBSCRIBED_TOPICS = 4
    MEMBER_METADATA = 5
    TARGET_METADATA = 6
    TARGET_MEMBER = 7
    MEMBER_ASSIGNMENT = 8


_MEMBER_TYPES = {RecordType.MEMBER_METADATA, RecordType.TARGET_MEMBER, RecordType.MEMBER_ASSIGNMENT}


@dataclass(frozen=True, slots=True)
class OffsetsRecord:
    """One record for the group's `__consumer_offsets` partition; value None is a tombstone."""

    key: bytes
    value: bytes | None


@dataclass(frozen=True, slots=True)
class RecordKey:
    type: RecordType
    group_id: str
    member_id: str = ""
    partition: TopicPartition | None = None


def encode_key(key: RecordKey) -> bytes:
    writer = Writer().int(2, key.type).string(key.group_id)
    if key.type in _MEMBER_TYPES:
        writer.string(key.member_id)
    elif key.type is RecordType.OFFSET_COMMIT:
        if key.partition is None:
            raise ValueError("an offset commit key needs a partition")
        writer.string(key.partition.topic).int(4, key.partition.partition)
    return writer.bytes()


def decode_key(data: bytes) -> RecordKey:
    reader = Reader(data)
    raw_type = reader.int(2)
    try:
        record_type = RecordType(raw_type)
    except ValueError:
        raise CorruptRecord(f"unknown __consumer_offsets record type {raw_type}") from None
    group_id = reader.string()
    key = RecordKey(record_type, group_id)
    if record_type in _MEMBER_TYPES:
        key = RecordKey(record_type, group_id, member_id=reader.string())
    elif record_type is RecordType.OFFSET_COMMIT:
        key = RecordKey(
            record_type, group_id, partition=TopicPartition(reader.string(), reader.int(4))
        )
    reader.finish()
    return key


def write_partitions(writer: Writer, partitions: Iterable[TopicPartition]) -> None:
    by_topic: dict[str, list[int]] = {}
    for tp in sorted(partitions):
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    writer.int(4, len(by_topic))
    for topic, numbers in by_topic.items():
        writer.string(topic).int(4, len(numbers))
        for number in numbers:
            writer.int(4, number)


def read_partitions(reader: Reader) -> frozenset[TopicPartition]:
    def one_topic(r: Reader) -> list[TopicPartition]:
        topic = r.string()
        return [TopicPartition(topic, n) for n in r.array(lambda rr: rr.int(4))]

    return frozenset(tp for topic in reader.array(one_topic) for tp in topic)


def _value_writer() -> Writer:
    return Writer().int(2, VALUE_VERSION)


def value_reader(data: bytes) -> Reader:
    reader = Reader(data)
    version = reader.int(2)
    if version != VALUE_VERSION:
        raise CorruptRecord(f"unknown __consumer_offsets value version {version}")
    return reader


def offset_record(
    group_id: str, tp: TopicPartition, committed: CommittedOffset | None
) -> OffsetsRecord:
    key = encode_key(RecordKey(RecordType.OFFSET_COMMIT, group_id, partition=tp))
    if committed is None:
        return OffsetsRecord(key, None)
    value = (
        _value_writer()
        .int(8, committed.offset)
        .int(4, committed.leader_epoch)
        .string(committed.metadata)
        .int(8, committed.commit_timestamp_ms)
        .bytes()
    )
    return OffsetsRecord(key, value)


def decode_offset(data: bytes) -> CommittedOffset:
    reader = value_reader(data)
    offset = CommittedOffset(reader.int(8), reader.int(4), reader.string(), reader.int(8))
    reader.finish()
    return offset


def group_records(group: ConsumerGroup) -> dict[bytes, bytes]:
    """The whole non-offset state of a group as key -> value bytes."""
    gid = group.group_id
    out = {
        encode_key(RecordKey(RecordType.GROUP_METADATA, gid)): _value_writer()
        .int(4, group.group_epoch)
        .int(8, -1 if group.empty_since_ms is None else group.empty_since_ms)
        .bytes(),
        encode_key(RecordKey(RecordType.SUBSCRIBED_TOPICS, gid)): _subscribed(group),
        encode_key(RecordKey(RecordType.TARGET_METADATA, gid)): _value_writer()
        .int(4, group.assignment_epoch)
        .string(group.assignor_name)
        .bytes(),
    }
    for member_id, partitions in group.target.items():
        writer = _value_writer()
        write_partitions(writer, partitions)
        out[encode_key(RecordKey(RecordType.TARGET_MEMBER, gid, member_id))] = writer.bytes()
    for member in group.members.values():
        out[encode_key(RecordKey(RecordType.MEMBER_METADATA, gid, member.member_id))] = (
            _member_metadata(member)
        )
        out[encode_key(RecordKey(RecordType.MEMBER_ASSIGNMENT, gid, member.member_id))] = (
            _member_assignment(member)
        )
    return out


def _subscribed(group: ConsumerGroup) -> bytes:
    writer = _value_writer().int(4, len(group.subscribed_metadata))
    for topic, count in sorted(group.subscribed_metadata.items()):
        writer.string(topic).int(4, count)
    return writer.bytes()


def _member_metadata(member: Member) -> bytes:
    return (
        _value_writer()
        .nullable_string(member.instance_id)
        .nullable_string(member.rack_id)
        .string(member.client_id)
        .string(member.client_host)
        .strings(member.subscribed_topic_names)
        .nullable_string(member.subscribed_topic_regex)
        .nullable_string(member.server_assignor)
        .int(4, member.rebalance_timeout_ms)
        .bytes()
    )


def _member_assignment(member: Member) -> bytes:
    writer = (
        _value_writer()
        .int(4, member.member_epoch)
        .int(4, member.previous_member_epoch)
        .int(1, _STATES.index(member.state))
    )
    write_partitions(writer, member.assigned)
    write_partitions(writer, member.pending_revocation)
    return writer.bytes()


def diff_records(before: dict[bytes, bytes], after: dict[bytes, bytes]) -> list[OffsetsRecord]:
    """What to append to move the log from `before` to `after`: changes, then tombstones."""
    changed = [OffsetsRecord(k, v) for k, v in sorted(after.items()) if before.get(k) != v]
    removed = [OffsetsRecord(k, None) for k in sorted(before) if k not in after]
    return changed + removed


def member_state_from_code(code: int) -> MemberState:
    if not 0 <= code < len(_STATES):
        raise CorruptRecord(f"unknown member state {code}")
    return _STATES[code]
