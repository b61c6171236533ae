"""The leader's cache of its latest appends, against a model log: whatever it answers is
exactly what the log holds from the fetch offset (whole appends within the budget), and it
declines whenever it cannot be sure."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from kanal_broker.replication.recent_appends import Chunk, RecentAppends


def model_log(sizes: list[tuple[int, int]]) -> tuple[list[Chunk], bytes]:
    """Chunks for appends of (record count, byte size), back to back from offset 0, each
    chunk's bytes distinct, and the log's whole content."""
    chunks = []
    offset = 0
    for index, (records, size) in enumerate(sizes):
        chunks.append(Chunk(offset, offset + records, bytes([index % 251]) * size))
        offset += records
    return chunks, b"".join(c.data for c in chunks)


appends = st.lists(st.tuples(st.integers(1, 5), st.integers(1, 40)), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(sizes=appends, cache_bytes=st.integers(1, 200), pick=st.integers(0, 12),
       budget=st.integers(0, 120), watermark_back=st.integers(0, 30))
def test_an_answer_is_exactly_the_logs_bytes_from_the_offset(
        sizes: list[tuple[int, int]], cache_bytes: int, pick: int, budget: int,
        watermark_back: int) -> None:
    chunks, _ = model_log(sizes)
    cache = RecentAppends(cache_bytes)
    for chunk in chunks:
        cache.add(chunk)
    log_end = chunks[-1].end_offset
    starts = [c.first_offset for c in chunks] + [log_end]
    offset = starts[min(pick, len(starts) - 1)]
    high_watermark = max(0, offset - watermark_back)
    answer = cache.read(offset, budget, log_end_offset=log_end, high_watermark=high_watermark)
    if answer is None:
        return
    if offset == log_end:
        assert answer == b""
        return
    following = [c for c in chunks if c.first_offset >= offset]
    # Whole appends from the offset, as many as fit, and at least one.
    expected = b""
    for chunk in following:
        if expected and len(expected) + len(chunk.data) > budget:
            break
        expected += chunk.data
    assert answer == expected
    assert 0 < len(answer) <= budget


@given(sizes=appends)
def test_it_declines_below_the_watermark_or_off_the_published_end(
        sizes: list[tuple[int, int]]) -> None:
    chunks, _ = model_log(sizes)
    cache = RecentAppends(1 << 20)
    for chunk in chunks:
        cache.add(chunk)
    first, end = chunks[0].first_offset, chunks[-1].end_offset
    assert cache.read(first, 1 << 20, log_end_offset=end, high_watermark=first) is not None
    assert cache.read(first, 1 << 20, log_end_offset=end, high_watermark=first + 1) is None
    # The log end moved (an append not cached yet, or a truncation): no answer.
    assert cache.read(first, 1 << 20, log_end_offset=end + 1, high_watermark=0) is None
    assert cache.read(first, 1 << 20, log_end_offset=end - 1, high_watermark=0) is None


def test_an_offset_inside_an_append_or_before_the_cache_is_read_from_the_log() -> None:
    cache = RecentAppends(100)
    cache.add(Chunk(10, 13, b"a" * 60))
    cache.add(Chunk(13, 15, b"b" * 60))  # evicts the first: over 100 bytes
    assert cache.read(10, 1000, log_end_offset=15, high_watermark=0) is None
    assert cache.read(14, 1000, log_end_offset=15, high_watermark=0) is None
    assert cache.read(13, 1000, log_end_offset=15, high_watermark=0) == b"b" * 60
    assert cache.read(13, 59, log_end_offset=15, high_watermark=0) is None  # does not fit


def test_a_gap_or_a_clear_starts_the_cache_over() -> None:
    cache = RecentAppends()
    cache.add(Chunk(0, 2, b"old"))
    cache.add(Chunk(5, 6, b"new"))  # not contiguous: the old tail is no longer trusted
    assert cache.read(0, 100, log_end_offset=6, high_watermark=0) is None
    assert cache.read(5, 100, log_end_offset=6, high_watermark=0) == b"new"
    cache.clear()
    assert cache.end_offset is None
    assert cache.read(5, 100, log_end_offset=6, high_watermark=0) is None
    cache.add(Chunk(6, 7, b""))  # a duplicate append wrote nothing
    assert cache.end_offset is None
