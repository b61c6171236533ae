"""Micro-benchmark of the RecordBatch v2 codec: records/s for append+build and for decode.

    python bench/codec.py [--codec none|gzip|snappy|lz4|zstd] [--batches N] [--repeat R] [--json]

Batches of 1000 records with 100-byte values, 16-byte keys and no headers. One process, one
thread: the figures are what one producer or consumer process can encode or decode. Each
figure is the best of R runs of N batches (as timeit reports), since other processes on the
machine only ever slow a run down.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from kanal.records.builder import BatchBuilder
from kanal.records.compression import codec_from_name
from kanal.records.reader import decode_batch

RECORDS_PER_BATCH = 1000
VALUE_SIZE = 100


def bench_build(codec: int, batches: int) -> tuple[float, bytes]:
    # Hex of random bytes: every value differs and compresses about 2:1, like text ids.
    values = [os.urandom(VALUE_SIZE // 2).hex().encode() for _ in range(RECORDS_PER_BATCH)]
    keys = [b"user-%011d" % i for i in range(RECORDS_PER_BATCH)]
    rows = list(zip(keys, values, strict=True))
    timestamp = int(time.time() * 1000)
    batch = b""
    start = time.perf_counter()
    for _ in range(batches):
        builder = BatchBuilder(codec=codec)
        append = builder.append
        for key, value in rows:
            append(timestamp, key, value)
        batch = builder.build()
    elapsed = time.perf_counter() - start
    return batches * RECORDS_PER_BATCH / elapsed, batch


def bench_decode(batch: bytes, batches: int) -> float:
    start = time.perf_counter()
    for _ in range(batches):
        decode_batch(batch)
    elapsed = time.perf_counter() - start
    return batches * RECORDS_PER_BATCH / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codec", default="none")
    parser.add_argument("--batches", type=int, default=100, help="batches per run")
    parser.add_argument("--repeat", type=int, default=5, help="runs; the best is reported")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    codec = codec_from_name(args.codec)
    bench_build(codec, 5)  # warm-up
    runs = [bench_build(codec, args.batches) for _ in range(args.repeat)]
    build_rate = max(rate for rate, _ in runs)
    batch = runs[0][1]
    decode_rate = max(bench_decode(batch, args.batches) for _ in range(args.repeat))
    result = {
        "codec": args.codec,
        "records_per_batch": RECORDS_PER_BATCH,
        "value_bytes": VALUE_SIZE,
        "batch_bytes": len(batch),
        "runs": args.repeat,
        "batches_per_run": args.batches,
        "append_build_records_per_s": round(build_rate),
        "decode_records_per_s": round(decode_rate),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"codec {args.codec}: {len(batch)} bytes per batch of {RECORDS_PER_BATCH}")
        print(f"  append+build  {build_rate:>12,.0f} records/s")
        print(f"  decode        {decode_rate:>12,.0f} records/s")


if __name__ == "__main__":
    main()
