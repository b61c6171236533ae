"""OpenTelemetry tracing for Kanal clients and services: off unless an SDK tracer provider is
installed (by the application, or by `setup_tracing` in the services); while off, nothing on the
hot paths builds a span, an attribute or a header (see activation.py).

What is traced, and the span names (messaging semantic conventions):
- producer: `send <topic>` per batch (its context rides in each record's `traceparent`
  header), `create <topic>` per record sent under a recording caller span (that record
  carries it instead), `kanal.v1.Broker/Produce` per request, carried to the broker in the
  gRPC metadata (see producer.py for why per batch);
- broker and controller: a server span per unary RPC that arrives with a `traceparent`
  (they continue traces, never start them), `append <topic>` and `replicate <topic>` under
  Produce, and `replica fetch` per follower fetch that brought records;
- consumer: `fetch` per Fetch answer that carried records, `receive <topic>` per poll that
  returned records (linked to each record's producer span), `process <topic>` per record
  handed out by iteration, and a client span per group coordinator call (heartbeat,
  commit, offset fetch).
"""

from kanal.tracing.activation import active_tracer, tracing_active
from kanal.tracing.carriers import TRACEPARENT, record_span_context
from kanal.tracing.setup import TracingSetup, run_traced, setup_tracing

__all__ = [
    "TRACEPARENT",
    "TracingSetup",
    "active_tracer",
    "record_span_context",
    "run_traced",
    "setup_tracing",
    "tracing_active",
]
