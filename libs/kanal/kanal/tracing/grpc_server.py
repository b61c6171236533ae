"""A grpc.aio server interceptor that continues traces: a unary RPC whose metadata carries a
`traceparent` runs under a SERVER span named after the method (`kanal.v1.Broker/Produce`),
current while the handler runs, so handlers can add child spans. Requests without one are
passed through untouched: the services never start traces of their own on the request
path (a follower's long-polling fetches would otherwise fill the trace store with empty
rounds); the sampling decision stays with the client that started the trace.

Streaming RPCs are not wrapped: a span the length of a stream says nothing about the
messages in it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

import grpc
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from kanal.tracing.activation import active_tracer
from kanal.tracing.carriers import parent_from_metadata

if TYPE_CHECKING:  # generic only in the type stubs
    Handler = grpc.RpcMethodHandler[Any, Any]
    Continuation = Callable[[grpc.HandlerCallDetails], Awaitable[Handler]]
    Behavior = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Awaitable[Any]]
    _Interceptor = grpc.aio.ServerInterceptor[Any, Any]
else:
    _Interceptor = grpc.aio.ServerInterceptor


class TraceContextInterceptor(_Interceptor):
    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    async def intercept_service(self, continuation: Continuation,
                                handler_call_details: grpc.HandlerCallDetails) -> Handler:
        # None for a method nobody serves (the stubs do not say so): gRPC answers UNIMPLEMENTED.
        handler: Handler | None = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return cast("Handler", handler)
        parent = parent_from_metadata(handler_call_details.invocation_metadata)
        if parent is None:
            return handler
        method = handler_call_details.method.lstrip("/")
        return grpc.unary_unary_rpc_method_handler(
            self._traced(method, parent, cast("Behavior", handler.unary_unary)),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer)

    def _traced(self, method: str, parent: Any, behavior: Behavior) -> Behavior:
        service, _, name = method.rpartition("/")

        async def traced(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            with self._tracer.start_as_current_span(
                    method, context=parent, kind=trace.SpanKind.SERVER,
                    attributes={"rpc.system": "grpc", "rpc.service": service,
                                "rpc.method": name}) as span:
                try:
                    return await behavior(request, context)
                finally:
                    code = context.code()
                    if code is not None and code != grpc.StatusCode.OK:
                        span.set_status(Status(StatusCode.ERROR, str(code)))

        return traced


def server_interceptors() -> list[grpc.aio.ServerInterceptor[Any, Any]]:
    """What to pass to `grpc.aio.server(interceptors=...)`: nothing when tracing is off."""
    tracer = active_tracer()
    return [] if tracer is None else [TraceContextInterceptor(tracer)]
