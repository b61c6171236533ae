"""Hypothesis against the producer-id path of a real cluster: InitProducerId on a broker and
AllocateProducerIds on the controller answer odd requests with defined error codes, and no
producer id is ever handed out twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kanal.devcluster.pytest_plugin import DevClusterFactory
from kanal.errors import InvalidRequest
from kanal.v1 import (
    broker_pb2,
    broker_pb2_grpc,
    common_pb2,
    controller_pb2,
    controller_pb2_grpc,
)

E = common_pb2.ErrorCode
INT32 = st.integers(-(2**31), 2**31 - 1)
FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
transactional_ids = st.one_of(st.just(""), st.text(max_size=20),
                              st.text(min_size=200, max_size=400))


@dataclass
class Endpoints:
    broker: broker_pb2_grpc.BrokerAsyncStub
    controller: controller_pb2_grpc.ControllerAsyncStub
    handed_out: list[range] = field(default_factory=list)
    """Every producer id (a one-id range) or id block answered so far, across examples."""

    def take(self, ids: range) -> None:
        assert all(ids.stop <= r.start or r.stop <= ids.start for r in self.handed_out), (
            f"{ids} overlaps an earlier answer")
        self.handed_out.append(ids)


@pytest.fixture
async def endpoints(dev_cluster: DevClusterFactory) -> AsyncIterator[Endpoints]:
    cluster = dev_cluster(brokers=1)
    controller = cluster.endpoints.controllers[0].address
    async with grpc.aio.insecure_channel(cluster.bootstrap) as broker, \
            grpc.aio.insecure_channel(controller) as control:
        yield Endpoints(broker_pb2_grpc.BrokerStub(broker),
                        controller_pb2_grpc.ControllerStub(control))


@FUZZ
@given(transactional_id=transactional_ids, timeout_ms=INT32)
async def test_init_producer_id_fuzz(endpoints: Endpoints, transactional_id: str,
                                     timeout_ms: int) -> None:
    reply = await endpoints.broker.InitProducerId(broker_pb2.InitProducerIdRequest(
        transactional_id=transactional_id, transaction_timeout_ms=timeout_ms), timeout=10)
    if transactional_id:
        assert reply.error_code == InvalidRequest.code
        assert "transactions are not supported" in reply.error_message
        assert (reply.producer_id, reply.producer_epoch) == (-1, -1)
    else:
        assert reply.error_code == E.NONE, reply.error_message
        assert reply.producer_id >= 0 and reply.producer_epoch == 0
        endpoints.take(range(reply.producer_id, reply.producer_id + 1))


@FUZZ
@given(broker_id=INT32, ask_broker_first=st.booleans())
async def test_allocate_producer_ids_fuzz(endpoints: Endpoints, broker_id: int,
                                          ask_broker_first: bool) -> None:
    """Blocks never overlap each other nor ids the broker handed out from its own block."""
    if ask_broker_first:
        reply = await endpoints.broker.InitProducerId(broker_pb2.InitProducerIdRequest(),
                                                      timeout=10)
        endpoints.take(range(reply.producer_id, reply.producer_id + 1))
    block = await endpoints.controller.AllocateProducerIds(
        controller_pb2.AllocateProducerIdsRequest(broker_id=broker_id), timeout=10)
    assert block.error_code == E.NONE, block.error_message
    assert block.first_producer_id >= 0 and block.count > 0
    endpoints.take(range(block.first_producer_id, block.first_producer_id + block.count))
