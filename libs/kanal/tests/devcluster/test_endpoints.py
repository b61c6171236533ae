from __future__ import annotations

from pathlib import Path

from kanal.devcluster.endpoints import ClusterEndpoints, ServiceEndpoint


def _sample() -> ClusterEndpoints:
    return ClusterEndpoints(
        cluster_id="kanal",
        data_dir="/tmp/data",
        supervisor_pid=42,
        services=(
            ServiceEndpoint("etcd", "etcd", "127.0.0.1", 2379, pid=10),
            ServiceEndpoint("controller-1", "controller", "127.0.0.1", 9093, 9405, pid=11),
            ServiceEndpoint("broker-1", "broker", "127.0.0.1", 9091, 9404, pid=12, rack="r1"),
            ServiceEndpoint("broker-2", "broker", "127.0.0.1", 9092, 9406, pid=13),
        ),
    )


def test_cluster_file_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "cluster.json"
    _sample().write(path)
    assert ClusterEndpoints.read(path) == _sample()
    assert not list(tmp_path.glob("*.tmp"))


def test_bootstrap_lists_every_broker_and_urls_point_at_metrics() -> None:
    endpoints = _sample()
    assert endpoints.bootstrap == "127.0.0.1:9091,127.0.0.1:9092"
    assert endpoints.etcd == "127.0.0.1:2379"
    assert endpoints.brokers[0].metrics_url == "http://127.0.0.1:9404/metrics"
    assert endpoints.services[0].metrics_url is None
    assert endpoints.to_dict()["bootstrap"] == endpoints.bootstrap
