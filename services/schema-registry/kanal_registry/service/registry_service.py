"""The registry's operations, one implementation behind both edges (REST and gRPC).

Reads come from the local state (`reads`). A write runs where the primary is: here, planned
and written under one lock, bounded by the primary's lease deadline (see cluster/election.py);
or forwarded to the primary's REST API, after which this instance reads `_schemas` up to its
end before answering, so a client sees its own write whichever instance it asks next. While no
primary is known (an election in progress), a write waits for one, up to the write timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp

from kanal_registry.cluster.election import Candidate, PrimaryElection
from kanal_registry.cluster.primary_client import PrimaryClient
from kanal_registry.errors import (
    ForwardingError,
    IncompatibleSchema,
    OperationTimedOut,
    UnknownPrimary,
)
from kanal_registry.metrics import RegistryMetrics
from kanal_registry.service.reads import RegistryReads
from kanal_registry.service.requests import SchemaRequest
from kanal_registry.service.writes import Plan, Registered, WritePlanner
from kanal_registry.state.configs import SubjectConfig
from kanal_registry.state.modes import Mode
from kanal_registry.store.schemas_log import SchemasLog

log = logging.getLogger(__name__)

_R = TypeVar("_R")
_NO_PRIMARY_POLL_S = 0.1


class RegistryService:
    def __init__(self, *, reads: RegistryReads, schemas_log: SchemasLog,
                 election: PrimaryElection, session: aiohttp.ClientSession,
                 metrics: RegistryMetrics, write_timeout_s: float) -> None:
        self.reads = reads
        self._planner = WritePlanner(reads)
        self._log = schemas_log
        self._election = election
        self._session = session
        self._metrics = metrics
        self._write_timeout_s = write_timeout_s
        self._write_lock = asyncio.Lock()

    @property
    def is_primary(self) -> bool:
        return self._election.is_primary

    # ---- writes ---------------------------------------------------------------------------

    async def register(self, subject: str, request: SchemaRequest, *, normalize: bool = False,
                       forwarded: bool = False) -> Registered:
        try:
            registered = await self._write(
                lambda: self._planner.register(subject, request, normalize=normalize),
                lambda primary: primary.register(subject, request, normalize=normalize),
                forwarded=forwarded,
            )
        except IncompatibleSchema:
            self._metrics.compatibility_failures.inc()
            raise
        if registered.new:
            self._metrics.schemas_registered.inc()
        return registered

    async def delete_subject(self, subject: str, *, permanent: bool, forwarded: bool = False
                             ) -> list[int]:
        return await self._write(
            lambda: self._planner.delete_subject(subject, permanent=permanent),
            lambda primary: primary.delete_subject(subject, permanent=permanent),
            forwarded=forwarded,
        )

    async def delete_version(self, subject: str, version: int, *, permanent: bool,
                             forwarded: bool = False) -> int:
        return await self._write(
            lambda: self._planner.delete_version(subject, version, permanent=permanent),
            lambda primary: primary.delete_version(subject, version, permanent=permanent),
            forwarded=forwarded,
        )

    async def set_config(self, subject: str | None, update: SubjectConfig, *,
                         forwarded: bool = False) -> SubjectConfig:
        return await self._write(
            lambda: self._planner.set_config(subject, update),
            lambda primary: primary.set_config(subject, update),
            forwarded=forwarded,
        )

    async def delete_config(self, subject: str | None, *, forwarded: bool = False
                            ) -> SubjectConfig:
        return await self._write(
            lambda: self._planner.delete_config(subject),
            lambda primary: primary.delete_config(subject),
            forwarded=forwarded,
        )

    async def set_mode(self, subject: str | None, mode: str, *, force: bool = False,
                       forwarded: bool = False) -> Mode:
        Mode.parse(mode)
        return await self._write(
            lambda: self._planner.set_mode(subject, mode, force=force),
            lambda primary: primary.set_mode(subject, mode, force=force),
            forwarded=forwarded,
        )

    async def delete_mode(self, subject: str | None, *, forwarded: bool = False) -> Mode:
        return await self._write(
            lambda: self._planner.delete_mode(subject),
            lambda primary: primary.delete_mode(subject),
            forwarded=forwarded,
        )

    # ---- compatibility checks (reads, counted) --------------------------------------------

    def incompatibilities(self, subject: str, request: SchemaRequest, *,
                          version: int | None = None, normalize: bool = False) -> list[str]:
        reasons = self.reads.incompatibilities(subject, request, version=version,
                                               normalize=normalize)
        if reasons:
            self._metrics.compatibility_failures.inc()
        return reasons

    # ---- the write path -------------------------------------------------------------------

    async def _write(self, plan: Callable[[], Plan[_R]],
                     forward: Callable[[PrimaryClient], Awaitable[_R]], *,
                     forwarded: bool) -> _R:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._write_timeout_s
        while True:
            if self._election.is_primary:
                return await self._write_here(plan, deadline)
            primary = self._election.primary
            if forwarded:
                raise ForwardingError("This instance is not the primary; retry the request")
            if primary is not None:
                try:
                    return await self._forward(forward, primary, deadline)
                except ForwardingError as exc:
                    # Expected while a dead primary's lease runs out: retry until a new one.
                    log.debug("forwarding to %s failed: %s", primary.url, exc)
                    if loop.time() >= deadline:
                        raise
            if loop.time() >= deadline:
                raise UnknownPrimary("No primary schema registry instance is available")
            await asyncio.sleep(_NO_PRIMARY_POLL_S)

    async def _forward(self, forward: Callable[[PrimaryClient], Awaitable[_R]],
                       primary: Candidate, deadline: float) -> _R:
        """Forward to `primary`, giving up as soon as it stops being the primary (a paused or
        partitioned primary would otherwise hold the request until the HTTP timeout); then
        read `_schemas` to its end, so that this instance, too, answers reads with the write
        (the primary answered once it was in the log)."""
        task = asyncio.ensure_future(forward(PrimaryClient(self._session, primary.url)))
        try:
            while not task.done():
                await asyncio.wait([task], timeout=_NO_PRIMARY_POLL_S)
                if not task.done() and (self._election.primary != primary
                                        or self._election.is_primary):
                    raise ForwardingError(f"{primary.url} stopped being the primary")
            result = task.result()
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, ForwardingError):
                    await task
        try:
            async with asyncio.timeout(max(0.0, deadline - asyncio.get_running_loop().time())):
                await self._log.catch_up()
        except TimeoutError:
            raise OperationTimedOut("The write is done; reading it back timed out") from None
        return result

    async def _write_here(self, plan: Callable[[], Plan[_R]], deadline: float) -> _R:
        async with self._write_lock:
            if not self._election.is_primary:
                raise ForwardingError("This instance stopped being the primary; retry")
            planned = plan()
            remaining = deadline - asyncio.get_running_loop().time()
            try:
                async with asyncio.timeout(min(remaining, self._election.lease_remaining_s())):
                    await self._log.write(planned.records)
            except TimeoutError:
                raise OperationTimedOut("The write did not complete in time") from None
            return planned.result
