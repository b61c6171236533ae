from __future__ import annotations

import signal
import threading

import pytest
from kanal.cli.interrupts import StopSignals
from kanal.cli.progress import Ticker


def test_ticker_prints_reports_on_stderr_until_the_block_ends(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ticks = threading.Semaphore(0)

    def report() -> str:
        ticks.release()
        return "42 records sent"

    with Ticker(0.01, report):
        assert ticks.acquire(timeout=10) and ticks.acquire(timeout=10)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "42 records sent\n" in captured.err


def test_ticker_with_zero_interval_is_silent(capsys: pytest.CaptureFixture[str]) -> None:
    with Ticker(0, lambda: "never"):
        pass
    assert capsys.readouterr().err == ""


def test_stop_signals_turn_sigterm_into_a_flag_and_restore_the_handler() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with StopSignals() as stop:
        requested_before = stop.requested
        signal.pthread_kill(threading.get_ident(), signal.SIGTERM)  # this thread: delivered now
    assert not requested_before
    assert stop.requested
    assert signal.getsignal(signal.SIGTERM) is before
