"""The registry's lifecycle: start the parts in dependency order, serve, stop them in reverse.

Start: metrics, the `_schemas` reader (topic created if missing), read to the end (readiness),
the primary election, then the REST and gRPC servers (so `GET /` answering means ready).
SIGTERM/SIGINT: stop accepting, let in-flight requests finish (grace period), give up the
primary key at once (the others need not wait for the lease to expire), close the clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

import aiohttp
import grpc
from aiohttp import web
from kanal.meta.etcd import Etcd
from kanal.meta.layout import Layout
from kanal.startup_heap import freeze_startup_heap
from kanal.tracing.grpc_server import server_interceptors
from kanal.tracing.http_client import http_client_trace_configs
from kanal.v1 import registry_pb2_grpc

from kanal_registry.cluster.election import Candidate, PrimaryElection
from kanal_registry.grpc_api import RegistryServicer
from kanal_registry.metrics import RegistryMetrics
from kanal_registry.rest.app import build_app
from kanal_registry.service.reads import RegistryReads
from kanal_registry.service.registry_service import RegistryService
from kanal_registry.service.schema_parsing import SchemaParser
from kanal_registry.settings import RegistrySettings
from kanal_registry.state.registry_state import RegistryState
from kanal_registry.store.schemas_log import SchemasLog

log = logging.getLogger(__name__)

_ETCD_TIMEOUT_S = 5.0
_CLIENT_CLOSE_S = 3.0


def primary_key(cluster_id: str) -> bytes:
    """`/kanal/<cluster-id>/registry/primary`, beside the controller's keys."""
    return Layout(cluster_id).registry_primary


async def run_registry(settings: RegistrySettings) -> None:
    """Run until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with contextlib.AsyncExitStack() as stack:
            serving = asyncio.create_task(_serve(settings, stack, stop), name="registry-start")
            stopping = asyncio.create_task(stop.wait(), name="registry-stop")
            await asyncio.wait([serving, stopping], return_when=asyncio.FIRST_COMPLETED)
            for task in (serving, stopping):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            log.info("schema registry %s stopping", settings.instance_id)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


async def _serve(settings: RegistrySettings, stack: contextlib.AsyncExitStack,
                 stop: asyncio.Event) -> None:
    metrics = RegistryMetrics()
    metrics.serve(settings.host, settings.metrics_port)
    stack.callback(metrics.stop)

    state = RegistryState()
    reads = RegistryReads(state, SchemaParser(state))
    schemas_log = SchemasLog(settings.bootstrap, state, write_timeout_s=settings.write_timeout_s)
    _on_exit(stack, "the _schemas clients", schemas_log.close, _CLIENT_CLOSE_S)
    await schemas_log.start()
    await schemas_log.catch_up()
    log.info("read _schemas to offset %d", schemas_log.position)

    etcd = Etcd(settings.etcd_endpoints, timeout_s=_ETCD_TIMEOUT_S)
    _on_exit(stack, "the etcd client", etcd.close, _CLIENT_CLOSE_S)
    me = Candidate(settings.instance_id, settings.advertised_url)
    election = PrimaryElection(etcd, primary_key(settings.cluster_id), me,
                               ttl_s=settings.lease_ttl_s, before_leading=schemas_log.catch_up)
    metrics.track_primary(lambda: election.is_primary)
    # Exit order is the reverse: the campaign stops before the lease is revoked.
    _on_exit(stack, "the primary lease", election.resign, _CLIENT_CLOSE_S)
    await stack.enter_async_context(_owned(election.run(), "registry-election", stop))

    session = aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=settings.write_timeout_s),
        trace_configs=http_client_trace_configs())
    _on_exit(stack, "the forwarding session", session.close, _CLIENT_CLOSE_S)
    registry = RegistryService(reads=reads, schemas_log=schemas_log, election=election,
                               session=session, metrics=metrics,
                               write_timeout_s=settings.write_timeout_s)

    runner = web.AppRunner(build_app(registry, metrics), access_log=None,
                           shutdown_timeout=settings.shutdown_grace_s)
    await runner.setup()
    server = grpc.aio.server(interceptors=server_interceptors())

    async def stop_serving() -> None:
        # Both edges drain at once, each within the grace period.
        await asyncio.gather(runner.cleanup(), server.stop(settings.shutdown_grace_s))

    _on_exit(stack, "the REST and gRPC servers", stop_serving, settings.shutdown_grace_s + 1)
    await web.TCPSite(runner, settings.host, settings.port).start()
    registry_pb2_grpc.add_SchemaRegistryServicer_to_server(RegistryServicer(registry, metrics),
                                                           server)
    server.add_insecure_port(f"{settings.host}:{settings.grpc_port}")
    await server.start()
    log.info("schema registry %s ready: REST %s, gRPC %s:%d", settings.instance_id,
             settings.advertised_url, settings.host, settings.grpc_port)
    freeze_startup_heap()
    await stop.wait()


def _on_exit(stack: contextlib.AsyncExitStack, name: str,
             step: Callable[[], Awaitable[object]], timeout_s: float) -> None:
    """Run `step` when the stack unwinds, for at most `timeout_s`: one stuck client must not
    keep the process from exiting (whatever it holds dies with the process)."""
    async def bounded() -> None:
        log.info("stopping %s", name)
        try:
            async with asyncio.timeout(timeout_s):
                await step()
        except TimeoutError:
            log.warning("stopping %s took over %.0f s; going on", name, timeout_s)

    stack.push_async_callback(bounded)


@contextlib.asynccontextmanager
async def _owned(work: Coroutine[Any, Any, None], name: str, stop: asyncio.Event
                 ) -> AsyncIterator[None]:
    """Run `work` as a task for the block's duration; if it ever fails, log it and stop the
    process (a registry without its election cannot serve writes)."""
    task = asyncio.create_task(work, name=name)

    def finished(done: asyncio.Task[object]) -> None:
        if not done.cancelled() and done.exception() is not None:
            log.critical("%s failed", name, exc_info=done.exception())
            stop.set()

    task.add_done_callback(finished)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
