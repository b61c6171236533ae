"""A child span inside the services that costs nothing when tracing is off or the request
is not traced (then the current span is not recording, and no attribute is built)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

from opentelemetry import trace
from opentelemetry.util.types import AttributeValue

Attributes = dict[str, AttributeValue]
_NOTHING: AbstractContextManager[None] = contextlib.nullcontext()


def child_span(name: str, attributes: Callable[[], Attributes]) -> AbstractContextManager[None]:
    """A span under the current one when that is being recorded; otherwise a shared no-op.
    `attributes` is called only when the span is made."""
    parent = trace.get_current_span()
    if not parent.is_recording():
        return _NOTHING
    return _span(name, attributes())


@contextlib.contextmanager
def _span(name: str, attributes: Attributes) -> Iterator[None]:
    tracer = trace.get_tracer("kanal")
    with tracer.start_as_current_span(name, attributes=attributes):
        yield
