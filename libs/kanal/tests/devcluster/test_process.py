from __future__ import annotations

import signal
import time
from pathlib import Path

from kanal.devcluster.process import ServiceProcess, pid_alive, stop_together, tail


def _wait_for_file(path: Path, timeout_s: float = 5.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.02)
    raise AssertionError(f"{path} was not written")


def test_stop_reaches_what_the_service_forked(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    service = ServiceProcess(
        "forker", ["sh", "-c", f"sleep 60 & echo $! > {pid_file}; echo started; wait"],
        tmp_path / "logs" / "forker.log",
    )  # fmt: skip
    service.start()
    grandchild = int(_wait_for_file(pid_file))
    assert service.running and pid_alive(grandchild)
    stop_together([service], grace_s=5.0)
    assert service.exit_code is not None
    deadline = time.monotonic() + 5
    while pid_alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not pid_alive(grandchild)
    assert "started" in service.log_tail()


def test_a_service_ignoring_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    service = ServiceProcess(
        "stubborn", ["sh", "-c", f"trap '' TERM; echo yes > {ready}; sleep 60"],
        tmp_path / "stubborn.log",
    )  # fmt: skip
    service.start()
    _wait_for_file(ready)
    stop_together([service], grace_s=0.3)
    assert service.exit_code == -signal.SIGKILL


def test_signal_goes_to_the_service(tmp_path: Path) -> None:
    service = ServiceProcess("sleeper", ["sleep", "60"], tmp_path / "sleeper.log")
    service.start()
    service.send(signal.SIGKILL)
    assert service.wait(5.0)
    assert service.exit_code == -signal.SIGKILL
    stop_together([service])  # already gone: nothing to do, no error


def test_tail_returns_the_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    assert tail(log, 3).splitlines() == ["line 97", "line 98", "line 99"]
    assert tail(tmp_path / "missing.log") == ""
