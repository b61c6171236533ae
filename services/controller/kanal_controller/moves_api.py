"""The proto edge of reassignments, rebalancing and decommissioning: requests in, calls
into `Reassignments` and `Drains`, answers out. A controller that is not active answers
NOT_CONTROLLER for the whole request (reads included: drain state lives in the active
controller's memory); other failures are the answer's error code, never a gRPC status.
The service attaches the active controller's address to NOT_CONTROLLER answers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from kanal.errors import KanalError, RequestTimedOut, UnknownServerError
from kanal.meta.etcd import EtcdError
from kanal.v1 import common_pb2, controller_pb2

from kanal_controller.drains import Drains, Plan
from kanal_controller.reassignments import Reassignments, TopicPartitionKey

log = logging.getLogger(__name__)

T = TypeVar("T")
_DrainState = controller_pb2.DescribeBrokerDrainResponse.DrainState


def _moves(plan: Plan, current: dict[TopicPartitionKey, list[int]],
           ) -> list[controller_pb2.PartitionMove]:
    return [controller_pb2.PartitionMove(topic=t, partition=p,
                                         current_replicas=current.get((t, p), []),
                                         target_replicas=target)
            for (t, p), target in sorted(plan.items())]


async def _guarded(action: Callable[[], Awaitable[T]]) -> T | KanalError:
    try:
        return await action()
    except KanalError as exc:
        return exc
    except EtcdError as exc:
        return RequestTimedOut(f"etcd did not answer: {exc}")
    except Exception as exc:
        log.exception("unexpected error")
        return UnknownServerError(f"unexpected error: {exc!r}")


class MovesApi:
    def __init__(self, *, reassignments: Reassignments, drains: Drains,
                 fence: Callable[[], object]) -> None:
        self._reassignments = reassignments
        self._drains = drains
        self._fence = fence

    async def alter(self, request: controller_pb2.AlterPartitionReassignmentsRequest,
                    ) -> controller_pb2.AlterPartitionReassignmentsResponse:
        response = controller_pb2.AlterPartitionReassignmentsResponse()
        targets: dict[TopicPartitionKey, Sequence[int] | None] = {
            (p.topic, p.partition): None if p.cancel else list(p.replicas)
            for p in request.partitions}
        results = await _guarded(lambda: self._reassignments.alter(
            targets, throttle=max(0, request.throttle_bytes_per_s),
            validate_only=request.validate_only))
        if isinstance(results, KanalError):
            _fail(response, results)
            return response
        for (topic, partition), error in sorted(results.items()):
            result = response.results.add(topic=topic, partition=partition)
            if error is not None:
                result.error_code = common_pb2.ErrorCode.ValueType(error.code)
                result.error_message = error.message
        return response

    async def list(self, request: controller_pb2.ListPartitionReassignmentsRequest,
                   ) -> controller_pb2.ListPartitionReassignmentsResponse:
        response = controller_pb2.ListPartitionReassignmentsResponse()
        ongoing = await _guarded(lambda: self._reassignments.ongoing(list(request.topics)))
        if isinstance(ongoing, KanalError):
            _fail(response, ongoing)
            return response
        for item in ongoing:
            state = item.state
            response.reassignments.add(
                topic=item.topic, partition=item.partition, replicas=item.replicas,
                adding_replicas=state.adding_replicas, removing_replicas=state.removing_replicas,
                isr=state.isr, leader=state.leader,
                throttle_bytes_per_s=state.reassignment_throttle)
        return response

    async def rebalance(self, request: controller_pb2.RebalancePartitionsRequest,
                        ) -> controller_pb2.RebalancePartitionsResponse:
        response = controller_pb2.RebalancePartitionsResponse()

        async def plan() -> tuple[Plan, dict[TopicPartitionKey, list[int]]]:
            self._fence()
            current = (await self._drains.assignment()).holders
            return await self._drains.rebalance(
                exclude=frozenset(request.exclude_brokers),
                throttle=max(0, request.throttle_bytes_per_s),
                validate_only=request.validate_only), current

        outcome = await _guarded(plan)
        if isinstance(outcome, KanalError):
            _fail(response, outcome)
        else:
            response.moves.extend(_moves(*outcome))
        return response

    async def decommission(self, request: controller_pb2.DecommissionBrokerRequest,
                           ) -> controller_pb2.DecommissionBrokerResponse:
        response = controller_pb2.DecommissionBrokerResponse()

        async def plan() -> tuple[Plan, dict[TopicPartitionKey, list[int]]]:
            self._fence()
            current = (await self._drains.assignment()).holders
            return await self._drains.decommission(
                [request.broker_id], throttle=max(0, request.throttle_bytes_per_s),
                validate_only=request.validate_only), current

        outcome = await _guarded(plan)
        if isinstance(outcome, KanalError):
            _fail(response, outcome)
        else:
            response.moves.extend(_moves(*outcome))
        return response

    async def drain_status(self, request: controller_pb2.DescribeBrokerDrainRequest,
                           ) -> controller_pb2.DescribeBrokerDrainResponse:
        response = controller_pb2.DescribeBrokerDrainResponse()

        async def status() -> controller_pb2.DescribeBrokerDrainResponse:
            self._fence()
            found = await self._drains.status(request.broker_id)
            return controller_pb2.DescribeBrokerDrainResponse(
                state=_DrainState.ValueType(int(found.state)), replicas=found.replicas,
                moving=found.moving, reason=found.reason)

        outcome = await _guarded(status)
        if isinstance(outcome, KanalError):
            _fail(response, outcome)
            return response
        return outcome


def _fail(response: controller_pb2.AlterPartitionReassignmentsResponse
          | controller_pb2.ListPartitionReassignmentsResponse
          | controller_pb2.RebalancePartitionsResponse
          | controller_pb2.DecommissionBrokerResponse
          | controller_pb2.DescribeBrokerDrainResponse, error: KanalError) -> None:
    response.error_code = common_pb2.ErrorCode.ValueType(error.code)
    response.error_message = error.message
