"""The ConsumerGroupHeartbeat rules (KIP-848): epochs, joins, leaves, static members.

`heartbeat` validates everything before it changes anything, so a refused request leaves
the group exactly as it was. Epoch rules for a heartbeat with epoch e > 0:
e equal to the member's epoch is normal; e one step behind (the previous epoch) is accepted
when the member owns no more than it was last told, because the answer that raised its
epoch may have been lost; anything else is FENCED_MEMBER_EPOCH, and the member must give up
every partition and rejoin with epoch 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from kanal.errors import (
    FencedInstanceId,
    FencedMemberEpoch,
    GroupMaxSizeReached,
    InvalidRequest,
    UnknownMemberId,
    UnreleasedInstanceId,
    UnsupportedAssignor,
)
from kanal.types import TopicPartition

from kanal_broker.groups.config import GroupCoordinatorConfig
from kanal_broker.groups.group import ConsumerGroup
from kanal_broker.groups.member import JOIN_EPOCH, LEAVE_EPOCH, STATIC_LEAVE_EPOCH, Member
from kanal_broker.groups.reconciliation import reconcile
from kanal_broker.groups.subscriptions import compile_subscription_regex

MAX_ID_CHARS = 255
"""Member, instance, rack and client ids are persisted in records: keep them short."""


@dataclass(frozen=True, slots=True)
class HeartbeatRequest:
    group_id: str
    member_id: str
    member_epoch: int
    instance_id: str | None = None
    rack_id: str | None = None
    rebalance_timeout_ms: int = 0
    subscribed_topic_names: tuple[str, ...] = ()
    subscribed_topic_regex: str | None = None
    server_assignor: str | None = None
    owned: frozenset[TopicPartition] = frozenset()
    client_id: str = ""
    client_host: str = ""


@dataclass(frozen=True, slots=True)
class HeartbeatResponse:
    member_id: str
    member_epoch: int
    heartbeat_interval_ms: int
    assignment: frozenset[TopicPartition]


def validate(request: HeartbeatRequest, config: GroupCoordinatorConfig) -> None:
    if request.member_epoch < STATIC_LEAVE_EPOCH:
        raise InvalidRequest(f"member_epoch {request.member_epoch} is below -2")
    if not request.member_id and request.member_epoch != JOIN_EPOCH:
        raise InvalidRequest("member_id may be empty only when joining (member_epoch 0)")
    if request.member_epoch == STATIC_LEAVE_EPOCH and request.instance_id is None:
        raise InvalidRequest("member_epoch -2 is a static member's leave: instance_id is required")
    for label, text in (
        ("member_id", request.member_id),
        ("instance_id", request.instance_id or ""),
        ("rack_id", request.rack_id or ""),
        ("client_id", request.client_id),
    ):
        if len(text) > MAX_ID_CHARS:
            raise InvalidRequest(f"{label} is longer than {MAX_ID_CHARS} characters")
    if request.rebalance_timeout_ms < 0:
        raise InvalidRequest("rebalance_timeout_ms must not be negative")
    if any(tp.partition < 0 for tp in request.owned):
        raise InvalidRequest("owned partitions must not be negative")
    if request.subscribed_topic_regex is not None:
        compile_subscription_regex(request.subscribed_topic_regex)
    if request.server_assignor is not None and request.server_assignor not in config.assignors:
        raise UnsupportedAssignor(
            f"assignor {request.server_assignor!r} is not one of {list(config.assignors)}"
        )


def heartbeat(
    group: ConsumerGroup,
    request: HeartbeatRequest,
    *,
    topics: Mapping[str, int],
    config: GroupCoordinatorConfig,
    now_ms: int,
    new_member_id: Callable[[], str],
) -> Member | None:
    """Apply one heartbeat; the member afterwards, or None when it left for good."""
    validate(request, config)
    if request.member_epoch == LEAVE_EPOCH:
        _existing(group, request.member_id)
        group.remove_member(request.member_id, now_ms=now_ms)
        return None
    if request.member_epoch == STATIC_LEAVE_EPOCH:
        member = _existing(group, request.member_id)
        if member.is_static_left:
            return member
        left = replace(
            member, member_epoch=STATIC_LEAVE_EPOCH, previous_member_epoch=member.member_epoch
        )
        group.members[member.member_id] = left
        return left
    if request.member_epoch == JOIN_EPOCH:
        member, joined = _join(group, request, config=config, new_member_id=new_member_id)
    else:
        member, joined = _check_epoch(group, request), False
    updated = _with_subscription(member, request, config)
    group.members[updated.member_id] = updated
    metadata_changed = group.refresh_metadata(topics)
    if joined or metadata_changed or not updated.same_subscription(member):
        group.bump_epoch()  # once, whatever this heartbeat changed
    group.ensure_target(topics, config.assignors[0])
    reconciled = reconcile(
        updated,
        target=group.target.get(updated.member_id, frozenset()),
        target_epoch=group.assignment_epoch,
        held_by_others=group.held_by_others(updated.member_id),
        reported_owned=request.owned,
    )
    group.members[reconciled.member_id] = reconciled
    return reconciled


def _existing(group: ConsumerGroup, member_id: str) -> Member:
    member = group.members.get(member_id)
    if member is None:
        raise UnknownMemberId(f"member {member_id!r} is not in group {group.group_id!r}")
    return member


def _join(
    group: ConsumerGroup,
    request: HeartbeatRequest,
    *,
    config: GroupCoordinatorConfig,
    new_member_id: Callable[[], str],
) -> tuple[Member, bool]:
    """The joining member, and whether it is new to the group."""
    member_id = request.member_id or new_member_id()
    if request.instance_id is not None:
        holder = group.member_by_instance(request.instance_id)
        if holder is not None and holder.member_id != member_id:
            if not holder.is_static_left:
                raise UnreleasedInstanceId(
                    f"instance {request.instance_id!r} is still used by member {holder.member_id!r}"
                )
            # The restarted static member takes over its predecessor's partitions and epoch
            # without a rebalance.
            successor = replace(
                holder, member_id=member_id, member_epoch=holder.previous_member_epoch
            )
            group.rekey_member(holder.member_id, successor)
            return successor, False
    existing = group.members.get(member_id)
    if existing is not None:
        # A rejoin (after a fence or a lost answer): the client owns nothing now, and what
        # the coordinator still reserves for it is handed back below.
        return existing, False
    if len(group.members) >= config.max_group_size:
        raise GroupMaxSizeReached(f"group {group.group_id!r} has {len(group.members)} members")
    member = Member(member_id=member_id, instance_id=request.instance_id)
    group.add_member(member)
    return member, True


def _check_epoch(group: ConsumerGroup, request: HeartbeatRequest) -> Member:
    member = _existing(group, request.member_id)
    if request.instance_id is not None and member.instance_id != request.instance_id:
        raise FencedInstanceId(
            f"member {member.member_id!r} does not hold instance {request.instance_id!r}"
        )
    if request.member_epoch == member.member_epoch:
        return member
    lost_answer = (
        request.member_epoch == member.previous_member_epoch and request.owned <= member.assigned
    )
    if not lost_answer or member.is_static_left:
        raise FencedMemberEpoch(
            f"member {member.member_id!r} sent epoch {request.member_epoch}, "
            f"the coordinator has {member.member_epoch}"
        )
    return member


def _with_subscription(
    member: Member, request: HeartbeatRequest, config: GroupCoordinatorConfig
) -> Member:
    return replace(
        member,
        rack_id=request.rack_id,
        client_id=request.client_id,
        client_host=request.client_host,
        subscribed_topic_names=tuple(sorted(set(request.subscribed_topic_names))),
        subscribed_topic_regex=request.subscribed_topic_regex,
        server_assignor=request.server_assignor,
        rebalance_timeout_ms=request.rebalance_timeout_ms or config.default_rebalance_timeout_ms,
    )
