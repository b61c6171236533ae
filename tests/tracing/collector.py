"""A small OTLP/gRPC trace collector for tests: opentelemetry-proto's TraceService on a
loopback port, keeping every span it receives with the name of the service that sent it."""

from __future__ import annotations

import threading
import time
from collections.abc import Collection
from concurrent import futures
from dataclasses import dataclass

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    name: str
    trace_id: int
    span_id: int
    parent_span_id: int
    kind: int
    attributes: dict[str, object]


def _service_name(resource_spans: object) -> str:
    for kv in resource_spans.resource.attributes:  # type: ignore[attr-defined]
        if kv.key == "service.name":
            return str(kv.value.string_value)
    return ""


def _value(any_value: object) -> object:
    field = any_value.WhichOneof("value")  # type: ignore[attr-defined]
    if field == "array_value":
        return [_value(v) for v in any_value.array_value.values]  # type: ignore[attr-defined]
    return getattr(any_value, field) if field else None


class _TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, collector: OtlpCollector) -> None:
        self._collector = collector

    def Export(self, request: trace_service_pb2.ExportTraceServiceRequest,
               context: grpc.ServicerContext) -> trace_service_pb2.ExportTraceServiceResponse:
        received = []
        for resource_spans in request.resource_spans:
            service = _service_name(resource_spans)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    received.append(ReceivedSpan(
                        service=service, name=span.name,
                        trace_id=int.from_bytes(span.trace_id, "big"),
                        span_id=int.from_bytes(span.span_id, "big"),
                        parent_span_id=int.from_bytes(span.parent_span_id or b"\0", "big"),
                        kind=span.kind,
                        attributes={kv.key: _value(kv.value) for kv in span.attributes}))
        self._collector.add(received)
        return trace_service_pb2.ExportTraceServiceResponse()


class OtlpCollector:
    def __init__(self) -> None:
        self._spans: list[ReceivedSpan] = []
        self._changed = threading.Condition()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(  # type: ignore[no-untyped-call]
            _TraceService(self), self._server)
        self.port = self._server.add_insecure_port("127.0.0.1:0")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop(grace=None)

    def add(self, spans: list[ReceivedSpan]) -> None:
        with self._changed:
            self._spans.extend(spans)
            self._changed.notify_all()

    def spans(self) -> list[ReceivedSpan]:
        with self._changed:
            return list(self._spans)

    def wait_for(self, name: str, trace_id: int | None = None, *, service: str | None = None,
                 span_id: int | None = None, parents: Collection[int] | None = None,
                 timeout_s: float = 30.0) -> ReceivedSpan:
        """The first span called `name` to arrive that is in trace `trace_id`, from
        `service`, with id `span_id` and a parent among `parents` (each when given)."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                for span in self._spans:
                    if span.name == name and trace_id in (None, span.trace_id) \
                            and service in (None, span.service) \
                            and span_id in (None, span.span_id) \
                            and (parents is None or span.parent_span_id in parents):
                        return span
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    names = sorted({s.name for s in self._spans})
                    raise AssertionError(f"no span {name!r} arrived within {timeout_s}s "
                                         f"(received: {names})")
                self._changed.wait(remaining)
