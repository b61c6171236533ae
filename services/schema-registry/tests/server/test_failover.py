"""Two registry instances; the primary is killed with SIGKILL while writes go on. Writes move to
the other instance once the dead one's lease expires, and no acknowledged schema is lost or
given another id (a third instance, rebuilt from `_schemas` alone, agrees)."""

from __future__ import annotations

import json
import re
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest
from kanal.devcluster.pytest_plugin import DevClusterFactory

from .registry_process import RegistryProcess

pytestmark = pytest.mark.integration

LEASE_TTL_S = 3
HEADERS = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
RETRIABLE_CODES = {50002, 50003, 50004}


def is_primary(instance: RegistryProcess) -> bool:
    found = re.search(r"^kanal_registry_is_primary (\S+)$", instance.metrics(), re.MULTILINE)
    return found is not None and float(found.group(1)) == 1.0


def schema(i: int) -> str:
    return json.dumps({"type": "record", "name": f"R{i}", "fields": [{"name": "f", "type": "int"}]})


def register_until_done(client: httpx.Client, subject: str, text: str) -> int:
    """Confluent's clients retry 5xx answers; so does this one, for up to a minute."""
    deadline = time.monotonic() + 60
    while True:
        try:
            answer = client.post(f"/subjects/{subject}/versions", json={"schema": text})
            if answer.status_code == 200:
                return int(answer.json()["id"])
            assert answer.json()["error_code"] in RETRIABLE_CODES, answer.text
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "writes never moved to the surviving instance"
        time.sleep(0.1)


def test_killing_the_primary_moves_writes_and_keeps_every_id(
        dev_cluster: DevClusterFactory, tmp_path: Path) -> None:
    cluster = dev_cluster(brokers=1)
    first = RegistryProcess.start(cluster, tmp_path / "a.log", lease_ttl_s=LEASE_TTL_S)
    second = RegistryProcess.start(cluster, tmp_path / "b.log", lease_ttl_s=LEASE_TTL_S)
    instances = [first, second]
    try:
        deadline = time.monotonic() + 30
        while not any(is_primary(i) for i in instances):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        primary, survivor = (first, second) if is_primary(first) else (second, first)
        acked: dict[int, int] = {}
        killed = threading.Event()

        with httpx.Client(base_url=survivor.url, headers=HEADERS, timeout=30) as client:
            # Forwarded writes before the kill, then writes racing it.
            def write(start: int, stop: int) -> None:
                for i in range(start, stop):
                    acked[i] = register_until_done(client, f"failover-{i % 3}", schema(i))
                    if i == start + 2:
                        killed.wait(10)

            # Every schema is a new record type: no level but NONE lets them follow each other.
            assert client.put("/config", json={"compatibility": "NONE"}).status_code == 200
            for i in range(5):
                acked[i] = register_until_done(client, f"failover-{i % 3}", schema(i))
            writer = threading.Thread(target=write, args=(5, 15))
            writer.start()
            primary.kill()
            killed.set()
            writer.join(90)
            assert not writer.is_alive()
            assert is_primary(survivor)

            assert len(set(acked.values())) == len(acked) == 15
            for i, schema_id in acked.items():
                stored = client.get(f"/schemas/ids/{schema_id}").json()
                assert json.loads(stored["schema"])["name"] == f"R{i}"

        replica = RegistryProcess.start(cluster, tmp_path / "c.log", lease_ttl_s=LEASE_TTL_S)
        instances.append(replica)
        with httpx.Client(base_url=replica.url, headers=HEADERS, timeout=30) as client:
            for i, schema_id in acked.items():
                found = client.post(f"/subjects/failover-{i % 3}", json={"schema": schema(i)})
                assert found.json()["id"] == schema_id
            # The new instance forwards to the survivor, and ids keep growing.
            fresh = register_until_done(client, "failover-new", schema(99))
            assert fresh > max(acked.values())
            # Read-your-writes through a forwarding instance: it answered after catching up.
            assert client.get(f"/schemas/ids/{fresh}").status_code == 200
            assert client.get("/subjects/failover-new/versions").json() == [1]
    finally:
        for instance in instances:
            instance.stop()


@pytest.mark.slow
def test_a_paused_primary_is_fenced_and_forwards_after_it_wakes(
        dev_cluster: DevClusterFactory, tmp_path: Path) -> None:
    cluster = dev_cluster(brokers=1)
    first = RegistryProcess.start(cluster, tmp_path / "a.log", lease_ttl_s=LEASE_TTL_S)
    second = RegistryProcess.start(cluster, tmp_path / "b.log", lease_ttl_s=LEASE_TTL_S)
    try:
        deadline = time.monotonic() + 30
        while not (is_primary(first) or is_primary(second)):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        old, new = (first, second) if is_primary(first) else (second, first)
        with httpx.Client(base_url=new.url, headers=HEADERS, timeout=30) as client:
            assert client.put("/config", json={"compatibility": "NONE"}).status_code == 200
            before = register_until_done(client, "fenced", schema(1))
            old.process.send_signal(signal.SIGSTOP)
            try:
                # Writes through the other instance resume once the paused one's lease expires.
                during = register_until_done(client, "fenced", schema(2))
            finally:
                old.process.send_signal(signal.SIGCONT)
        assert is_primary(new)
        assert not is_primary(old)  # its own deadline passed while it slept: no write from it
        with httpx.Client(base_url=old.url, headers=HEADERS, timeout=30) as client:
            after = register_until_done(client, "fenced", schema(3))
        assert before < during < after
    finally:
        first.stop()
        second.stop()
