"""OffsetIndex and TimeIndex: lookups, truncation, sanity checks, files read back."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from kanal_broker.log.offset_index import OffsetIndex
from kanal_broker.log.time_index import NO_TIMESTAMP, TimeIndex


def test_offset_lookup_finds_the_last_entry_at_or_before(tmp_path: Path) -> None:
    index = OffsetIndex(tmp_path / "x.index", base_offset=100, max_bytes=4096)
    for offset, position in [(110, 500), (120, 1000), (130, 1500)]:
        index.append(offset, position)
    assert index.lookup(99) == (100, 0)
    assert index.lookup(109) == (100, 0)
    assert index.lookup(110) == (110, 500)
    assert index.lookup(129) == (120, 1000)
    assert index.lookup(10**9) == (130, 1500)
    index.close()


def test_offset_index_is_read_back_from_its_file(tmp_path: Path) -> None:
    index = OffsetIndex(tmp_path / "x.index", base_offset=0, max_bytes=4096)
    index.append(5, 100)
    index.append(9, 300)
    index.close()
    again = OffsetIndex(tmp_path / "x.index", base_offset=0, max_bytes=4096)
    assert again.entries == 2
    assert again.last_entry() == (9, 300)
    assert again.lookup(7) == (5, 100)
    again.close()


def test_offset_truncate_drops_entries_at_and_after(tmp_path: Path) -> None:
    index = OffsetIndex(tmp_path / "x.index", base_offset=0, max_bytes=4096)
    for offset in (10, 20, 30):
        index.append(offset, offset * 10)
    index.truncate_to(20)
    assert index.last_entry() == (10, 100)
    index.truncate_to(0)
    assert index.entries == 0
    index.close()


def test_offset_index_is_full_at_its_byte_limit(tmp_path: Path) -> None:
    index = OffsetIndex(tmp_path / "x.index", base_offset=0, max_bytes=24)
    for offset in range(3):
        assert not index.is_full
        index.append(offset, offset)
    assert index.is_full
    index.close()


def test_offset_index_sanity_rejects_a_partial_entry_and_a_position_past_the_log(
    tmp_path: Path,
) -> None:
    path = tmp_path / "x.index"
    index = OffsetIndex(path, base_offset=0, max_bytes=4096)
    index.append(3, 400)
    assert index.is_sane(log_size=1000)
    assert not index.is_sane(log_size=300)
    index.close()
    with path.open("ab") as file:
        file.write(b"\x01\x02\x03")
    torn = OffsetIndex(path, base_offset=0, max_bytes=4096)
    assert not torn.is_sane(log_size=1000)
    torn.close()


@given(st.lists(st.integers(1, 50), min_size=1, max_size=60), st.integers(0, 3000))
def test_offset_lookup_matches_a_linear_search(gaps: list[int], target: int) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        index = OffsetIndex(Path(directory) / "x.index", base_offset=0, max_bytes=1 << 20)
        entries = []
        offset = 0
        for gap in gaps:
            offset += gap
            entries.append((offset, offset * 7))
            index.append(offset, offset * 7)
        expected = max((e for e in entries if e[0] <= target), default=(0, 0))
        assert index.lookup(target) == expected
        index.close()


def test_time_index_appends_only_growing_timestamps(tmp_path: Path) -> None:
    index = TimeIndex(tmp_path / "x.timeindex", base_offset=1000, max_bytes=4096)
    index.maybe_append(50, 1000)
    index.maybe_append(50, 1005)
    index.maybe_append(40, 1010)
    index.maybe_append(70, 1020)
    assert index.entries == 2
    assert index.last_entry() == (70, 1020)
    assert index.lookup(10) == (NO_TIMESTAMP, 1000)
    assert index.lookup(69) == (50, 1000)
    assert index.lookup(70) == (70, 1020)
    index.truncate_to(1020)
    assert index.last_entry() == (50, 1000)
    index.close()
