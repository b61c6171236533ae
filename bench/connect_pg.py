"""Shared set-up of the connect benches: a PostgreSQL server (the tests' helper) and a dev
cluster with one topic."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from kanal import Admin, NewTopic
from kanal.devcluster.cluster import DevCluster
from kanal.errors import InvalidReplicationFactor

sys.path.insert(0, str(Path(__file__).parents[1] / "services/connect/tests/connectors"))

from pg_server import Database, PostgresServer

__all__ = ["Database", "PostgresServer", "create_topic", "start_cluster"]


def start_cluster(data_dir: Path) -> DevCluster:
    cluster = DevCluster(data_dir, brokers=1, controllers=1, base_broker_port=0,
                         controller_port=0, etcd_port=0, grace_s=5.0)
    cluster.start()
    return cluster


def create_topic(bootstrap: str, topic: str, partitions: int = 1) -> None:
    # A just-started controller may list the broker a moment before it places replicas on it.
    deadline = time.monotonic() + 20
    with Admin(bootstrap_servers=bootstrap) as admin:
        while True:
            try:
                admin.create_topics([NewTopic(topic, partitions, 1)])
                return
            except InvalidReplicationFactor:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


def new_database(server: PostgresServer, name: str) -> Database:
    import psycopg

    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}".encode())
    return Database(server, name)
