"""Per-record cost of the Avro serializer with a cached schema, against fastavro's own
schemaless encoding of the same records (the issue's target: within 2x).

    python bench/serde_avro.py [--records 200000] [--rounds 5] [--registry-url URL] [--json]

Without --registry-url a dev cluster with one schema registry starts in a temporary
directory. The serializer registers its schema on the first record; the timed loops then run
from its cache, so the figure is framing + encoding, not HTTP. Each side's best round counts.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import BytesIO
from typing import Any

from fastavro import parse_schema, schemaless_writer
from kanal.devcluster.cluster import DevCluster
from kanal.serde import AvroSerializer, SchemaRegistryClient

# The seed guide's user events.
SCHEMA = {
    "type": "record",
    "name": "UserEvent",
    "namespace": "kanal.bench",
    "fields": [
        {"name": "user_id", "type": "string"},
        {"name": "event_type", "type": "string"},
        {"name": "timestamp", "type": "long"},
        {"name": "page", "type": ["null", "string"], "default": None},
        {"name": "duration_ms", "type": "int"},
        {"name": "properties", "type": {"type": "map", "values": "string"}},
    ],
}


def records(count: int) -> list[dict[str, Any]]:
    return [
        {
            "user_id": f"user-{i % 1000}",
            "event_type": ("click", "view", "purchase")[i % 3],
            "timestamp": 1_700_000_000_000 + i,
            "page": None if i % 4 == 0 else f"/page/{i % 50}",
            "duration_ms": i % 5000,
            "properties": {"browser": "firefox", "country": "FR"},
        }
        for i in range(count)
    ]


def best_seconds(
    encoders: dict[str, Callable[[dict[str, Any]], object]], values: list[Any], rounds: int
) -> dict[str, float]:
    """Each encoder's best time over the records; rounds alternate between the encoders, so
    a busy moment of the machine does not land on one side only."""
    best = dict.fromkeys(encoders, float("inf"))
    for _ in range(rounds):
        for name, encode in encoders.items():
            start = time.perf_counter()
            for value in values:
                encode(value)
            best[name] = min(best[name], time.perf_counter() - start)
    return best


@contextmanager
def registry_url(given: str | None) -> Iterator[str]:
    if given:
        yield given
        return
    with tempfile.TemporaryDirectory() as data_dir:
        cluster = DevCluster(
            data_dir, brokers=1, registries=1, base_broker_port=0, controller_port=0,
            etcd_port=0, registry_port=0, grace_s=5.0,
        )  # fmt: skip
        with cluster:
            yield cluster.registry_url


def measure(url: str, count: int, rounds: int) -> dict[str, float]:
    values = records(count)
    parsed = parse_schema(SCHEMA)

    def fastavro_encode(value: dict[str, Any]) -> bytes:
        out = BytesIO()
        schemaless_writer(out, parsed, value)
        return out.getvalue()

    with SchemaRegistryClient(url) as client:
        serializer = AvroSerializer(client, SCHEMA)
        serializer.serialize(values[0], "bench-user-events")  # registers, fills the cache

        def kanal_encode(value: dict[str, Any]) -> bytes | None:
            return serializer.serialize(value, "bench-user-events")

        best = best_seconds({"fastavro": fastavro_encode, "kanal": kanal_encode}, values, rounds)
        fastavro_s, kanal_s = best["fastavro"], best["kanal"]
    return {
        "records": count,
        "fastavro_us_per_record": fastavro_s / count * 1e6,
        "kanal_us_per_record": kanal_s / count * 1e6,
        "kanal_records_per_s": count / kanal_s,
        "ratio": kanal_s / fastavro_s,
        "target_ratio": 2.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--registry-url", help="An existing registry (default: start one).")
    parser.add_argument("--json", action="store_true", help="Print one JSON object.")
    args = parser.parse_args()
    with registry_url(args.registry_url) as url:
        figures = measure(url, args.records, args.rounds)
    if args.json:
        print(json.dumps(figures))
        return
    print(f"records                 {figures['records']:>12,}")
    print(f"fastavro schemaless     {figures['fastavro_us_per_record']:>12.2f} us/record")
    print(f"kanal AvroSerializer    {figures['kanal_us_per_record']:>12.2f} us/record "
          f"({figures['kanal_records_per_s']:,.0f} records/s)")  # fmt: skip
    print(f"ratio                   {figures['ratio']:>12.2f}x (target <= 2x)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
