"""Reading and writing one `__consumer_offsets` partition through the broker's log.

Writes go through the leader's normal append path and wait, like acks=all, until the high
watermark passes them: a coordinator answers only once its change survives a failover.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from kanal.errors import NotCoordinator
from kanal.records.builder import BatchBuilder
from kanal.records.reader import iter_records

from kanal_broker.groups.records import OffsetsRecord
from kanal_broker.partition import Partition

OFFSETS_TOPIC = "__consumer_offsets"
READ_CHUNK_BYTES = 1 << 20
APPEND_TIMEOUT_S = 10.0


def encode_batch(records: Iterable[OffsetsRecord], *, now_ms: int) -> bytes:
    """One uncompressed batch of key/value records (a None value is a tombstone)."""
    builder = BatchBuilder(max_bytes=2**31 - 1)
    for record in records:
        builder.append(now_ms, record.key, record.value)
    return builder.build()


async def append_committed(partition: Partition, records: Iterable[OffsetsRecord]) -> None:
    """Append and wait until the in-sync replicas hold it; NotCoordinator when it cannot."""
    batch = encode_batch(records, now_ms=time.time_ns() // 1_000_000)
    info = await partition.append(batch)
    if not await partition.wait_committed(info.last_offset, timeout_s=APPEND_TIMEOUT_S):
        raise NotCoordinator(
            f"{partition.tp.topic}-{partition.tp.partition}: offsets {info.first_offset}.."
            f"{info.last_offset} not acknowledged by the in-sync replicas")


async def read_all(partition: Partition) -> list[tuple[bytes, bytes | None]]:
    """Every (key, value) of the partition's log, oldest first (keys are never null)."""
    found: list[tuple[bytes, bytes | None]] = []
    offset = partition.offsets.log_start_offset
    end = partition.offsets.log_end_offset
    while offset < end:
        result = await partition.read(offset, READ_CHUNK_BYTES, max_offset=None,
                                      min_one_batch=True)
        if not result.records or result.next_offset <= offset:
            break
        for record in iter_records(result.records, min_offset=offset):
            if record.key is not None:
                found.append((record.key, record.value))
        offset = result.next_offset
    return found
