"""The ElectLeaders RPC's proto edge: request to `LeaderElections.elect`, results back.

An unclean election must name its partitions: electing an out-of-sync replica can lose
acknowledged writes, which nobody should do to a whole cluster by leaving a list empty.
"""

from __future__ import annotations

from kanal.errors import InvalidRequest, KanalError, NotController, RequestTimedOut
from kanal.meta.etcd import EtcdError
from kanal.v1 import common_pb2, controller_pb2

from kanal_controller.preferred_leader import LeaderElections

_UNCLEAN = controller_pb2.ElectLeadersRequest.ElectionType.UNCLEAN


def _refuse(response: controller_pb2.ElectLeadersResponse, error: KanalError) -> None:
    response.error_code = common_pb2.ErrorCode.ValueType(error.code)
    response.error_message = error.message


async def elect_leaders(request: controller_pb2.ElectLeadersRequest,
                        elections: LeaderElections) -> controller_pb2.ElectLeadersResponse:
    response = controller_pb2.ElectLeadersResponse()
    unclean = request.election_type == _UNCLEAN
    targets = [(p.topic, p.partition) for p in request.partitions] or None
    if unclean and targets is None:
        _refuse(response, InvalidRequest("an unclean election needs explicit partitions"))
        return response
    try:
        results = await elections.elect(unclean=unclean, targets=targets)
    except (NotController, InvalidRequest) as exc:
        _refuse(response, exc)
        return response
    except EtcdError as exc:
        _refuse(response, RequestTimedOut(f"etcd did not answer: {exc}"))
        return response
    for result in results:
        item = response.results.add(topic=result.topic, partition=result.partition,
                                    leader=result.leader, elected=result.elected)
        if result.error is not None:
            item.error_code = common_pb2.ErrorCode.ValueType(result.error.code)
            item.error_message = result.error.message
    return response
