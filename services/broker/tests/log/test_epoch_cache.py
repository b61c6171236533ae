"""EpochCache follows Kafka's LeaderEpochFileCache, including OffsetForLeaderEpoch answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from kanal.errors import KafkaStorageError
from kanal_broker.log.epoch_cache import FILE_NAME, EpochCache


def test_assign_keeps_increasing_epochs_and_survives_reopen(tmp_path: Path) -> None:
    cache = EpochCache(tmp_path)
    cache.assign(1, 0)
    cache.assign(1, 10)  # same epoch: no new entry
    cache.assign(0, 20)  # older epoch: ignored
    cache.assign(3, 30)
    assert cache.entries == [(1, 0), (3, 30)]
    assert EpochCache(tmp_path).entries == [(1, 0), (3, 30)]
    assert (tmp_path / FILE_NAME).read_text() == "0\n2\n1 0\n3 30\n"


def test_end_offset_for_epoch_as_kafka_answers(tmp_path: Path) -> None:
    cache = EpochCache(tmp_path)
    assert cache.end_offset_for(1, 100) == (-1, -1)
    cache.assign(2, 10)
    cache.assign(4, 50)
    assert cache.end_offset_for(4, 100) == (4, 100)  # latest: the log end
    assert cache.end_offset_for(2, 100) == (2, 50)
    assert cache.end_offset_for(3, 100) == (2, 50)  # unknown epoch: the one before it
    assert cache.end_offset_for(1, 100) == (1, 10)  # before the first: its start
    assert cache.end_offset_for(5, 100) == (-1, -1)
    assert cache.start_offset(4) == 50
    assert cache.start_offset(3) is None


def test_new_epoch_at_an_earlier_offset_replaces_later_entries(tmp_path: Path) -> None:
    cache = EpochCache(tmp_path)
    cache.assign(1, 0)
    cache.assign(2, 40)
    cache.assign(3, 30)
    assert cache.entries == [(1, 0), (3, 30)]


def test_truncation_from_either_end(tmp_path: Path) -> None:
    cache = EpochCache(tmp_path)
    for epoch, offset in [(1, 0), (2, 10), (3, 20)]:
        cache.assign(epoch, offset)
    cache.truncate_from_end(15)
    assert cache.entries == [(1, 0), (2, 10)]
    cache.truncate_from_start(12)
    assert cache.entries == [(2, 12)]
    assert EpochCache(tmp_path).entries == [(2, 12)]


def test_malformed_checkpoint_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_text("0\n3\n1 0\n")
    with pytest.raises(KafkaStorageError):
        EpochCache(tmp_path)
