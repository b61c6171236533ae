"""The follower replication throttle of reassignments (Kafka's
follower.replication.throttled.rate, applied to the moving replicas only).

The controller writes the rate into the state of each partition it moves, next to the
replicas being added, and clears it when the move completes. A follower fetching a partition
it is being added to spends from one token bucket for the whole broker (Kafka's rate is per
broker, not per partition); when the bucket is empty those partitions sit out the fetch
rounds until it refills, while every other partition replicates at full speed. The bucket
may go negative: a fetch is paid for after its answer arrived, so the rate holds on average
and a single batch larger than a second's worth still gets through.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kanal.types import TopicPartition

from kanal_broker.metadata_cache import MetadataCache
from kanal_broker.metrics import BrokerMetrics


class TokenBucket:
    """Bytes at `rate` per second, holding at most one second's worth."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._rate = 0
        self._tokens = 0.0
        self._stamp = clock()

    def _refill(self, rate: int) -> None:
        now = self._clock()
        if rate != self._rate:
            self._rate = rate
            self._tokens = min(self._tokens, float(rate))
        self._tokens = min(float(rate), self._tokens + (now - self._stamp) * rate)
        self._stamp = now

    def delay_s(self, rate: int) -> float:
        """Seconds until spending is allowed again at `rate` (0: now)."""
        self._refill(rate)
        return 0.0 if self._tokens > 0 else (1 - self._tokens) / rate

    def spend(self, rate: int, amount: int) -> None:
        self._refill(rate)
        self._tokens -= amount


class ReplicationThrottle:
    def __init__(self, *, cache: MetadataCache, broker_id: int, metrics: BrokerMetrics,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._cache = cache
        self._broker_id = broker_id
        self._metrics = metrics
        self._bucket = TokenBucket(clock)

    def rate(self, tp: TopicPartition) -> int:
        """Bytes/s this broker may fetch `tp` at; 0 when it is not throttled."""
        view = self._cache.partition(tp.topic, tp.partition)
        if view is None or self._broker_id not in view.state.adding_replicas:
            return 0
        return max(0, view.state.reassignment_throttle)

    def delay_s(self, tp: TopicPartition) -> float:
        """How long `tp` must wait before its next fetch (0 for unthrottled partitions)."""
        rate = self.rate(tp)
        return self._bucket.delay_s(rate) if rate else 0.0

    def fetched(self, tp: TopicPartition, size: int) -> None:
        rate = self.rate(tp)
        if rate and size:
            self._bucket.spend(rate, size)
            self._metrics.throttled_bytes.inc(size)
