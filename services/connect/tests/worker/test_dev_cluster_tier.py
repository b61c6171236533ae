"""The worker as the dev cluster starts it (its contract command line), moving a file through
a topic with the FileStream connectors."""

from __future__ import annotations

from pathlib import Path

from kanal.devcluster.pytest_plugin import DevClusterFactory
from worker_process import call, wait_until

STRING = "org.apache.kafka.connect.storage.StringConverter"


def test_file_to_topic_to_file(dev_cluster: DevClusterFactory, tmp_path: Path) -> None:
    cluster = dev_cluster(brokers=1, connect_workers=1)
    url = cluster.connect_url
    source, sink = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("".join(f"line {n}\n" for n in range(20)))
    for name, config in {
        "lines-in": {"connector.class": "FileStreamSource", "file": str(source),
                     "topic": "lines", "value.converter": STRING},
        "lines-out": {"connector.class": "FileStreamSink", "file": str(sink),
                      "topics": "lines", "value.converter": STRING},
    }.items():
        answer = call(url + "/connectors", "POST", {"name": name, "config": config})
        assert answer.status == 201, answer.body
    wait_until(lambda: sink.exists() and len(sink.read_text().splitlines()) == 20,
               what="20 lines copied")
    assert sink.read_text() == source.read_text()
    status = call(url + "/connectors/lines-in/status").json_object()
    assert str(status["connector"]["worker_id"]).startswith("connect-")  # type: ignore[index]
