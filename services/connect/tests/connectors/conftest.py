"""A session-wide PostgreSQL server and a fresh database per test."""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from pg_server import Database, PostgresServer


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def database(postgres_server: PostgresServer) -> Iterator[Database]:
    name = "test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(postgres_server.conninfo(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}".encode())
    try:
        yield Database(postgres_server, name)
    finally:
        with psycopg.connect(postgres_server.conninfo(), autocommit=True) as conn:
            for slot, reader in conn.execute(
                "SELECT slot_name, active_pid FROM pg_replication_slots WHERE database = %s",
                (name,),
            ).fetchall():
                if reader is not None:  # a reader a failed test left behind
                    conn.execute("SELECT pg_terminate_backend(%s)", (reader,))
                    _wait_inactive(conn, str(slot))
                conn.execute(  # a temporary slot went with its session
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                    "WHERE slot_name = %s AND NOT temporary",
                    (slot,),
                )
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)".encode())


def _wait_inactive(conn: psycopg.Connection[tuple[object, ...]], slot: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        row = conn.execute(
            "SELECT active FROM pg_replication_slots WHERE slot_name = %s", (slot,)
        ).fetchone()
        if row is None or not row[0]:
            return
        time.sleep(0.05)
