"""The Node.js example (examples/node/, @grpc/grpc-js loading proto/ directly) in one group
with two Python consumers: the partitions are split between all three, every record is
consumed once, the Node member commits what it consumed and leaves, and the Python members
then take its partitions over from its committed offsets (no record consumed twice)."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kanal import Admin, NewTopic, Producer
from kanal.devcluster.pytest_plugin import DevClusterFactory

from .workers import Ledger, Worker, wait_until

pytestmark = pytest.mark.integration

NODE_DIR = Path(__file__).resolve().parents[2] / "examples" / "node"
TOPIC = "clicks"
GROUP = "mixed-languages"
PARTITIONS = 6


@pytest.fixture(scope="module")
def node_example() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed (scripts/setup.sh installs them)")
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR,
                   check=True, timeout=300, stdout=subprocess.DEVNULL)
    return NODE_DIR


class NodeMember:
    """The Node consumer as a child process; its JSON lines go to `events` and its records
    to the ledger."""

    def __init__(self, directory: Path, bootstrap: str, ledger: Ledger) -> None:
        self.events: list[dict[str, Any]] = []
        self._ledger = ledger
        self.process = subprocess.Popen(
            ["node", "consumer.js", "--bootstrap", bootstrap, "--group", GROUP,
             "--topic", TOPIC], cwd=directory, stdout=subprocess.PIPE, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            event = json.loads(line)
            if event["event"] == "record":
                self._ledger.add(event["partition"], event["offset"], "node")
            self.events.append(event)

    def owned(self) -> set[int]:
        assigned = [e for e in list(self.events) if e["event"] == "assigned"]
        return set(assigned[-1]["partitions"]) if assigned else set()

    def committed(self) -> dict[int, int]:
        offsets: dict[int, int] = {}
        for event in list(self.events):
            if event["event"] == "committed":
                offsets.update({int(p): o for p, o in event["offsets"].items()})
        return offsets

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        code = self.process.wait(timeout=30)
        self._reader.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return code


@pytest.fixture
def cluster_bootstrap(dev_cluster: DevClusterFactory, monkeypatch: pytest.MonkeyPatch
                      ) -> Iterator[str]:
    monkeypatch.setenv("KANAL_BROKER_GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS", "500")
    cluster = dev_cluster(brokers=1)
    with Admin(bootstrap_servers=cluster.bootstrap) as admin:
        admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)])
    yield cluster.bootstrap


def produce(bootstrap: str, per_partition: int) -> None:
    with Producer(bootstrap_servers=bootstrap, linger_ms=5) as producer:
        for i in range(per_partition):
            for p in range(PARTITIONS):
                producer.send(TOPIC, key=b"k%d" % p, value=b"click %d" % i, partition=p)
        producer.flush(timeout=30)


def test_node_and_python_consumers_share_a_group(node_example: Path,
                                                  cluster_bootstrap: str) -> None:
    bootstrap = cluster_bootstrap
    ledger = Ledger()
    options = {"bootstrap_servers": bootstrap, "group_id": GROUP,
               "auto_offset_reset": "earliest", "auto_commit_interval_ms": 200}
    workers = [Worker(f"python-{i}", ledger, TOPIC, **options) for i in range(2)]
    node = NodeMember(node_example, bootstrap, ledger)
    try:
        def split_three_ways() -> bool:
            owned = [node.owned(), *({tp.partition for tp in w.assignment()} for w in workers)]
            flat = [p for tps in owned for p in tps]
            return sorted(flat) == list(range(PARTITIONS)) and all(owned)
        wait_until(split_three_ways, 60, "the partitions split between Node and Python")
        node_partitions = node.owned()

        produce(bootstrap, 10)
        wait_until(lambda: len(ledger.offsets()) == 10 * PARTITIONS, 60, "every record")
        assert {p for p, _, name in ledger.consumed if name == "node"} == node_partitions
        wait_until(lambda: all(node.committed().get(p) == 10 for p in node_partitions), 30,
                   "the Node member's commits")

        assert node.stop() == 0
        assert node.events[-1]["event"] == "left"
        wait_until(lambda: set().union(*({tp.partition for tp in w.assignment()}
                                          for w in workers)) == set(range(PARTITIONS)), 60,
                   "the Python members taking the Node member's partitions")
        produce(bootstrap, 5)
        wait_until(lambda: len(ledger.offsets()) == 15 * PARTITIONS, 60, "the newer records")
    finally:
        node.stop()
        for worker in workers:
            worker.close()
    assert ledger.duplicates() == {}
    taken_over = {o for p, o, name in ledger.consumed if p in node_partitions and name != "node"}
    assert taken_over == set(range(10, 15))
