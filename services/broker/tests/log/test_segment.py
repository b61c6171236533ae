"""Segment: append and index, lookups, truncation, and recovery from arbitrary damage."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from kanal.records.header import set_base_offset
from kanal_broker.log.segment import Segment
from kanal_broker.log.testing import build_batch


def _segment(directory: Path, base: int = 0, interval: int = 0) -> Segment:
    return Segment(
        directory, base, index_interval_bytes=interval, index_max_bytes=4096, created_ms=0
    )


def _batches(count: int, base: int = 0) -> list[bytes]:
    out = []
    for index in range(count):
        data = bytearray(build_batch([(b"k%d" % index, b"v" * index)], timestamp_ms=index * 10))
        set_base_offset(data, 0, base + index)
        out.append(bytes(data))
    return out


def test_append_indexes_and_finds_batches(tmp_path: Path) -> None:
    segment = _segment(tmp_path, base=100)
    batches = _batches(20, base=100)
    for batch in batches:
        segment.append(batch)
    assert segment.next_offset == 120
    assert segment.size == sum(map(len, batches))
    assert segment.offset_index.entries == 19  # every batch but the first
    position, header = segment.find_batch(107) or (0, None)
    assert header is not None and header.base_offset == 107
    assert position == sum(map(len, batches[:7]))
    assert segment.find_batch(120) is None
    assert segment.find_by_timestamp(55) == (106, 60)
    assert segment.max_timestamp == 190
    segment.close()


def test_clean_load_reads_back_the_tail_state(tmp_path: Path) -> None:
    segment = _segment(tmp_path, base=5, interval=200)
    for batch in _batches(30, base=5):
        segment.append(batch)
    segment.close()
    again = _segment(tmp_path, base=5, interval=200)
    assert again.load_clean()
    assert (again.next_offset, again.max_timestamp) == (35, 290)
    again.close()


def test_truncate_to_drops_the_batch_holding_the_offset(tmp_path: Path) -> None:
    segment = _segment(tmp_path)
    batches = _batches(10)
    for batch in batches:
        segment.append(batch)
    assert segment.truncate_to(6) == sum(map(len, batches[6:]))
    assert (segment.next_offset, segment.max_timestamp) == (6, 50)
    assert segment.offset_index.last_entry() == (5, sum(map(len, batches[:5])))
    segment.close()


# Bytes of a batch header that no checksum covers (base offset, leader epoch), as in Kafka:
# damage there cannot be detected by the log, only by replication.
UNCHECKED = set(range(8)) | set(range(12, 16))


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_recovery_keeps_exactly_the_whole_batches_before_the_damage(data: st.DataObject) -> None:
    batches = _batches(data.draw(st.integers(1, 12)))
    starts = [sum(map(len, batches[:index])) for index in range(len(batches))]
    total = sum(map(len, batches))
    damaged = bytearray(b"".join(batches))
    kind = data.draw(st.sampled_from(["cut", "flip", "append"]))
    if kind == "cut":
        first_bad = data.draw(st.integers(0, total - 1))
        del damaged[first_bad:]
    elif kind == "flip":
        first_bad = data.draw(
            st.integers(0, total - 1).filter(
                lambda p: p - max(s for s in starts if s <= p) not in UNCHECKED
            )
        )
        damaged[first_bad] ^= data.draw(st.integers(1, 255))
    else:
        first_bad = total
        damaged += data.draw(st.binary(min_size=1, max_size=200))
    survivors = [
        batch
        for batch, start in zip(batches, starts, strict=True)
        if start + len(batch) <= first_bad
    ]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory)
        (path / f"{0:020d}.log").write_bytes(bytes(damaged))
        segment = _segment(path)
        segment.recover()
        assert segment.size == sum(map(len, survivors))
        assert segment.next_offset == len(survivors)
        assert segment.read(0, segment.size) == b"".join(survivors)
        segment.close()
        assert os.path.getsize(path / f"{0:020d}.log") == segment.size
