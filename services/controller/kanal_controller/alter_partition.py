"""The AlterPartition RPC's proto edge: request items to `IsrChange`s, results back.

Each partition stands alone (one refused change does not fail the others), except that a
controller that is not active answers NOT_CONTROLLER for the whole request.
"""

from __future__ import annotations

from kanal.errors import KanalError, NotController, RequestTimedOut
from kanal.meta.documents import PartitionState
from kanal.meta.etcd import EtcdError
from kanal.v1 import common_pb2, controller_pb2

from kanal_controller.isr_changes import IsrChange, IsrChanges


async def alter_partitions(request: controller_pb2.AlterPartitionRequest,
                           changes: IsrChanges) -> controller_pb2.AlterPartitionResponse:
    """Raises NotController when this controller is not (or stops being) the active one."""
    response = controller_pb2.AlterPartitionResponse()
    for topic in request.topics:
        results = response.topics.add(topic=topic.topic)
        for data in topic.partitions:
            result = results.partitions.add(partition=data.partition, leader=-1)
            change = IsrChange(topic.topic, data.partition, request.broker_id,
                               data.leader_epoch, data.partition_epoch, tuple(data.new_isr))
            try:
                _describe(result, await changes.alter(change))
            except NotController:
                raise
            except KanalError as exc:
                _refuse(result, exc)
            except EtcdError as exc:
                _refuse(result, RequestTimedOut(f"etcd did not answer: {exc}"))
    return response


def _describe(result: controller_pb2.AlterPartitionResult, state: PartitionState) -> None:
    result.leader = state.leader
    result.leader_epoch = state.leader_epoch
    result.isr[:] = state.isr
    result.partition_epoch = state.partition_epoch


def _refuse(result: controller_pb2.AlterPartitionResult, error: KanalError) -> None:
    result.error_code = common_pb2.ErrorCode.ValueType(error.code)
    result.error_message = error.message
