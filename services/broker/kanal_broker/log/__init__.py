"""The broker's on-disk partition log, after Kafka's and Redpanda's.

`Log` (log.py) is the whole public face; the layers below it, one concept per module:

    log.py                 offsets in order, append/read/roll/truncate/retain/compact
    append_validation.py   checking a produce request and assigning offsets
    reading.py             fetch by offset, lookups by timestamp
    rolling.py             when to roll a segment and when to fsync
    retention.py           which old segments retention deletes
    cleaner.py             compaction and its crash-safe segment swap
    recovery.py            opening a directory: leftovers, swaps, torn tails, indexes
    checkpoint.py          recovery point, log start, high watermark; clean-shutdown marker
    epoch_cache.py         leader epochs (leader-epoch-checkpoint)
    producer_state.py      idempotent producers: sequences, duplicates, epochs
    producer_snapshot.py   producer-state snapshots ({offset}.snapshot) and rebuilding
    segment_set.py         the ordered segments
    segment.py             one .log file and its indexes
    offset_index.py        .index: offset -> file position
    time_index.py          .timeindex: timestamp -> offset
    index_file.py          fixed-size entries searched with pread
    batch_scan.py          walking a segment file's batches
    files.py               file names, atomic writes, fsync of directories
    testing.py             helpers for tests (clock, configs, batches)
"""

from kanal_broker.log.log import Log
from kanal_broker.log.results import AppendInfo, CompactionStats, ReadResult

__all__ = ["AppendInfo", "CompactionStats", "Log", "ReadResult"]
