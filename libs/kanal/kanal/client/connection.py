"""One grpc.aio channel per endpoint, shared by every request a client makes to it.

gRPC multiplexes concurrent calls over the channel's HTTP/2 connection, so one channel per
broker is what Kafka's one-socket-per-broker becomes here. Channels belong to the event loop
that created them: a pool is created and used on one loop only.
"""

from __future__ import annotations

import grpc

from kanal.types import HostPort
from kanal.v1 import broker_pb2, broker_pb2_grpc, controller_pb2_grpc

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
PRODUCE_METHOD = "/kanal.v1.Broker/Produce"

CHANNEL_OPTIONS: list[tuple[str, int | str]] = [
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    # Pings every 30 s find a dead peer behind an idle connection; 10 s to answer.
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
    # Reconnect fast after a broker restarts; the client's own retry loop paces requests.
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1_000),
    ("grpc.enable_retries", 0),
]


class ConnectionPool:
    def __init__(self, client_id: str) -> None:
        self._client_id = client_id
        self._channels: dict[HostPort, grpc.aio.Channel] = {}
        self._brokers: dict[HostPort, broker_pb2_grpc.BrokerAsyncStub] = {}
        self._produce_calls: dict[HostPort, grpc.aio.UnaryUnaryMultiCallable[
            bytes, broker_pb2.ProduceResponse]] = {}
        self._controllers: dict[HostPort, controller_pb2_grpc.ControllerAsyncStub] = {}

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        """Call metadata sent with every request."""
        return (("kanal-client-id", self._client_id),)

    def _channel(self, endpoint: HostPort) -> grpc.aio.Channel:
        channel = self._channels.get(endpoint)
        if channel is None:
            channel = grpc.aio.insecure_channel(str(endpoint), options=CHANNEL_OPTIONS)
            self._channels[endpoint] = channel
        return channel

    def broker(self, endpoint: HostPort) -> broker_pb2_grpc.BrokerAsyncStub:
        stub = self._brokers.get(endpoint)
        if stub is None:
            stub = broker_pb2_grpc.BrokerStub(self._channel(endpoint))
            self._brokers[endpoint] = stub
        return stub

    def produce(
        self, endpoint: HostPort
    ) -> grpc.aio.UnaryUnaryMultiCallable[bytes, broker_pb2.ProduceResponse]:
        """Broker.Produce taking the request already serialized (kanal.client.produce_request
        writes it: much cheaper than the generated message's serializer)."""
        call = self._produce_calls.get(endpoint)
        if call is None:
            call = self._channel(endpoint).unary_unary(
                PRODUCE_METHOD, request_serializer=None,
                response_deserializer=broker_pb2.ProduceResponse.FromString,
            )
            self._produce_calls[endpoint] = call
        return call

    def controller(self, endpoint: HostPort) -> controller_pb2_grpc.ControllerAsyncStub:
        stub = self._controllers.get(endpoint)
        if stub is None:
            stub = controller_pb2_grpc.ControllerStub(self._channel(endpoint))
            self._controllers[endpoint] = stub
        return stub

    async def close(self) -> None:
        channels = list(self._channels.values())
        self._channels.clear()
        self._brokers.clear()
        self._produce_calls.clear()
        self._controllers.clear()
        for channel in channels:
            await channel.close(grace=None)
