"""Rebuilding a coordinator's groups from its `__consumer_offsets` partition.

The log is folded the way compaction would (last value per key; a tombstone removes the
key), then each group is materialized from its keys. A member needs its metadata record;
an assignment record without one is an orphan from an interrupted write and is ignored.
Any record that does not decode raises CorruptRecord: a coordinator must not serve a group
from a log it cannot read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from kanal_broker.groups.group import ConsumerGroup
from kanal_broker.groups.member import Member
from kanal_broker.groups.offsets import OffsetStore
from kanal_broker.groups.records import (
    RecordKey,
    RecordType,
    decode_key,
    decode_offset,
    member_state_from_code,
    read_partitions,
    value_reader,
)
from kanal_broker.groups.wire import Reader


@dataclass(slots=True)
class LoadedGroup:
    group: ConsumerGroup
    offsets: OffsetStore = field(default_factory=OffsetStore)


def fold(records: Iterable[tuple[bytes, bytes | None]]) -> dict[bytes, bytes]:
    """Last value per key, tombstoned keys removed: the compacted view of the log."""
    latest: dict[bytes, bytes] = {}
    for key, value in records:
        if value is None:
            latest.pop(key, None)
        else:
            latest[key] = value
    return latest


def replay(records: Iterable[tuple[bytes, bytes | None]]) -> dict[str, LoadedGroup]:
    """The groups (state and offsets) a sequence of (key, value) records describes."""
    loaded: dict[str, LoadedGroup] = {}
    assignments: list[tuple[RecordKey, bytes]] = []
    for raw_key, value in fold(records).items():
        key = decode_key(raw_key)
        entry = loaded.setdefault(key.group_id, LoadedGroup(ConsumerGroup(key.group_id)))
        if key.type is RecordType.MEMBER_ASSIGNMENT:
            assignments.append((key, value))  # applied once every member exists
        else:
            _apply(entry, key, value)
    for key, value in assignments:
        _apply_assignment(loaded[key.group_id].group, key.member_id, value)
    return loaded


def _apply(entry: LoadedGroup, key: RecordKey, value: bytes) -> None:
    group = entry.group
    if key.partition is not None:  # only offset commit keys name a partition
        entry.offsets.offsets[key.partition] = decode_offset(value)
        return
    reader = value_reader(value)
    if key.type is RecordType.GROUP_METADATA:
        group.group_epoch = reader.int(4)
        empty_since = reader.int(8)
        group.empty_since_ms = None if empty_since < 0 else empty_since
    elif key.type is RecordType.SUBSCRIBED_TOPICS:
        group.subscribed_metadata = dict(reader.array(lambda r: (r.string(), r.int(4))))
    elif key.type is RecordType.TARGET_METADATA:
        group.assignment_epoch = reader.int(4)
        group.assignor_name = reader.string()
    elif key.type is RecordType.TARGET_MEMBER:
        group.target[key.member_id] = read_partitions(reader)
    elif key.type is RecordType.MEMBER_METADATA:
        group.members[key.member_id] = _member(key.member_id, reader)
    reader.finish()


def _member(member_id: str, reader: Reader) -> Member:
    return Member(
        member_id=member_id,
        instance_id=reader.nullable_string(),
        rack_id=reader.nullable_string(),
        client_id=reader.string(),
        client_host=reader.string(),
        subscribed_topic_names=tuple(reader.strings()),
        subscribed_topic_regex=reader.nullable_string(),
        server_assignor=reader.nullable_string(),
        rebalance_timeout_ms=reader.int(4),
    )


def _apply_assignment(group: ConsumerGroup, member_id: str, value: bytes) -> None:
    reader = value_reader(value)
    epoch, previous, state = reader.int(4), reader.int(4), member_state_from_code(reader.int(1))
    assigned, pending = read_partitions(reader), read_partitions(reader)
    reader.finish()
    member = group.members.get(member_id)
    if member is None:
        return
    group.members[member_id] = replace(
        member,
        member_epoch=epoch,
        previous_member_epoch=previous,
        state=state,
        assigned=assigned,
        pending_revocation=pending,
    )
