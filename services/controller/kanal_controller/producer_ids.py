"""Producer-id blocks for brokers (Kafka's AllocateProducerIds, KIP-730).

One etcd key, `producer_ids/next`, holds the first id no block has taken. A block is taken
by a fenced transaction that moves the counter only if nobody moved it since it was read
(`unchanged_since`), so blocks never overlap: not between concurrent requests, and not
across a controller failover (a deposed controller's write fails on the fence).
"""

from __future__ import annotations

from dataclasses import dataclass

from kanal.errors import RequestTimedOut
from kanal.meta.etcd import Etcd, Put, unchanged_since
from kanal.meta.layout import Layout

from kanal_controller.fenced_writes import FencedWriter

BLOCK_SIZE = 1000
"""Ids per block (Kafka's is 1000 as well)."""

_MAX_ATTEMPTS = 20


@dataclass(frozen=True, slots=True)
class ProducerIdBlock:
    first: int
    count: int


class ProducerIdAllocator:
    def __init__(self, *, etcd: Etcd, layout: Layout, writer: FencedWriter) -> None:
        self._etcd = etcd
        self._key = layout.producer_ids_next
        self._writer = writer

    async def allocate(self) -> ProducerIdBlock:
        """A block of ids no other caller ever gets; NotController when not active."""
        self._writer.fence()  # NotController before any read when not active
        for _ in range(_MAX_ATTEMPTS):
            current = await self._etcd.get(self._key)
            first = int(current.value) if current is not None else 0
            revision = current.mod_revision if current is not None else 0
            moved = await self._writer.commit(
                [Put(self._key, str(first + BLOCK_SIZE).encode())],
                guards=[unchanged_since(self._key, revision)],
            )
            if moved:
                return ProducerIdBlock(first, BLOCK_SIZE)
        # Lost every race (retriable: the broker asks again).
        raise RequestTimedOut(
            f"producer_ids/next changed under {_MAX_ATTEMPTS} attempts in a row")
