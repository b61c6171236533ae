"""Grow one partition log by several GB and print the process's resident memory as it grows.

The log keeps no Python object per batch and reads its indexes from files, so RSS should stay
flat while the partition grows. Run: `.venv/bin/python bench/log_rss.py --gigabytes 5`
(add `--json` for a machine-readable line). Data goes to a temporary directory (or --dir)
that is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

from kanal_broker.log import Log
from kanal_broker.log.testing import build_batch, topic_config

MIB = 1024 * 1024


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(directory: Path, gigabytes: float, batch_kib: int, segment_mib: int) -> dict[str, object]:
    config = topic_config(segment_bytes=segment_mib * MIB)
    record = b"x" * 1024
    batch = build_batch([(b"key-%d" % i, record) for i in range(max(1, batch_kib))])
    log = Log.open(directory, config, now_ms=lambda: int(time.time() * 1000))
    target = int(gigabytes * 1024 * MIB)
    samples: list[tuple[float, float]] = []
    started = time.perf_counter()
    next_sample = 0
    while log.size_bytes < target:
        log.append_as_leader(batch, leader_epoch=0)
        if log.size_bytes >= next_sample:
            samples.append((log.size_bytes / MIB, rss_mib()))
            print(f"log {samples[-1][0]:9.0f} MiB   rss {samples[-1][1]:7.1f} MiB", flush=True)
            next_sample += 256 * MIB
    write_seconds = time.perf_counter() - started
    log.high_watermark = log.log_end_offset
    end = log.log_end_offset
    rng = random.Random(1)
    started = time.perf_counter()
    reads = 2000
    for _ in range(reads):
        log.read(rng.randrange(end), 1 * MIB)
    read_seconds = time.perf_counter() - started
    after_reads = rss_mib()
    log.close()
    reopen_started = time.perf_counter()
    Log.open(directory, config, now_ms=lambda: 0).close()
    reopen_seconds = time.perf_counter() - reopen_started
    return {
        "log_bytes": target,
        "segments": len(list(directory.glob("*.log"))),
        "rss_first_mib": samples[0][1],
        "rss_last_mib": samples[-1][1],
        "rss_max_mib": max(rss for _, rss in samples),
        "rss_after_random_reads_mib": after_reads,
        "write_mib_per_s": target / MIB / write_seconds,
        "random_reads_per_s": reads / read_seconds,
        "clean_reopen_seconds": reopen_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=5.0)
    parser.add_argument("--batch-kib", type=int, default=64, help="records of 1 KiB per batch")
    parser.add_argument("--segment-mib", type=int, default=256)
    parser.add_argument("--dir", type=Path, default=None, help="parent directory for the data")
    parser.add_argument("--json", action="store_true", help="print one JSON line of results")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="kanal-log-rss-", dir=args.dir))
    try:
        result = run(root / "partition", args.gigabytes, args.batch_kib, args.segment_mib)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if args.json:
        print(json.dumps(result))
    else:
        for name, value in result.items():
            print(f"{name:28} {value:.1f}" if isinstance(value, float) else f"{name:28} {value}")


if __name__ == "__main__":
    main()
