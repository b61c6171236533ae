"""Progress lines on stderr for long work, from a ticker thread.

stdout stays for results (records, tables, `--json`); progress never goes there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

import click


class Ticker:
    """Calls `report()` every `interval_s` while the `with` block runs; prints what it returns
    (nothing for None or "") on stderr."""

    def __init__(self, interval_s: float, report: Callable[[], str | None]) -> None:
        self.interval_s = interval_s
        self._report = report
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kanal-progress", daemon=True)

    def _run(self) -> None:
        while not self._stopped.wait(self.interval_s):
            line = self._report()
            if line:
                click.echo(line, err=True)

    def __enter__(self) -> Ticker:
        if self.interval_s > 0:
            self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()
