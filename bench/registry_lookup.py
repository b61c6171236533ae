"""Schema lookups by id against one registry instance (target: >= 5,000 requests/s).

    python bench/registry_lookup.py [--url http://127.0.0.1:8081] [--requests 50000]
                                    [--concurrency 32] [--schemas 100] [--json]

Without --url it starts its own dev cluster (one broker) and one registry process on free
loopback ports, and stops them afterwards. It registers `--schemas` Avro schemas, then sends
`GET /schemas/ids/{id}` over one keep-alive aiohttp session from `--concurrency` workers,
cycling through the ids, and reports requests/s and latency percentiles. The answers come from
the instance's memory: this measures the REST edge, not the cluster. The client shares the
machine's cores with the server, so requests/s is a floor; the server's CPU time per request
(read from /proc for the registry it started, or for `--server-pid`) gives the rate one
dedicated core would sustain, whatever else the machine runs. Figures are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import aiohttp
from kanal.devcluster.cluster import DevCluster

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def own_registry(data_dir: Path) -> Iterator[tuple[str, int]]:
    """A dev cluster and one registry process; yields the registry's URL and pid."""
    with DevCluster(data_dir / "cluster", brokers=1, controllers=1, base_broker_port=0,
                    controller_port=0, etcd_port=0) as cluster:
        (etcd,) = cluster.endpoints.of_kind("etcd")
        port = _free_port()
        command = [sys.executable, "-m", "kanal_registry", "--port", str(port),
                   "--grpc-port", str(_free_port()), "--metrics-port", "0",
                   "--bootstrap", cluster.bootstrap, "--etcd", etcd.address,
                   "--log-level", "WARNING"]
        with (data_dir / "registry.log").open("wb") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                with contextlib.suppress(OSError), urllib.request.urlopen(url + "/", timeout=2):
                    break
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the registry did not start; see registry.log")
                time.sleep(0.2)
            yield url, process.pid
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def register(session: aiohttp.ClientSession, url: str, count: int) -> list[int]:
    ids = []
    for i in range(count):
        schema = {"type": "record", "name": f"Bench{i}", "namespace": "bench",
                  "fields": [{"name": "id", "type": "long"}, {"name": "v", "type": "string"}]}
        async with session.post(f"{url}/subjects/bench-{i}-value/versions",
                                json={"schema": json.dumps(schema)},
                                headers={"Content-Type": CONTENT_TYPE}) as answer:
            answer.raise_for_status()
            ids.append(int((await answer.json())["id"]))
    return ids


async def lookups(url: str, *, requests: int, concurrency: int, schemas: int,
                  server_pid: int | None) -> dict[str, float]:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        ids = await register(session, url, schemas)
        latencies: list[float] = []
        next_request = iter(range(requests))

        async def worker() -> None:
            for n in next_request:
                started = time.perf_counter()
                async with session.get(f"{url}/schemas/ids/{ids[n % len(ids)]}") as answer:
                    await answer.read()
                    if answer.status != 200:
                        raise RuntimeError(f"lookup answered {answer.status}")
                latencies.append(time.perf_counter() - started)

        cpu_before = cpu_seconds(server_pid) if server_pid else 0.0
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        server_cpu = cpu_seconds(server_pid) - cpu_before if server_pid else 0.0
    latencies.sort()
    figures = {
        "requests": requests,
        "concurrency": concurrency,
        "seconds": round(elapsed, 3),
        "requests_per_s": round(requests / elapsed, 1),
        "latency_p50_ms": round(statistics.median(latencies) * 1000, 3),
        "latency_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 3),
    }
    if server_cpu > 0:
        figures["server_cpu_us_per_request"] = round(server_cpu / requests * 1e6, 1)
        figures["one_core_requests_per_s"] = round(requests / server_cpu, 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running registry (default: start one)")
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--schemas", type=int, default=100)
    parser.add_argument("--server-pid", type=int,
                        help="with --url: the registry's pid, to measure its CPU time")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    def run(url: str, pid: int | None) -> dict[str, float]:
        return asyncio.run(lookups(url, requests=args.requests, concurrency=args.concurrency,
                                   schemas=args.schemas, server_pid=pid))

    if args.url:
        figures = run(args.url.rstrip("/"), args.server_pid)
    else:
        with tempfile.TemporaryDirectory(prefix="registry-bench-") as scratch, \
                own_registry(Path(scratch)) as (url, pid):
            figures = run(url, pid)
    figures["cpus"] = os.cpu_count() or 0
    if args.json:
        print(json.dumps(figures))
        return
    print(f"lookups by id: {figures['requests_per_s']:,.0f} requests/s "
          f"({figures['requests']:,} requests, concurrency {figures['concurrency']}, "
          f"{figures['seconds']} s)")
    print(f"latency: p50 {figures['latency_p50_ms']} ms, p99 {figures['latency_p99_ms']} ms")
    if "server_cpu_us_per_request" in figures:
        print(f"server CPU: {figures['server_cpu_us_per_request']} us per request, so "
              f"{figures['one_core_requests_per_s']:,.0f} requests/s on one dedicated core")


if __name__ == "__main__":
    main()
