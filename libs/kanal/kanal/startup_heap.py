"""Keep garbage collections off the objects a process creates while starting, and (for a
throughput process) off the objects it creates per batch.

A service's imports (grpc, protobuf, aetcd, OpenTelemetry, its own modules) leave about
50,000 objects that live as long as the process. CPython's full (generation 2) collection
walks every one of them each time; on a 2-core machine that is 25-80 ms during which the
event loop stands still, long enough to put a stall into a p99 latency on its own.
`gc.freeze()` moves them to the permanent generation that collections skip. Garbage among
them (start-up only) is never freed: a fixed few kilobytes, collected just before.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Call once, when start-up is over: later collections scan only newer objects."""
    gc.collect()
    gc.freeze()


# Young-generation threshold for a process that holds a few thousand records' objects at a
# time (a connect worker: a poll being converted, a batch buffered, a batch being written).
# With CPython's 700 those objects are all still alive at the young collections, get
# promoted and keep triggering older-generation collections: measured in the PostgreSQL
# sink's worker, collections took a sixth of its CPU (about 300 per 20,000 records, the
# older generations two thirds of that time). At 50,000 the young generation spans several
# batches, most of it is garbage by the time it is collected, and about one collection in
# 10,000 records remains. Each is longer (10-50 ms here): fine for throughput, which is why
# the latency-bound broker keeps the default.
THROUGHPUT_YOUNG_THRESHOLD = 50_000


def collect_young_less_often(threshold: int = THROUGHPUT_YOUNG_THRESHOLD) -> None:
    """Raise the young generation's threshold, keeping the older generations' ratios."""
    _young, older, oldest = gc.get_threshold()
    gc.set_threshold(threshold, older, oldest)
