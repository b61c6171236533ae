"""The asyncio admin client: topics, configs and the cluster, through the active controller.

Per-topic errors are raised as the KanalError of their code (the first one, as kafka-python
does) unless `raise_errors=False`, which returns every result with its error instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

from kanal.client.admin_types import (
    BrokerDescription,
    ClusterDescription,
    ConfigResource,
    ConfigResourceType,
    ConfigResult,
    ControllerDescription,
    PartitionDescription,
    TopicDescription,
    TopicResult,
)
from kanal.client.config import AdminConfig, build_config
from kanal.client.connection import ConnectionPool
from kanal.client.controller_client import ControllerClient
from kanal.client.metadata import MetadataManager
from kanal.client.records import NewTopic
from kanal.errors import ClientClosed, KanalError, error_for_code
from kanal.types import HostPort
from kanal.v1 import common_pb2, controller_pb2


def _controller(info: common_pb2.ControllerInfo) -> ControllerDescription:
    endpoint = HostPort(info.endpoint.host, info.endpoint.port)
    return ControllerDescription(info.controller_id, endpoint, info.controller_epoch)


def _error(code: int, message: str) -> KanalError | None:
    return error_for_code(code, message) if code else None


@dataclass(frozen=True, slots=True)
class ElectionResult:
    """One partition's outcome of `elect_leaders`: its leader afterwards, whether it moved."""

    topic: str
    partition: int
    leader: int
    elected: bool
    error: KanalError | None


def _raise_first(results: Sequence[TopicResult | ConfigResult]) -> None:
    for result in results:
        if result.error is not None:
            raise result.error


