"""A grpc.aio client interceptor for the calls that have no span of their own (group
coordinator calls: heartbeat, commit, offset fetch, find coordinator): each unary call
becomes a CLIENT span, a child of whatever span is current, with its context in the call's
metadata so the server's span joins the trace."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import grpc
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from kanal.tracing.activation import active_tracer
from kanal.tracing.carriers import metadata_with_span

Continuation = Callable[[grpc.aio.ClientCallDetails, Any], Any]

if TYPE_CHECKING:  # generic only in the type stubs
    _Interceptor = grpc.aio.UnaryUnaryClientInterceptor[Any, Any]
else:
    _Interceptor = grpc.aio.UnaryUnaryClientInterceptor


class ClientSpanInterceptor(_Interceptor):
    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    async def intercept_unary_unary(self, continuation: Continuation,
                                    client_call_details: grpc.aio.ClientCallDetails,
                                    request: Any) -> Any:
        raw: str | bytes = client_call_details.method  # bytes at run time, whatever the stubs say
        method = (raw.decode() if isinstance(raw, bytes) else raw).lstrip("/")
        service, _, name = method.rpartition("/")
        with self._tracer.start_as_current_span(
                method, kind=trace.SpanKind.CLIENT,
                attributes={"rpc.system": "grpc", "rpc.service": service,
                            "rpc.method": name}) as span:
            details = grpc.aio.ClientCallDetails(
                client_call_details.method, client_call_details.timeout,
                metadata_with_span(tuple(client_call_details.metadata or ()), span),  # type: ignore[arg-type]
                client_call_details.credentials, client_call_details.wait_for_ready)
            call = await continuation(details, request)
            try:
                await call
            except grpc.aio.AioRpcError as exc:
                span.set_status(Status(StatusCode.ERROR, str(exc.code())))
            # The caller awaits the (finished) call again for its answer or its error.
            return call


def client_interceptors() -> Sequence[grpc.aio.ClientInterceptor]:
    """What to pass to `grpc.aio.insecure_channel(interceptors=...)`; nothing when off."""
    tracer = active_tracer()
    if tracer is None:
        return []
    return [cast(grpc.aio.ClientInterceptor, ClientSpanInterceptor(tracer))]
