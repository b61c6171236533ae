"""The broker's lifecycle: start the parts in dependency order, serve, stop them in reverse.

Start: metrics endpoint, etcd, metadata cache (loaded), replica manager (every assigned log
open), registration (lease), gRPC server; health turns SERVING. SIGTERM/SIGINT: health
NOT_SERVING, stop accepting and let in-flight RPCs finish (grace period), close every log
cleanly (clean-shutdown marker), revoke the lease, close etcd.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import signal

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from kanal.meta.etcd import Etcd
from kanal.meta.layout import Layout
from kanal.startup_heap import freeze_startup_heap
from kanal.tracing.grpc_server import server_interceptors
from kanal.v1 import broker_pb2, broker_pb2_grpc

from kanal_broker.controlled_shutdown import controlled_shutdown
from kanal_broker.groups.server.runtime import GroupsRuntime, group_coordinator_config
from kanal_broker.metadata_cache import MetadataCache
from kanal_broker.metrics import BrokerMetrics
from kanal_broker.producer_ids import ProducerIds
from kanal_broker.registration import Registration
from kanal_broker.replica_manager import ReplicaManager
from kanal_broker.replication.controller_link import ControllerLink
from kanal_broker.service import BrokerService
from kanal_broker.settings import BrokerSettings

log = logging.getLogger(__name__)

BROKER_SERVICE = broker_pb2.DESCRIPTOR.services_by_name["Broker"].full_name


class BrokerApp:
    def __init__(self, settings: BrokerSettings) -> None:
        self.settings = settings
        self.metrics = BrokerMetrics()
        self.etcd = Etcd(settings.etcd_endpoints, timeout_s=settings.etcd_timeout_s)
        layout = Layout(settings.cluster_id)
        self.cache = MetadataCache(self.etcd, layout)
        self.registration = Registration(self.etcd, layout, settings,
                                         on_lost=self._lease_lost, on_change=self._registered)
        self.cache.on_broker_deleted = self.registration.key_deleted
        # Log calls block on disk; they run here, one at a time per partition.
        self.executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=8, thread_name_prefix="kanal-log")
        self.replicas = ReplicaManager(settings, self.cache, self.registration, self.metrics,
                                       self.executor)
        self.groups = GroupsRuntime(cache=self.cache, replicas=self.replicas,
                                    registry=self.metrics.registry,
                                    config=group_coordinator_config(settings))
        self.producer_ids = ProducerIds(self.cache, broker_id=settings.broker_id)
        self.health = HealthServicer()
        # No SO_REUSEPORT: a second broker on a taken port must fail, not silently share it.
        self.server = grpc.aio.server(options=[("grpc.so_reuseport", 0)],
                                      interceptors=server_interceptors())
        self._started = False
        self._stopping = False
        self._health_updates: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        s = self.settings
        self.metrics.serve(s.host, s.metrics_port)
        await self._refresh_health()
        await self.cache.start()
        await self.replicas.start()
        self._started = True
        await self.registration.start()
        broker_pb2_grpc.add_BrokerServicer_to_server(BrokerService(
            replicas=self.replicas, cache=self.cache, metrics=self.metrics,
            cluster_id=s.cluster_id, message_max_bytes=s.message_max_bytes,
            producer_ids=self.producer_ids), self.server)
        self.groups.register(self.server)
        self.groups.start()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.server.add_insecure_port(f"{s.host}:{s.port}")
        await self.server.start()
        await self._refresh_health()
        log.info("broker %d serving on %s:%d", s.broker_id, s.host, s.port)

    async def stop(self) -> None:
        await self._hand_over_leaderships()
        self._stopping = True
        await self._refresh_health()
        self.replicas.begin_shutdown()
        await self.server.stop(self.settings.shutdown_grace_s)
        await self.groups.stop()
        await self.producer_ids.close()
        await self.replicas.stop()
        await self.registration.stop()
        await self.cache.stop()
        await self.etcd.close()
        for update in list(self._health_updates):
            update.cancel()
        self.executor.shutdown(wait=True)
        self.metrics.stop()
        log.info("broker %d stopped", self.settings.broker_id)

    async def _hand_over_leaderships(self) -> None:
        """Controlled shutdown, while still serving: requests for the partitions that move
        are answered NOT_LEADER, which sends clients to the new leaders."""
        timeout_ms = self.settings.controlled_shutdown_timeout_ms
        if not self._started or timeout_ms <= 0 or not self.registration.holds_lease():
            return
        if not any(p.leader_view is not None and len(p.leader_view.isr) > 1
                   for p in self.replicas.partitions.values()):
            return  # it leads nothing another replica could take over
        if self.cache.controller is None:
            # Nobody to ask (no controller, or one being elected): waiting could only delay
            # the stop; the failover after the lease goes is what keeps the data safe.
            log.warning("no active controller known: stopping without controlled shutdown")
            return
        link = ControllerLink(self.cache)
        try:
            await controlled_shutdown(link, broker_id=self.settings.broker_id,
                                      broker_epoch=self.registration.revision,
                                      timeout_s=timeout_ms / 1000,
                                      unreachable_s=self.settings.session_timeout_ms / 1000)
        finally:
            await link.close()

    def _lease_lost(self) -> None:
        self.replicas.lease_lost()

    def _registered(self, registered: bool) -> None:
        self.metrics.registered.set(1 if registered else 0)
        if registered and self._started:
            self.replicas.registration_changed()
        # health.set awaits (it notifies Watch streams); this callback cannot.
        update = asyncio.get_running_loop().create_task(self._refresh_health())
        self._health_updates.add(update)
        update.add_done_callback(self._health_updates.discard)

    async def _refresh_health(self) -> None:
        """SERVING while registered with the metadata loaded, and not shutting down. Always
        computed from the current state, so updates racing each other cannot leave it stale."""
        serving = (self.registration.holds_lease() and self.cache.loaded.is_set()
                   and not self._stopping)
        status = (health_pb2.HealthCheckResponse.SERVING if serving
                  else health_pb2.HealthCheckResponse.NOT_SERVING)
        for service in ("", BROKER_SERVICE):
            await self.health.set(service, status)


async def run_broker(settings: BrokerSettings) -> None:
    """Run until SIGTERM or SIGINT, then shut down in order."""
    app = BrokerApp(settings)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    starting = asyncio.create_task(app.start(), name="broker-start")
    stop_requested = asyncio.create_task(stopping.wait(), name="stop-signal")
    try:
        # Start-up may wait on etcd for a long time; a signal must still stop the broker.
        await asyncio.wait({starting, stop_requested}, return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            starting.result()
            freeze_startup_heap()
            await stop_requested
        log.info("signal received: shutting down")
    finally:
        for task in (starting, stop_requested):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await app.stop()
