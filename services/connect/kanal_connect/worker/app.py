"""The worker process: internal topics, herder, group membership, REST, gRPC, metrics;
stopped in reverse on SIGTERM/SIGINT (REST closed, tasks stopped with their offsets
flushed, the group left)."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Coroutine

from aiohttp import web
from kanal import AIOAdmin
from kanal.startup_heap import collect_young_less_often, freeze_startup_heap

from kanal_connect.plugins import PluginRegistry
from kanal_connect.rest.app import build_app
from kanal_connect.runtime.metrics import ConnectMetrics
from kanal_connect.worker.herder import Herder
from kanal_connect.worker.membership import start_membership
from kanal_connect.worker.service import ConnectService
from kanal_connect.worker.settings import WorkerSettings

log = logging.getLogger(__name__)


SHUTDOWN_STEP_S = 20.0


async def _bounded(step: str, work: Coroutine[object, object, None]) -> None:
    """One shutdown step, at most SHUTDOWN_STEP_S: SIGTERM must end the process."""
    try:
        async with asyncio.timeout(SHUTDOWN_STEP_S):
            await work
    except TimeoutError:
        log.warning("%s took over %.0f s; going on", step, SHUTDOWN_STEP_S)
        for task in asyncio.all_tasks():
            log.warning("still running: %r", task)
    except Exception:
        log.exception("%s failed; going on", step)


async def _cluster_id(bootstrap: str) -> str:
    async with AIOAdmin(bootstrap_servers=bootstrap) as admin:
        return (await admin.describe_cluster()).cluster_id


async def run_worker(settings: WorkerSettings, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    metrics = ConnectMetrics()
    plugins = PluginRegistry.discover(settings.plugin_modules)
    log.info("connector plugins: %s", ", ".join(p.class_name for p in plugins.plugins) or "none")
    herder = Herder(settings, plugins, metrics)
    service = ConnectService(herder)
    cluster_id = await _cluster_id(settings.bootstrap)
    await herder.start()
    membership = await start_membership(herder)
    runner = web.AppRunner(build_app(service, cluster_id), access_log=None)
    await runner.setup()
    grpc_server = None
    try:
        await web.TCPSite(runner, settings.host, settings.port).start()
        if settings.grpc_port:
            from kanal_connect.grpc_api.server import start_grpc

            grpc_server = await start_grpc(service, settings.host, settings.grpc_port)
        metrics.serve(settings.host, settings.metrics_port)
        herder.ready = True
        freeze_startup_heap()
        collect_young_less_often()
        log.info("connect worker %s ready on %s", settings.id, settings.url)
        await stop.wait()
    finally:
        log.info("connect worker %s stopping", settings.id)
        await runner.cleanup()
        if grpc_server is not None:
            await grpc_server.stop(2)
        log.info("REST and gRPC closed; stopping connectors and tasks")
        if membership is not None:
            await _bounded("leaving the group", membership.stop())
        await _bounded("stopping the herder", herder.stop())
        log.info("connectors and tasks stopped, group left")
        await asyncio.to_thread(metrics.stop)  # joins the exporter's thread
        log.info("connect worker %s stopped", settings.id)
