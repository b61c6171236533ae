"""Fixtures for the partition-log tests: a manual clock and a factory that opens logs in the
test's directory and closes whatever is still open at the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kanal.topic_config import TopicConfig
from kanal_broker.log import Log
from kanal_broker.log.testing import ManualClock, OpenLog, topic_config


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    return tmp_path / "topic-0"


@pytest.fixture
def open_log(log_dir: Path, clock: ManualClock) -> Iterator[OpenLog]:
    """`open_log(segment_bytes=1024, ...)` opens (or reopens) the partition with those
    topic-config overrides; `open_log(config=TopicConfig)` takes a whole config."""
    opened: list[Log] = []

    def factory(*, config: TopicConfig | None = None, **overrides: object) -> Log:
        log = Log.open(log_dir, config or topic_config(**overrides), now_ms=clock)
        opened.append(log)
        return log

    yield factory
    for log in opened:
        log.abandon()
