"""Memory does not grow with the log: a partition grown by 2 GiB keeps the process's RSS flat
(bench/log_rss.py prints the same figures for larger sizes)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from kanal_broker.log.testing import OpenLog, build_batch

MIB = 1024 * 1024


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


@pytest.mark.slow
def test_rss_stays_flat_while_the_log_grows_by_gigabytes(open_log: OpenLog) -> None:
    log = open_log(segment_bytes=256 * MIB)
    batch = build_batch([(b"key-%d" % i, b"x" * 1024) for i in range(4)])
    while log.size_bytes < 128 * MIB:
        log.append_as_leader(batch, leader_epoch=0)
    baseline = _rss_mib()
    while log.size_bytes < 2048 * MIB:
        log.append_as_leader(batch, leader_epoch=0)
    log.high_watermark = log.log_end_offset
    rng = random.Random(7)
    for _ in range(500):
        log.read(rng.randrange(log.log_end_offset), MIB)
    # Over 300,000 batches and 500,000 index entries: a per-batch object would cost far more.
    assert _rss_mib() - baseline < 16
    log.delete()
