"""The group coordinator of one broker: every group of the `__consumer_offsets` partitions
it leads, their timers, and the records each change must append.

Contract with the broker wiring: every mutating call returns an `Append` (the partition and
its records). The wiring appends them to that `__consumer_offsets` partition and answers the
client only once the append is acknowledged. If the append fails, the in-memory state is
ahead of the log: the wiring must `unload` the partition and `load` it again from the log,
which drops the change the client was never told about. A call that raises changed nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from kanal.errors import (
    ConfigurationError,
    CoordinatorLoadInProgress,
    GroupIdNotFound,
    InconsistentGroupProtocol,
    InvalidGroupId,
    KanalError,
    NonEmptyGroup,
    NotCoordinator,
)
from kanal.types import TopicPartition

from kanal_broker.groups import membership
from kanal_broker.groups.assignors import ASSIGNORS
from kanal_broker.groups.classic.groups import ClassicGroups
from kanal_broker.groups.config import GroupCoordinatorConfig
from kanal_broker.groups.group import ConsumerGroup, GroupState
from kanal_broker.groups.member import JOIN_EPOCH, LEAVE_EPOCH, Member
from kanal_broker.groups.membership import HeartbeatRequest, HeartbeatResponse
from kanal_broker.groups.offsets import (
    CommittedOffset,
    OffsetCommitEntry,
    OffsetStore,
    check_commit_fencing,
    check_entry,
)
from kanal_broker.groups.partitioning import offsets_partition_for
from kanal_broker.groups.records import OffsetsRecord, diff_records, group_records, offset_record
from kanal_broker.groups.replay import replay
from kanal_broker.groups.timers import Deadlines
from kanal_broker.groups.views import GroupDescription, GroupListing, describe_group


@dataclass(frozen=True, slots=True)
class Append:
    """Records to append to one `__consumer_offsets` partition before answering."""

    partition: int
    records: tuple[OffsetsRecord, ...] = ()


class _Load(Enum):
    LOADING = "loading"
    ACTIVE = "active"


@dataclass(slots=True)
class _Entry:
    group: ConsumerGroup
    offsets: OffsetStore = field(default_factory=OffsetStore)
    persisted: dict[bytes, bytes] = field(default_factory=dict)
    """The group's non-offset records as the log holds them (see records.group_records)."""


