"""A real PostgreSQL server for tests and benches: initdb into a temporary directory, then
`postgres` on a free loopback port with logical decoding switched on.

PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
`postgres` OS user Debian's package creates (the data directory is made theirs). Durability
settings are off (fsync, full_page_writes) unless asked for: the data lives only as long as
the test session. Benches ask for them, to measure what a real deployment would write.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg


def _pg_bin() -> Path:
    """Debian's layout: /usr/lib/postgresql/<major>/bin, the newest major installed."""
    if "KANAL_PG_BIN" in os.environ:
        return Path(os.environ["KANAL_PG_BIN"])
    majors = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                    key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0)
    return majors[-1].parent if majors else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()
SUPERUSER = "postgres"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PostgresServer:
    """One running server; `conninfo(db)` gives a libpq connection string."""

    def __init__(self, *, durable: bool = False) -> None:
        self.durable = durable  # PostgreSQL's own defaults: fsync, synchronous commit
        self.port = _free_port()
        self._root = Path(tempfile.mkdtemp(prefix="kanal-pg-"))
        self._data = self._root / "data"
        self._process: subprocess.Popen[bytes] | None = None
        self._user: str | None = SUPERUSER if os.geteuid() == 0 else None

    def conninfo(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={dbname}"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def _owner(self) -> tuple[int | None, int | None, list[int] | None]:
        """(uid, gid, extra groups) to run PostgreSQL's programs as; None: as ourselves."""
        if self._user is None:
            return None, None, None
        entry = pwd.getpwnam(self._user)
        return entry.pw_uid, entry.pw_gid, []

    def start(self) -> None:
        self._data.mkdir()
        if self._user is not None:
            entry = pwd.getpwnam(self._user)
            os.chown(self._root, entry.pw_uid, entry.pw_gid)
            os.chown(self._data, entry.pw_uid, entry.pw_gid)
        uid, gid, groups = self._owner()
        subprocess.run(
            [str(PG_BIN / "initdb"), "-D", str(self._data), "-U", SUPERUSER,
             "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"],
            check=True, capture_output=True, cwd=self._root,
            user=uid, group=gid, extra_groups=groups,
        )
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": "",
            "wal_level": "logical",
            "max_replication_slots": "20",
            "max_wal_senders": "20",
            "shared_buffers": "64MB",
        }
        if not self.durable:
            settings.update(fsync="off", synchronous_commit="off", full_page_writes="off")
        args = [str(PG_BIN / "postgres"), "-D", str(self._data)]
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        log = (self._root / "server.log").open("wb")
        self._process = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, cwd=self._root,
            user=uid, group=gid, extra_groups=groups,
        )
        log.close()
        self._wait_ready()

    def _wait_ready(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError("postgres exited: " + self.log_tail())
            ready = subprocess.run(
                [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True, check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("postgres did not become ready: " + self.log_tail())

    def log_tail(self) -> str:
        path = self._root / "server.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            # SIGINT is PostgreSQL's "fast" shutdown (SIGTERM would wait for clients to leave).
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        shutil.rmtree(self._root, ignore_errors=True)


class Database:
    """One empty database on the session's server; `url` is what connectors are given."""

    def __init__(self, server: PostgresServer, name: str) -> None:
        self.server = server
        self.name = name
        self.url = server.url(name)
        self.jdbc_url = f"jdbc:postgresql://127.0.0.1:{server.port}/{name}"

    def execute(self, sql: str, params: tuple[object, ...] = ()) -> None:
        with psycopg.connect(self.server.conninfo(self.name), autocommit=True) as conn:
            conn.execute(sql.encode(), params)

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with psycopg.connect(self.server.conninfo(self.name), autocommit=True) as conn:
            return conn.execute(sql.encode(), params).fetchall()
