"""Redis Streams as the peer a Python shop would pick: pipelined XADD of the same records.

Starts Debian's redis-server on a free loopback port (no persistence, as a fair best case for
Redis), writes `--num-records` records of `--record-size` bytes with pipelines of
`--pipeline` XADDs from one Python process with redis-py, and prints records/s (`--json`:
one JSON object). `bench/produce_consume.py` imports `measure_xadd` to report Kanal's
produce rate as a ratio to it from the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kanal.devcluster.ports import free_port, wait_for_port


def measure_xadd(num_records: int, record_size: int, pipeline: int = 1000) -> dict[str, float]:
    import redis  # a bench-only dependency (requirements-dev.txt)

    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed: run scripts/setup.sh")
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        server = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", workdir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            if not wait_for_port("127.0.0.1", port, 10):
                raise SystemExit("redis-server did not start")
            client = redis.Redis(host="127.0.0.1", port=port)
            value = os.urandom(record_size)
            started = time.perf_counter()
            sent = 0
            while sent < num_records:
                pipe = client.pipeline(transaction=False)
                n = min(pipeline, num_records - sent)
                for _ in range(n):
                    pipe.xadd("bench", {"v": value})
                pipe.execute()
                sent += n
            elapsed = time.perf_counter() - started
            client.close()
        finally:
            server.terminate()
            server.wait(10)
    return {
        "records": float(num_records),
        "records_per_sec": num_records / elapsed,
        "mb_per_sec": num_records * record_size / elapsed / 1e6,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-records", type=int, default=200_000)
    parser.add_argument("--record-size", type=int, default=100)
    parser.add_argument("--pipeline", type=int, default=1000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    opts = parser.parse_args()
    result = measure_xadd(opts.num_records, opts.record_size, opts.pipeline)
    if opts.json:
        print(json.dumps({"redis_xadd": result}))
    else:
        print(f"redis XADD pipelined: {result['records_per_sec']:,.0f} records/s "
              f"({result['mb_per_sec']:.1f} MB/s)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