class GroupCoordinator:
    def __init__(
        self,
        config: GroupCoordinatorConfig | None = None,
        *,
        new_member_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self.config = config or GroupCoordinatorConfig()
        unknown = [name for name in self.config.assignors if name not in ASSIGNORS]
        if unknown or not self.config.assignors:
            raise ConfigurationError(f"group assignors must be among {sorted(ASSIGNORS)}")
        self._new_member_id = new_member_id
        self._partitions: dict[int, _Load] = {}
        self._groups: dict[str, _Entry] = {}
        self._deadlines = Deadlines()
        self.classic = ClassicGroups(self.config, lambda client: f"{client}-{new_member_id()}")
        """Classic (JoinGroup/SyncGroup) groups: memory only, never in the log."""

    # ---- partition ownership (driven by leadership of `__consumer_offsets`) ----

    def partition_for(self, group_id: str) -> int:
        return offsets_partition_for(group_id, self.config.offsets_partitions)

    def begin_loading(self, partition: int) -> None:
        """This broker became leader; requests get COORDINATOR_LOAD_IN_PROGRESS until `load`."""
        self._partitions[partition] = _Load.LOADING

    def load(
        self, partition: int, records: Iterable[tuple[bytes, bytes | None]], *, now_ms: int
    ) -> None:
        """Replay the partition's log and start serving its groups."""
        self.unload(partition)
        for group_id, loaded in replay(records).items():
            if self.partition_for(group_id) != partition:
                continue  # not this partition's group: a foreign record is ignored
            entry = _Entry(loaded.group, loaded.offsets, group_records(loaded.group))
            self._groups[group_id] = entry
            self._deadlines.sync(
                loaded.group, now_ms=now_ms, session_ms=self.config.session_timeout_ms
            )
        self._partitions[partition] = _Load.ACTIVE

    def unload(self, partition: int) -> None:
        """Leadership moved away: forget the partition's groups (the log keeps them)."""
        self._partitions.pop(partition, None)
        self.classic.unload(lambda group_id: self.partition_for(group_id) == partition)
        for group_id in [g for g in self._groups if self.partition_for(g) == partition]:
            del self._groups[group_id]
            self._deadlines.forget_group(group_id)

    # ---- requests ----

    def heartbeat(
        self, request: HeartbeatRequest, *, topics: Mapping[str, int], now_ms: int
    ) -> tuple[HeartbeatResponse, Append]:
        partition = self._check_serving(request.group_id)
        if self.classic.has_members(request.group_id):
            raise InconsistentGroupProtocol(f"group {request.group_id!r} is a classic group")
        entry = self._groups.get(request.group_id)
        if entry is None:
            if request.member_epoch != JOIN_EPOCH:
                raise GroupIdNotFound(f"group {request.group_id!r} does not exist")
            entry = _Entry(ConsumerGroup(request.group_id))
        member = membership.heartbeat(
            entry.group,
            request,
            topics=topics,
            config=self.config,
            now_ms=now_ms,
            new_member_id=self._new_member_id,
        )
        self._groups[request.group_id] = entry
        self.classic.forget_empty(request.group_id)  # the group id is KIP-848's now
        if member is not None:
            self._deadlines.heard_from(
                request.group_id, member, now_ms=now_ms, session_ms=self.config.session_timeout_ms
            )
        self._deadlines.sync(entry.group, now_ms=now_ms, session_ms=self.config.session_timeout_ms)
        response = HeartbeatResponse(
            member_id=member.member_id if member else request.member_id,
            member_epoch=member.member_epoch if member else LEAVE_EPOCH,
            heartbeat_interval_ms=self._interval_for(entry.group, member),
            assignment=member.assigned if member else frozenset(),
        )
        return response, Append(partition, tuple(self._persist(entry)))

    def commit(
        self,
        group_id: str,
        entries: Iterable[OffsetCommitEntry],
        *,
        member_id: str,
        member_epoch: int,
        now_ms: int,
    ) -> tuple[dict[TopicPartition, KanalError | None], Append]:
        """Commit offsets; group-level refusals raise, per-partition ones are in the result."""
        partition = self._check_serving(group_id)
        entry = self._groups.get(group_id)
        if not self.classic.check_commit(group_id, member_id=member_id, generation=member_epoch):
            check_commit_fencing(entry.group if entry else None, member_id, member_epoch)
        items = list(entries)
        limit = self.config.offset_metadata_max_bytes
        results = {item.partition: check_entry(item, metadata_max_bytes=limit) for item in items}
        accepted = [item for item in items if results[item.partition] is None]
        if not accepted:
            return results, Append(partition)
        if entry is None:  # an admin commit creates the (empty) group
            entry = _Entry(ConsumerGroup(group_id, empty_since_ms=now_ms))
            self._groups[group_id] = entry
        records = self._persist(entry)
        for item in accepted:
            committed = CommittedOffset(item.offset, item.leader_epoch, item.metadata, now_ms)
            entry.offsets.offsets[item.partition] = committed
            records.append(offset_record(group_id, item.partition, committed))
        return results, Append(partition, tuple(records))

    def fetch(
        self, group_id: str, partitions: Iterable[TopicPartition] | None = None
    ) -> dict[TopicPartition, CommittedOffset | None]:
        """Committed offsets (None where nothing is committed); every offset when no list."""
        self._check_serving(group_id)
        entry = self._groups.get(group_id)
        return (entry.offsets if entry else OffsetStore()).fetch(partitions)

    def describe(self, group_id: str) -> GroupDescription:
        self._check_serving(group_id)
        entry = self._groups.get(group_id)
        if entry is None:
            raise GroupIdNotFound(f"group {group_id!r} does not exist")
        return describe_group(entry.group)

    def classic_groups(self, group_id: str, *, joining: bool = False) -> ClassicGroups:
        """The classic groups, once this broker serves `group_id`; a JoinGroup is refused
        while KIP-848 members use the group id."""
        self._check_serving(group_id)
        entry = self._groups.get(group_id)
        if joining and entry is not None and entry.group.members:
            raise InconsistentGroupProtocol(f"group {group_id!r} is a consumer (KIP-848) group")
        return self.classic

    def list_groups(self, states: Iterable[str] = ()) -> list[GroupListing]:
        wanted = {s.lower() for s in states}
        listings = {g.group_id: GroupListing(g.group_id, g.state, "classic")
                    for g in self.classic}
        for group_id, entry in self._groups.items():
            listings.setdefault(group_id, GroupListing(group_id, entry.group.state))
        return [listing for _, listing in sorted(listings.items())
                if not wanted or listing.state.value.lower() in wanted]

    def delete(self, group_id: str) -> Append:
        """Delete an empty group and its offsets (NON_EMPTY_GROUP while it has members)."""
        partition = self._check_serving(group_id)
        entry = self._groups.get(group_id)
        if self.classic.has_members(group_id) or (entry is not None and entry.group.members):
            raise NonEmptyGroup(f"group {group_id!r} has members")
        known_classic = self.classic.get(group_id) is not None
        self.classic.forget_empty(group_id)
        if entry is None:
            if known_classic:
                return Append(partition)
            raise GroupIdNotFound(f"group {group_id!r} does not exist")
        return Append(partition, tuple(self._drop(group_id)))

    def tick(self, *, now_ms: int) -> list[Append]:
        """Fence members past their session or rebalance timeout; expire old offsets."""
        by_partition: dict[int, list[OffsetsRecord]] = {}
        for group_id, member_id in self._deadlines.expired(now_ms=now_ms):
            entry = self._groups.get(group_id)
            if entry is not None and member_id in entry.group.members:
                entry.group.remove_member(member_id, now_ms=now_ms)
                self._deadlines.sync(
                    entry.group, now_ms=now_ms, session_ms=self.config.session_timeout_ms
                )
                by_partition.setdefault(self.partition_for(group_id), []).extend(
                    self._persist(entry)
                )
        for group_id in sorted(self._groups):
            if self._partitions.get(self.partition_for(group_id)) is _Load.ACTIVE:
                records = self._expire_offsets(group_id, now_ms)
                if records:
                    by_partition.setdefault(self.partition_for(group_id), []).extend(records)
        return [Append(p, tuple(r)) for p, r in sorted(by_partition.items()) if r]

    def records_of(self, group_id: str) -> dict[bytes, bytes]:
        """The group's whole state as the compacted log must hold it (key -> value)."""
        self._check_serving(group_id)
        entry = self._groups.get(group_id)
        if entry is None:
            return {}
        offsets = (offset_record(group_id, tp, c) for tp, c in entry.offsets.offsets.items())
        return {**group_records(entry.group), **{r.key: r.value for r in offsets if r.value}}

    def next_deadline(self) -> int | None:
        """The earliest session or rebalance deadline: when `tick` has work next."""
        return self._deadlines.next_deadline()

    # ---- internals ----

    def _interval_for(self, group: ConsumerGroup, member: Member | None) -> int:
        """The configured interval, or a short one while the member waits for partitions
        that others are releasing: it then learns of them within that short interval,
        not a whole interval later (a rebalance takes about one interval, not two)."""
        interval = self.config.heartbeat_interval_ms
        if member is None or member.assigned == group.target.get(member.member_id, frozenset()):
            return interval
        return min(interval, self.config.reconciling_heartbeat_interval_ms)

    def _check_serving(self, group_id: str) -> int:
        if not group_id:
            raise InvalidGroupId("the group id is empty")
        try:
            size = len(group_id.encode("utf-8"))
        except UnicodeEncodeError:
            raise InvalidGroupId("the group id is not valid UTF-8") from None
        if size > self.config.max_group_id_bytes:
            raise InvalidGroupId(
                f"the group id is longer than {self.config.max_group_id_bytes} bytes"
            )
        partition = self.partition_for(group_id)
        status = self._partitions.get(partition)
        if status is None:
            raise NotCoordinator(f"this broker does not lead __consumer_offsets-{partition}")
        if status is _Load.LOADING:
            raise CoordinatorLoadInProgress(f"__consumer_offsets-{partition} is loading")
        return partition

    def _persist(self, entry: _Entry) -> list[OffsetsRecord]:
        after = group_records(entry.group)
        records = diff_records(entry.persisted, after)
        entry.persisted = after
        return records

    def _expire_offsets(self, group_id: str, now_ms: int) -> list[OffsetsRecord]:
        entry = self._groups[group_id]
        group = entry.group
        if self.classic.has_members(group_id):
            return []  # a live classic group keeps every offset (Kafka does, for "connect")
        gone = entry.offsets.expired(
            group,
            frozenset(group.subscribed_metadata),
            now_ms=now_ms,
            retention_ms=self.config.offsets_retention_ms,
        )
        records = []
        for tp in gone:
            del entry.offsets.offsets[tp]
            records.append(offset_record(group_id, tp, None))
        empty_for = now_ms - (group.empty_since_ms if group.empty_since_ms is not None else now_ms)
        if (
            not group.members
            and not entry.offsets.offsets
            and empty_for >= self.config.offsets_retention_ms
        ):
            records.extend(self._drop(group_id))
        return records

    def _drop(self, group_id: str) -> list[OffsetsRecord]:
        entry = self._groups.pop(group_id)
        self._deadlines.forget_group(group_id)
        tombstones = [offset_record(group_id, tp, None) for tp in sorted(entry.offsets.offsets)]
        return tombstones + diff_records(entry.persisted, {})


__all__ = ["Append", "GroupCoordinator", "GroupState"]
