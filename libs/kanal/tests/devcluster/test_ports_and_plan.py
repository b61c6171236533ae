from __future__ import annotations

import socket

import pytest
from kanal.devcluster.plan import ClusterShape, broker_id, plan_cluster
from kanal.devcluster.ports import PortPlanner, port_is_free
from kanal.errors import ConfigurationError


def _listening() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def test_a_listening_port_is_not_free() -> None:
    with _listening() as sock:
        port = sock.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)
    assert port_is_free("127.0.0.1", port)


def test_near_skips_taken_and_already_planned_ports() -> None:
    with _listening() as sock:
        taken = sock.getsockname()[1]
        planner = PortPlanner()
        first = planner.near(taken)
        second = planner.near(taken)
    assert taken < first < second


def test_exact_port_taken_fails_with_a_hint() -> None:
    with _listening() as sock:
        port = sock.getsockname()[1]
        with pytest.raises(ConfigurationError, match="--base-port"):
            plan_cluster(ClusterShape(base_broker_port=port, controller_port=0, etcd_port=0))


def test_free_port_plan_gives_every_service_distinct_ports_and_racks_in_turn() -> None:
    shape = ClusterShape(
        brokers=3, controllers=2, base_broker_port=0, controller_port=0, etcd_port=0,
        racks=("r1", "r2"),
    )  # fmt: skip
    plan = plan_cluster(shape)
    services = [plan.etcd, *plan.controllers, *plan.brokers]
    ports = [s.port for s in services] + [plan.etcd_peer_port]
    ports += [s.metrics_port for s in services if s.metrics_port is not None]
    assert len(ports) == len(set(ports)) == 1 + 1 + 2 * 5
    assert [b.name for b in plan.brokers] == ["broker-1", "broker-2", "broker-3"]
    assert [broker_id(b) for b in plan.brokers] == [1, 2, 3]
    assert [b.rack for b in plan.brokers] == ["r1", "r2", "r1"]


def test_later_brokers_follow_the_base_port() -> None:
    planner_probe = PortPlanner()
    base = planner_probe.near(0)
    plan = plan_cluster(
        ClusterShape(brokers=2, base_broker_port=base, controller_port=0, etcd_port=0)
    )
    assert plan.brokers[0].port == base
    assert plan.brokers[1].port > base


def test_a_cluster_needs_a_broker() -> None:
    with pytest.raises(ConfigurationError):
        plan_cluster(ClusterShape(brokers=0, base_broker_port=0, controller_port=0, etcd_port=0))
