"""The idempotent producer's identity: a producer id and epoch from InitProducerId, and the
next sequence number of each partition.

A batch gets its sequence when it is first drained (as Java's RecordAccumulator does) and
keeps it, with its encoded bytes, across every retry, so the broker recognises a retry of a
batch it already appended and answers with the original offsets. Since a partition has one
request in flight at a time and retries go back to the front of its queue, sequences reach
the broker in order.

When a batch with a sequence fails for good (delivery timeout, a non-retriable error) its
sequence is a gap the broker would refuse forever; then the identity is dropped and the next
drain asks for a new producer id, whose sequences start at 0 on every partition (a
producer-side "epoch bump", simplified: Kafka bumps the epoch of the same id).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence

import grpc

from kanal.client.connection import ConnectionPool
from kanal.client.producer_batch import ProducerBatch
from kanal.client.retry import error_from_rpc
from kanal.errors import BrokerNotAvailable, KanalError, error_for_code
from kanal.records.header import NO_PRODUCER_ID
from kanal.types import HostPort, TopicPartition
from kanal.v1 import broker_pb2

log = logging.getLogger(__name__)

SEQUENCE_MODULUS = 2**31
MAX_IN_FLIGHT = 5
"""The broker remembers the last five batches of each producer and partition: no more may be
outstanding, and a request carries at most this many batches of one partition."""


class ProducerIdentity:
    def __init__(self) -> None:
        self.producer_id = NO_PRODUCER_ID
        self.epoch = -1
        self._next_sequence: dict[TopicPartition, int] = defaultdict(int)

    @property
    def ready(self) -> bool:
        return self.producer_id != NO_PRODUCER_ID

    async def acquire(self, pool: ConnectionPool, candidates: Callable[[], Sequence[HostPort]],
                      *, timeout_s: float) -> None:
        """Ask the brokers in turn for a producer id until one answers; KanalError (the last
        refusal) when none does within one round."""
        last: KanalError | None = None
        for endpoint in candidates():
            try:
                reply = await pool.broker(endpoint).InitProducerId(
                    broker_pb2.InitProducerIdRequest(), timeout=timeout_s,
                    metadata=pool.metadata)
            except grpc.aio.AioRpcError as exc:
                last = error_from_rpc(exc)
                continue
            if reply.error_code:
                last = error_for_code(reply.error_code, reply.error_message)
                continue
            self.producer_id = reply.producer_id
            self.epoch = reply.producer_epoch
            self._next_sequence.clear()
            log.debug("producer id %d epoch %d", self.producer_id, self.epoch)
            return
        if last is None:
            raise BrokerNotAvailable("no broker known to ask for a producer id")
        raise last

    def assign(self, batch: ProducerBatch) -> None:
        """Stamp a batch drained for the first time; a retried batch keeps what it has."""
        if batch.sequence is not None:
            return
        sequence = self._next_sequence[batch.tp]
        batch.builder.set_producer_state(producer_id=self.producer_id,
                                         producer_epoch=self.epoch, base_sequence=sequence,
                                         transactional=False)
        batch.sequence = sequence
        batch.producer_id = self.producer_id
        self._next_sequence[batch.tp] = (sequence + batch.record_count) % SEQUENCE_MODULUS

    def batch_lost(self, batch: ProducerBatch) -> None:
        """A batch failed for good: if it held a sequence, start over with a new id."""
        if batch.sequence is not None and batch.producer_id == self.producer_id and self.ready:
            log.warning("a batch of %s with sequence %d failed; getting a new producer id",
                        batch.tp, batch.sequence)
            self.producer_id = NO_PRODUCER_ID
            self.epoch = -1
            self._next_sequence.clear()