class AIOAdmin:
    def __init__(self, **configs: Any) -> None:
        self.config: AdminConfig = build_config(AdminConfig, configs)
        conn = self.config.connection
        self._timeout_s = conn.request_timeout_ms / 1000
        self._pool: ConnectionPool | None = None
        self._metadata: MetadataManager | None = None
        self._controller: ControllerClient | None = None
        self._closed = False

    async def start(self) -> None:
        if self._closed:
            raise ClientClosed("the admin client is closed")
        if self._pool is None:
            conn = self.config.connection
            self._pool = ConnectionPool(conn.client_id)
            self._metadata = MetadataManager(self._pool, conn)
            self._controller = ControllerClient(
                self._pool, self._metadata, self._timeout_s,
                (conn.retry_backoff_ms, conn.retry_backoff_max_ms),
            )

    async def __aenter__(self) -> AIOAdmin:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _client(self) -> ControllerClient:
        await self.start()
        assert self._controller is not None
        return self._controller

    # ---- topics ---------------------------------------------------------------------------

    async def create_topics(
        self, new_topics: Iterable[NewTopic], validate_only: bool = False, *,
        raise_errors: bool = True,
    ) -> list[TopicResult]:
        request = controller_pb2.CreateTopicsRequest(
            topics=[
                controller_pb2.NewTopic(
                    name=t.name,
                    num_partitions=t.num_partitions,
                    replication_factor=t.replication_factor,
                    configs=dict(t.topic_configs),
                    replica_assignment=[
                        controller_pb2.ReplicaList(broker_ids=list(r))
                        for r in t.replica_assignment
                    ],
                )
                for t in new_topics
            ],
            validate_only=validate_only,
        )
        client = await self._client()
        response = await client.call(
            lambda stub, timeout: stub.CreateTopics(request, timeout=timeout)
        )
        results = [TopicResult(r.name, _error(r.error_code, r.error_message), r.topic_id)
                   for r in response.results]
        if raise_errors:
            _raise_first(results)
        return results

    async def delete_topics(
        self, topics: Iterable[str], *, raise_errors: bool = True
    ) -> list[TopicResult]:
        request = controller_pb2.DeleteTopicsRequest(names=list(topics))
        client = await self._client()
        response = await client.call(
            lambda stub, timeout: stub.DeleteTopics(request, timeout=timeout)
        )
        results = [TopicResult(r.name, _error(r.error_code, r.error_message), r.topic_id)
                   for r in response.results]
        if raise_errors:
            _raise_first(results)
        return results

    async def describe_topics(
        self, topics: Iterable[str] | None = None, *, include_internal: bool = False,
        raise_errors: bool = True,
    ) -> list[TopicDescription]:
        """Every topic (None) or the named ones; an unknown name raises
        UnknownTopicOrPartition unless `raise_errors=False` (then it is left out)."""
        request = controller_pb2.DescribeTopicsRequest(
            names=list(topics or ()), include_internal=include_internal
        )
        client = await self._client()
        response = await client.call(
            lambda stub, timeout: stub.DescribeTopics(request, timeout=timeout)
        )
        out: list[TopicDescription] = []
        for t in response.topics:
            if t.error_code:
                if raise_errors:
                    raise error_for_code(t.error_code, t.error_message or t.name)
                continue
            partitions = tuple(
                PartitionDescription(p.partition, p.leader, p.leader_epoch, tuple(p.replicas),
                                     tuple(p.isr), p.partition_epoch)
                for p in sorted(t.partitions, key=lambda p: p.partition)
            )
            out.append(TopicDescription(t.name, t.topic_id, t.is_internal, partitions,
                                        dict(t.configs)))
        return out

    async def list_topics(self) -> list[str]:
        return sorted(t.name for t in await self.describe_topics(raise_errors=False))

    async def describe_configs(self, topic: str) -> dict[str, str]:
        """The configs set on `topic` (those not listed take their defaults)."""
        (description,) = await self.describe_topics([topic])
        return description.configs

    # ---- configs and cluster --------------------------------------------------------------

    async def incremental_alter_configs(
        self, resources: Iterable[ConfigResource], validate_only: bool = False, *,
        raise_errors: bool = True,
    ) -> list[ConfigResult]:
        request = controller_pb2.AlterConfigsRequest(
            resources=[
                controller_pb2.ConfigResource(
                    type=controller_pb2.ConfigResource.Type.ValueType(int(r.resource_type)),
                    name=r.name, set=dict(r.configs), delete=list(r.delete),
                )
                for r in resources
            ],
            validate_only=validate_only,
        )
        client = await self._client()
        response = await client.call(
            lambda stub, timeout: stub.AlterConfigs(request, timeout=timeout)
        )
        results = [
            ConfigResult(ConfigResourceType(r.type), r.name, _error(r.error_code, r.error_message))
            for r in response.results
        ]
        if raise_errors:
            _raise_first(results)
        return results

    alter_configs = incremental_alter_configs

    async def describe_cluster(self) -> ClusterDescription:
        client = await self._client()
        response = await client.call(
            lambda stub, timeout: stub.DescribeCluster(
                controller_pb2.DescribeClusterRequest(), timeout=timeout
            )
        )
        active = (_controller(response.active_controller)
                  if response.HasField("active_controller") else None)
        return ClusterDescription(
            cluster_id=response.cluster_id,
            controller=active,
            brokers=tuple(
                BrokerDescription(b.broker_id, HostPort(b.endpoint.host, b.endpoint.port),
                                  b.rack or None)
                for b in sorted(response.brokers, key=lambda b: b.broker_id)
            ),
            controllers=tuple(_controller(c) for c in response.controllers),
        )

    async def elect_leaders(
        self, election_type: Literal["preferred", "unclean"] = "preferred",
        partitions: Iterable[tuple[str, int]] | None = None,
    ) -> list[ElectionResult]:
        """Kafka's electLeaders: `preferred` moves each partition (None: every one) back to
        its first replica when that is live and in sync; `unclean` gives each named
        leaderless partition to any live replica, in sync or not, which can lose
        acknowledged writes. Per-partition errors are in the results."""
        kind = (controller_pb2.ElectLeadersRequest.ElectionType.UNCLEAN
                if election_type == "unclean"
                else controller_pb2.ElectLeadersRequest.ElectionType.PREFERRED)
        request = controller_pb2.ElectLeadersRequest(election_type=kind, partitions=[
            common_pb2.TopicPartition(topic=t, partition=p) for t, p in partitions or ()])
        client = await self._client()
        response = await client.call(
            lambda stub, timeout: stub.ElectLeaders(request, timeout=timeout))
        error = _error(response.error_code, response.error_message)
        if error is not None:
            raise error
        return [ElectionResult(r.topic, r.partition, r.leader, r.elected,
                               _error(r.error_code, r.error_message))
                for r in response.results]

    async def close(self) -> None:
        self._closed = True
        if self._metadata is not None:
            await self._metadata.close()
        if self._pool is not None:
            await self._pool.close()
        self._pool = self._metadata = self._controller = None
