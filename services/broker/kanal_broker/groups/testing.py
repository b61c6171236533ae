"""A test harness for the coordinator: simulated clients, a manual clock, and the
`__consumer_offsets` log the coordinator asked to append.

A simulated client follows the KIP-848 client rules with the widest window a real one has:
it starts consuming newly assigned partitions as soon as an answer arrives, but keeps
consuming the partitions an answer took away until just before its next heartbeat (that is
when it finishes revoking and reports what it owns). On a fence it drops everything and
rejoins with epoch 0."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field

from kanal.errors import FencedMemberEpoch, GroupIdNotFound, KanalError, UnknownMemberId
from kanal.types import TopicPartition

from kanal_broker.groups.config import GroupCoordinatorConfig
from kanal_broker.groups.coordinator import Append, GroupCoordinator
from kanal_broker.groups.member import JOIN_EPOCH, LEAVE_EPOCH, STATIC_LEAVE_EPOCH
from kanal_broker.groups.membership import HeartbeatRequest, HeartbeatResponse


@dataclass(slots=True)
class SimClient:
    name: str
    topics: tuple[str, ...] = ()
    regex: str | None = None
    instance_id: str | None = None
    assignor: str | None = None
    member_id: str = ""
    epoch: int = JOIN_EPOCH
    owned: frozenset[TopicPartition] = field(default_factory=frozenset)
    """Everything it consumes now, including partitions it is still revoking."""
    revoking: frozenset[TopicPartition] = field(default_factory=frozenset)


class GroupHarness:
    def __init__(
        self,
        topics: Mapping[str, int],
        *,
        config: GroupCoordinatorConfig | None = None,
        group_id: str = "g",
    ) -> None:
        ids = itertools.count()
        self.coordinator = GroupCoordinator(config, new_member_id=lambda: f"m{next(ids)}")
        self.group_id = group_id
        self.partition = self.coordinator.partition_for(group_id)
        self.coordinator.load(self.partition, [], now_ms=0)
        self.topics = dict(topics)
        self.now_ms = 0
        self.log: list[tuple[bytes, bytes | None]] = []
        self.clients: dict[str, SimClient] = {}

    def append(self, append: Append) -> None:
        assert append.partition == self.partition
        self.log.extend((r.key, r.value) for r in append.records)

    def join(self, name: str, *topics: str, **options: str | None) -> HeartbeatResponse:
        """Start a client and join; a refused join raises the coordinator's error."""
        self.clients[name] = SimClient(
            name,
            topics=topics,
            regex=options.get("regex"),
            instance_id=options.get("instance_id"),
            assignor=options.get("assignor"),
        )
        response = self.heartbeat(name)
        if isinstance(response, KanalError):
            del self.clients[name]
            raise response
        return response

    def request(self, client: SimClient, epoch: int | None = None) -> HeartbeatRequest:
        return HeartbeatRequest(
            group_id=self.group_id,
            member_id=client.member_id,
            member_epoch=client.epoch if epoch is None else epoch,
            instance_id=client.instance_id,
            subscribed_topic_names=client.topics,
            subscribed_topic_regex=client.regex,
            server_assignor=client.assignor,
            owned=client.owned,
        )

    def heartbeat(
        self, name: str, epoch: int | None = None, *, deliver: bool = True
    ) -> HeartbeatResponse | KanalError:
        """One heartbeat; with deliver=False the answer is lost on its way to the client."""
        client = self.clients[name]
        client.owned, client.revoking = client.owned - client.revoking, frozenset()
        try:
            response, append = self.coordinator.heartbeat(
                self.request(client, epoch), topics=self.topics, now_ms=self.now_ms
            )
        except (FencedMemberEpoch, UnknownMemberId, GroupIdNotFound) as exc:
            if not deliver:
                return exc
            client.owned, client.epoch = frozenset(), JOIN_EPOCH  # the client rule on a fence
            return exc
        except KanalError as exc:
            return exc
        self.append(append)
        if not deliver:
            return response
        client.member_id = response.member_id
        client.epoch = response.member_epoch
        client.revoking = client.owned - response.assignment
        client.owned = client.owned | response.assignment
        return response

    def leave(self, name: str, *, static: bool = False) -> None:
        self.heartbeat(name, STATIC_LEAVE_EPOCH if static else LEAVE_EPOCH)
        del self.clients[name]

    def crash(self, name: str) -> None:
        """The client process dies: it never heartbeats again and consumes nothing."""
        del self.clients[name]

    def advance(self, ms: int) -> None:
        self.now_ms += ms
        for append in self.coordinator.tick(now_ms=self.now_ms):
            self.append(append)

    def settle(self, rounds: int = 10) -> None:
        """Heartbeat every live client, round after round, until the group is stable."""
        for _ in range(rounds):
            for name in sorted(self.clients):
                self.heartbeat(name)
            if self.coordinator.describe(self.group_id).state.value == "Stable":
                return
        raise AssertionError(f"group not stable after {rounds} rounds")

    def owned(self) -> dict[str, frozenset[TopicPartition]]:
        """What each live client consumes right now (revoking partitions included)."""
        return {name: client.owned for name, client in self.clients.items()}

    def settled_owned(self) -> dict[str, frozenset[TopicPartition]]:
        """What each live client keeps once it finishes revoking."""
        return {name: c.owned - c.revoking for name, c in self.clients.items()}
