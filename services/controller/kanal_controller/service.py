"""The gRPC face of the controller: proto in, calls into topics/configs, proto out.

Per-item errors become result codes here (a bad topic does not fail the others); nothing
escapes as a gRPC status except etcd being unreachable on a read-only RPC.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable
from typing import TypeVar

import grpc
from kanal.errors import (
    InvalidRequest,
    KanalError,
    NotController,
    RequestTimedOut,
    UnknownServerError,
)
from kanal.meta.documents import BrokerRegistration, ControllerLease, TopicSpec
from kanal.meta.etcd import EtcdError
from kanal.v1 import common_pb2, controller_pb2, controller_pb2_grpc

from kanal_controller.alter_partition import alter_partitions
from kanal_controller.broker_watch import LiveBrokers
from kanal_controller.catalog import Catalog
from kanal_controller.configs import Configs
from kanal_controller.controlled_shutdown import ControlledShutdown
from kanal_controller.elect_leaders import elect_leaders
from kanal_controller.election import Election
from kanal_controller.isr_changes import IsrChanges
from kanal_controller.metrics import ControllerMetrics, RequestOutcome
from kanal_controller.moves_api import MovesApi
from kanal_controller.preferred_leader import LeaderElections
from kanal_controller.producer_ids import ProducerIdAllocator
from kanal_controller.topics import NewTopicRequest, Topics, TopicView

log = logging.getLogger(__name__)

T = TypeVar("T")
_ConfigType = controller_pb2.ConfigResource.Type


def controller_info(lease: ControllerLease, epoch: int) -> common_pb2.ControllerInfo:
    return common_pb2.ControllerInfo(
        controller_id=lease.controller_id,
        endpoint=common_pb2.Endpoint(host=lease.host, port=lease.port),
        controller_epoch=epoch,
    )


def broker_info(broker: BrokerRegistration) -> common_pb2.BrokerInfo:
    return common_pb2.BrokerInfo(
        broker_id=broker.broker_id,
        endpoint=common_pb2.Endpoint(host=broker.host, port=broker.port),
        rack=broker.rack,
        metrics_port=broker.metrics_port,
    )


def topic_description(view: TopicView) -> controller_pb2.TopicDescription:
    spec = view.spec
    partitions = []
    for p, replicas in enumerate(spec.assignment):
        state = view.partitions.get(p)
        partitions.append(controller_pb2.PartitionDescription(
            partition=p,
            leader=state.leader if state else -1,
            leader_epoch=state.leader_epoch if state else 0,
            replicas=replicas,
            isr=state.isr if state else [],
            partition_epoch=state.partition_epoch if state else 0,
        ))
    return controller_pb2.TopicDescription(
        name=spec.name, topic_id=spec.topic_id, is_internal=spec.internal,
        partitions=partitions, configs=spec.configs,
    )


def _set_error(result: controller_pb2.TopicResult | controller_pb2.ConfigResult
               | controller_pb2.TopicDescription,
               error: KanalError) -> None:
    result.error_code = common_pb2.ErrorCode.ValueType(error.code)
    result.error_message = error.message


def _error_name(code: int) -> str:
    try:
        return common_pb2.ErrorCode.Name(code)  # type: ignore[arg-type]
    except ValueError:
        return str(code)


class ControllerService(controller_pb2_grpc.ControllerServicer):
    def __init__(self, *, cluster_id: str, catalog: Catalog, election: Election,
                 topics: Topics, configs: Configs, isr_changes: IsrChanges,
                 live_brokers: LiveBrokers, metrics: ControllerMetrics,
                 controlled_shutdown: ControlledShutdown,
                 elections: LeaderElections,
                 producer_ids: ProducerIdAllocator, moves: MovesApi) -> None:
        self._cluster_id = cluster_id
        self._moves = moves
        self._producer_ids = producer_ids
        self._controlled_shutdown = controlled_shutdown
        self._elections = elections
        self._live_brokers = live_brokers
        self._isr_changes = isr_changes
        self._catalog = catalog
        self._election = election
        self._topics = topics
        self._configs = configs
        self._metrics = metrics

    async def CreateTopics(self, request: controller_pb2.CreateTopicsRequest,
                           context: grpc.aio.ServicerContext[object, object],
                           ) -> controller_pb2.CreateTopicsResponse:
        with self._metrics.request("CreateTopics") as outcome:
            response = controller_pb2.CreateTopicsResponse()
            listed = Counter(t.name for t in request.topics)
            for topic in request.topics:
                result = response.results.add(name=topic.name)
                created = await self._attempt(
                    self._create_one(topic, listed[topic.name], request.validate_only))
                if isinstance(created, KanalError):
                    _set_error(result, created)
                else:
                    result.topic_id = created.topic_id
            self._finish(response, [r.error_code for r in response.results], outcome)
            return response

    async def _create_one(self, topic: controller_pb2.NewTopic, times_listed: int,
                          validate_only: bool) -> TopicSpec:
        if times_listed > 1:
            raise InvalidRequest(f"topic {topic.name!r} is listed {times_listed} times")
        return await self._topics.create(
            NewTopicRequest(
                name=topic.name,
                num_partitions=topic.num_partitions,
                replication_factor=topic.replication_factor,
                configs=dict(topic.configs),
                replica_assignment=[list(r.broker_ids) for r in topic.replica_assignment],
            ),
            validate_only=validate_only,
        )

    async def DeleteTopics(self, request: controller_pb2.DeleteTopicsRequest,
                           context: grpc.aio.ServicerContext[object, object],
                           ) -> controller_pb2.DeleteTopicsResponse:
        with self._metrics.request("DeleteTopics") as outcome:
            response = controller_pb2.DeleteTopicsResponse()
            for name in request.names:
                result = response.results.add(name=name)
                deleted = await self._attempt(self._topics.delete(name))
                if isinstance(deleted, KanalError):
                    _set_error(result, deleted)
            self._finish(response, [r.error_code for r in response.results], outcome)
            return response

    async def AlterConfigs(self, request: controller_pb2.AlterConfigsRequest,
                           context: grpc.aio.ServicerContext[object, object],
                           ) -> controller_pb2.AlterConfigsResponse:
        with self._metrics.request("AlterConfigs") as outcome:
            response = controller_pb2.AlterConfigsResponse()
            for resource in request.resources:
                result = response.results.add(type=resource.type, name=resource.name)
                altered = await self._attempt(self._alter_one(resource, request.validate_only))
                if isinstance(altered, KanalError):
                    _set_error(result, altered)
            self._finish(response, [r.error_code for r in response.results], outcome)
            return response

    async def _alter_one(self, resource: controller_pb2.ConfigResource,
                         validate_only: bool) -> None:
        if resource.type == _ConfigType.TOPIC:
            alter = self._configs.alter_topic
        elif resource.type == _ConfigType.BROKER:
            alter = self._configs.alter_broker
        else:
            raise InvalidRequest(f"unsupported config resource type {resource.type}")
        await alter(resource.name, dict(resource.set), list(resource.delete),
                    validate_only=validate_only)

    async def DescribeTopics(self, request: controller_pb2.DescribeTopicsRequest,
                             context: grpc.aio.ServicerContext[object, object],
                             ) -> controller_pb2.DescribeTopicsResponse:
        with self._metrics.request("DescribeTopics") as outcome:
            try:
                views = await self._topics.describe(list(request.names),
                                                    request.include_internal)
            except EtcdError as exc:
                outcome.error = "REQUEST_TIMED_OUT"
                await context.abort(grpc.StatusCode.UNAVAILABLE, f"etcd: {exc}")
            response = controller_pb2.DescribeTopicsResponse()
            for name, view in views:
                if isinstance(view, KanalError):
                    _set_error(response.topics.add(name=name), view)
                else:
                    response.topics.append(topic_description(view))
            return response

    async def DescribeCluster(self, request: controller_pb2.DescribeClusterRequest,
                              context: grpc.aio.ServicerContext[object, object],
                              ) -> controller_pb2.DescribeClusterResponse:
        with self._metrics.request("DescribeCluster") as outcome:
            try:
                leader = await self._catalog.leader()
                controllers = await self._catalog.controllers()
                # The active controller answers with the broker set it places replicas on,
                # so that "DescribeCluster lists N brokers" means CreateTopics can use N;
                # etcd itself may already list a broker its watch has not delivered yet.
                if self._election.is_active and self._live_brokers.ready.is_set():
                    brokers = list(self._live_brokers.brokers.values())
                else:
                    brokers = await self._catalog.brokers()
            except EtcdError as exc:
                outcome.error = "REQUEST_TIMED_OUT"
                await context.abort(grpc.StatusCode.UNAVAILABLE, f"etcd: {exc}")
            response = controller_pb2.DescribeClusterResponse(
                cluster_id=self._cluster_id,
                brokers=[broker_info(b) for b in brokers],
                controllers=[controller_info(c, 0) for c, _ in controllers],
            )
            if leader is not None:
                response.active_controller.CopyFrom(controller_info(*leader))
                for info in response.controllers:
                    if info.controller_id == leader[0].controller_id:
                        info.controller_epoch = leader[1]
            return response

    async def AlterPartition(self, request: controller_pb2.AlterPartitionRequest,
                             context: grpc.aio.ServicerContext[object, object],
                             ) -> controller_pb2.AlterPartitionResponse:
        with self._metrics.request("AlterPartition") as outcome:
            try:
                response = await alter_partitions(request, self._isr_changes)
            except NotController as exc:
                response = controller_pb2.AlterPartitionResponse(
                    error_code=common_pb2.ErrorCode.ValueType(exc.code),
                    error_message=exc.message)
                self._finish(response, [exc.code], outcome)
                return response
            codes = [int(p.error_code) for t in response.topics for p in t.partitions]
            self._finish(response, codes, outcome)
            return response

    async def ControlledShutdown(self, request: controller_pb2.ControlledShutdownRequest,
                                 context: grpc.aio.ServicerContext[object, object],
                                 ) -> controller_pb2.ControlledShutdownResponse:
        with self._metrics.request("ControlledShutdown") as outcome:
            response = controller_pb2.ControlledShutdownResponse()
            remaining = await self._attempt(self._controlled_shutdown.request(
                request.broker_id, request.broker_epoch))
            if isinstance(remaining, KanalError):
                response.error_code = common_pb2.ErrorCode.ValueType(remaining.code)
                response.error_message = remaining.message
                self._finish(response, [remaining.code], outcome)
                return response
            for topic, partition in remaining:
                response.partitions_remaining.add(topic=topic, partition=partition)
            self._finish(response, [], outcome)
            return response

    async def AllocateProducerIds(self, request: controller_pb2.AllocateProducerIdsRequest,
                                  context: grpc.aio.ServicerContext[object, object],
                                  ) -> controller_pb2.AllocateProducerIdsResponse:
        with self._metrics.request("AllocateProducerIds") as outcome:
            response = controller_pb2.AllocateProducerIdsResponse()
            block = await self._attempt(self._producer_ids.allocate())
            if isinstance(block, KanalError):
                response.error_code = common_pb2.ErrorCode.ValueType(block.code)
                response.error_message = block.message
                self._finish(response, [block.code], outcome)
                return response
            response.first_producer_id = block.first
            response.count = block.count
            self._finish(response, [], outcome)
            return response

    async def ElectLeaders(self, request: controller_pb2.ElectLeadersRequest,
                           context: grpc.aio.ServicerContext[object, object],
                           ) -> controller_pb2.ElectLeadersResponse:
        with self._metrics.request("ElectLeaders") as outcome:
            response = await elect_leaders(request, self._elections)
            codes = [int(response.error_code), *(int(r.error_code) for r in response.results)]
            self._finish(response, codes, outcome)
            return response

    async def AlterPartitionReassignments(
            self, request: controller_pb2.AlterPartitionReassignmentsRequest,
            context: grpc.aio.ServicerContext[object, object],
    ) -> controller_pb2.AlterPartitionReassignmentsResponse:
        with self._metrics.request("AlterPartitionReassignments") as outcome:
            response = await self._moves.alter(request)
            self._finish(response, [int(response.error_code),
                                    *(int(r.error_code) for r in response.results)], outcome)
            return response

    async def ListPartitionReassignments(
            self, request: controller_pb2.ListPartitionReassignmentsRequest,
            context: grpc.aio.ServicerContext[object, object],
    ) -> controller_pb2.ListPartitionReassignmentsResponse:
        with self._metrics.request("ListPartitionReassignments") as outcome:
            response = await self._moves.list(request)
            outcome.error = _error_name(response.error_code)
            return response

    async def RebalancePartitions(
            self, request: controller_pb2.RebalancePartitionsRequest,
            context: grpc.aio.ServicerContext[object, object],
    ) -> controller_pb2.RebalancePartitionsResponse:
        with self._metrics.request("RebalancePartitions") as outcome:
            response = await self._moves.rebalance(request)
            self._finish(response, [int(response.error_code)], outcome)
            return response

    async def DecommissionBroker(
            self, request: controller_pb2.DecommissionBrokerRequest,
            context: grpc.aio.ServicerContext[object, object],
    ) -> controller_pb2.DecommissionBrokerResponse:
        with self._metrics.request("DecommissionBroker") as outcome:
            response = await self._moves.decommission(request)
            self._finish(response, [int(response.error_code)], outcome)
            return response

    async def DescribeBrokerDrain(
            self, request: controller_pb2.DescribeBrokerDrainRequest,
            context: grpc.aio.ServicerContext[object, object],
    ) -> controller_pb2.DescribeBrokerDrainResponse:
        with self._metrics.request("DescribeBrokerDrain") as outcome:
            response = await self._moves.drain_status(request)
            self._finish(response, [int(response.error_code)], outcome)
            return response

    async def _attempt(self, action: Awaitable[T]) -> T | KanalError:
        """The action's result, or the error to report for this one item."""
        try:
            return await action
        except KanalError as exc:
            return exc
        except EtcdError as exc:
            return RequestTimedOut(f"etcd did not answer: {exc}")
        except Exception as exc:
            log.exception("unexpected error")
            return UnknownServerError(f"unexpected error: {exc!r}")

    def _finish(self, response: controller_pb2.CreateTopicsResponse
                | controller_pb2.DeleteTopicsResponse | controller_pb2.AlterConfigsResponse
                | controller_pb2.AlterPartitionResponse
                | controller_pb2.ControlledShutdownResponse
                | controller_pb2.ElectLeadersResponse
                | controller_pb2.AllocateProducerIdsResponse
                | controller_pb2.AlterPartitionReassignmentsResponse
                | controller_pb2.RebalancePartitionsResponse
                | controller_pb2.DecommissionBrokerResponse
                | controller_pb2.DescribeBrokerDrainResponse,
                codes: list[int], outcome: RequestOutcome) -> None:
        """Attach the active controller when any item was refused with NOT_CONTROLLER, and
        report the request's first error to the metrics."""
        if NotController.code in codes:
            response.not_controller.SetInParent()
            active = self._election.active
            if active is not None and not self._election.is_active:
                response.not_controller.active.CopyFrom(
                    controller_info(active.info, active.epoch))
        first_error = next((c for c in codes if c != 0), 0)
        outcome.error = _error_name(first_error)
