"""Wiring and lifecycle: one `ControllerApp` is one controller process's worth of parts.

Start order: gRPC server (answers NOT_SERVING health until etcd is reached), metrics, then the
loops: election, live-broker watch, leadership reconciler. Stop order: resign (revoking the
lease deletes the leader key, so a standby takes over at once), cancel the loops, drain RPCs
for the grace period, close etcd.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]
from kanal.meta.documents import BrokerRegistration, ControllerLease
from kanal.meta.etcd import Etcd
from kanal.meta.layout import Layout
from kanal.tracing.grpc_server import server_interceptors
from kanal.types import BrokerId
from kanal.v1 import controller_pb2, controller_pb2_grpc

from kanal_controller.broker_watch import LiveBrokers
from kanal_controller.catalog import Catalog
from kanal_controller.configs import Configs
from kanal_controller.controlled_shutdown import ControlledShutdown, ShuttingDown
from kanal_controller.drains import Drains
from kanal_controller.election import Election
from kanal_controller.fenced_writes import FencedWriter
from kanal_controller.isr_changes import IsrChanges
from kanal_controller.join_rebalance import JoinRebalancer, JoinRebalanceSettings
from kanal_controller.k8s_watcher import BrokerScaleWatcher, K8sWatchSettings
from kanal_controller.leadership import LeadershipReconciler, PartitionSummary
from kanal_controller.metrics import ControllerMetrics
from kanal_controller.moves_api import MovesApi
from kanal_controller.preferred_leader import BalanceSettings, LeaderElections
from kanal_controller.producer_ids import ProducerIdAllocator
from kanal_controller.reassignments import Reassignments
from kanal_controller.service import ControllerService
from kanal_controller.settings import ControllerSettings
from kanal_controller.tasks import TaskOwner
from kanal_controller.topics import TopicDefaults, Topics

log = logging.getLogger(__name__)

_SERVICE_NAME = controller_pb2.DESCRIPTOR.services_by_name["Controller"].full_name


class ControllerApp:
    def __init__(self, settings: ControllerSettings) -> None:
        self.settings = settings
        self.metrics = ControllerMetrics()
        self.layout = Layout(settings.cluster_id)
        # Unary etcd calls must finish well inside one session: a hung call would otherwise
        # hold the mutation lock past the lease.
        self.etcd = Etcd(settings.etcd_endpoints, timeout_s=settings.lease_ttl_s / 2)
        self.catalog = Catalog(self.etcd, self.layout)
        self._tasks = TaskOwner()
        self._server: grpc.aio.Server | None = None
        self._health: Any = None
        self.port = settings.port
        self.election: Election | None = None
        self.live_brokers = LiveBrokers(self.etcd, self.layout, on_change=self._brokers_changed)
        self._reconciler: LeadershipReconciler | None = None
        self._shutting_down: ShuttingDown | None = None
        self._join_rebalancer: JoinRebalancer | None = None
        self.reassignments: Reassignments | None = None
        self.drains: Drains | None = None

    async def start(self) -> None:
        settings = self.settings
        self._server = grpc.aio.server(options=[("grpc.so_reuseport", 0)],
                                       interceptors=server_interceptors())
        self.port = self._server.add_insecure_port(f"{settings.host}:{settings.port}")
        me = ControllerLease(
            controller_id=settings.controller_id,
            host=settings.advertised_host or settings.host,
            port=self.port,
            metrics_port=settings.metrics_port,
        )
        election = self.election = Election(
            self.etcd, self.layout, me, ttl_s=settings.lease_ttl_s,
            on_change=self._election_changed,
        )
        writer = FencedWriter(self.etcd, lambda: election.fence)
        lock = asyncio.Lock()  # one metadata mutation at a time on the active controller
        shutting_down = self._shutting_down = ShuttingDown(self.live_brokers.current)
        self._reconciler = LeadershipReconciler(
            catalog=self.catalog, layout=self.layout, writer=writer,
            live_brokers=lambda: frozenset(self.live_brokers.current()),
            is_active=lambda: election.is_active and self.live_brokers.ready.is_set(),
            lock=lock, max_txn_ops=settings.etcd_max_txn_ops,
            on_election=self.metrics.leader_elections.inc, on_summary=self._report,
            shutting_down=shutting_down.ids,
        )
        controlled_shutdown = ControlledShutdown(
            etcd=self.etcd, layout=self.layout, catalog=self.catalog, writer=writer,
            shutting_down=shutting_down, reconcile=self._reconciler.reconcile)
        elections = LeaderElections(
            catalog=self.catalog, layout=self.layout, writer=writer, lock=lock,
            eligible=lambda: frozenset(shutting_down.eligible()),
            is_active=lambda: election.is_active and self.live_brokers.ready.is_set(),
            settings=BalanceSettings(
                enabled=settings.auto_leader_rebalance,
                imbalance_percent=settings.leader_imbalance_percentage,
                check_interval_s=settings.leader_imbalance_check_interval_ms / 1000),
            on_election=self.metrics.leader_elections.inc)
        topics = Topics(
            catalog=self.catalog, layout=self.layout, writer=writer,
            live_brokers=self._placeable_brokers, lock=lock,
            defaults=TopicDefaults(settings.default_partitions,
                                   settings.default_replication_factor,
                                   settings.max_partitions_per_topic),
            max_txn_ops=settings.etcd_max_txn_ops, on_change=self._reconciler.kick,
        )
        configs = Configs(etcd=self.etcd, catalog=self.catalog, layout=self.layout,
                          writer=writer, lock=lock)
        isr_changes = IsrChanges(catalog=self.catalog, layout=self.layout, writer=writer,
                                 live_brokers=shutting_down.eligible, lock=lock)
        def active() -> bool:
            return election.is_active and self.live_brokers.ready.is_set()

        def controller_epoch() -> int | None:
            fence = election.fence
            return fence.epoch if fence is not None and active() else None

        reassignments = self.reassignments = Reassignments(
            catalog=self.catalog, layout=self.layout, writer=writer, lock=lock,
            registered=lambda: frozenset(self.live_brokers.current()),
            eligible=lambda: frozenset(shutting_down.eligible()), is_active=active,
            max_txn_ops=settings.etcd_max_txn_ops,
            on_progress=self.metrics.reassigning_partitions.set)
        drains = self.drains = Drains(
            catalog=self.catalog, reassignments=reassignments,
            registered=lambda: frozenset(self.live_brokers.current()),
            on_refused=self.metrics.decommission_refusals.inc)
        self._join_rebalancer = JoinRebalancer(
            drains=drains, etcd=self.etcd, layout=self.layout,
            controller_epoch=controller_epoch,
            settings=JoinRebalanceSettings(
                enabled=settings.rebalance_on_broker_join,
                throttle_bytes_per_s=settings.rebalance_throttle_bytes_per_s))
        scale_watcher = BrokerScaleWatcher(
            settings=K8sWatchSettings(
                statefulset=settings.k8s_broker_statefulset, namespace=settings.k8s_namespace,
                throttle_bytes_per_s=settings.rebalance_throttle_bytes_per_s),
            drains=drains, is_active=active,
            registered=lambda: frozenset(self.live_brokers.current()))
        service = ControllerService(cluster_id=settings.cluster_id, catalog=self.catalog,
                                    election=election, topics=topics, configs=configs,
                                    isr_changes=isr_changes, live_brokers=self.live_brokers,
                                    metrics=self.metrics,
                                    controlled_shutdown=controlled_shutdown,
                                    elections=elections,
                                    producer_ids=ProducerIdAllocator(
                                        etcd=self.etcd, layout=self.layout, writer=writer),
                                    moves=MovesApi(reassignments=reassignments, drains=drains,
                                                   fence=writer.fence))
        controller_pb2_grpc.add_ControllerServicer_to_server(service, self._server)
        self._health = health_aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        for name in ("", _SERVICE_NAME):
            await self._health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        await self._server.start()
        await asyncio.to_thread(self.metrics.serve, settings.host, settings.metrics_port)
        self._tasks.spawn(self.live_brokers.run(), "live-brokers")
        self._tasks.spawn(election.run(), "election")
        self._tasks.spawn(self._reconciler.run(), "leadership")
        self._tasks.spawn(elections.run(), "leader-rebalance")
        self._tasks.spawn(reassignments.run(), "reassignments")
        self._tasks.spawn(self._join_rebalancer.run(), "join-rebalance")
        self._tasks.spawn(scale_watcher.run(), "k8s-broker-scale")
        self._tasks.spawn(self._serving_once_connected(), "health")
        log.info("controller %s listening on %s:%d", settings.controller_id, settings.host,
                 self.port)

    async def stop(self) -> None:
        if self._health is not None:
            await self._health.enter_graceful_shutdown()
        await self._tasks.cancel_all()
        if self.election is not None:
            await self.election.resign()
        if self._server is not None:
            await self._server.stop(self.settings.shutdown_grace_s)
        await asyncio.to_thread(self.metrics.stop)
        await self.etcd.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()

    async def _serving_once_connected(self) -> None:
        await self.live_brokers.ready.wait()
        for name in ("", _SERVICE_NAME):
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)

    def _election_changed(self) -> None:
        active = self.election is not None and self.election.is_active
        self.metrics.active.set(1 if active else 0)
        if not active:
            self._report(PartitionSummary())
        if self._reconciler is not None:
            self._reconciler.kick()

    def _brokers_changed(self) -> None:
        self.metrics.live_brokers.set(len(self.live_brokers.brokers))
        if self._shutting_down is not None:
            self._shutting_down.forget_departed()
        if self._reconciler is not None:
            self._reconciler.kick()
        if self._join_rebalancer is not None:
            self._join_rebalancer.brokers_changed()

    def _placeable_brokers(self) -> Mapping[BrokerId, BrokerRegistration]:
        """Live brokers new topics may use: those being drained are on their way out."""
        draining = self.drains.draining() if self.drains is not None else frozenset()
        return {b: r for b, r in self.live_brokers.current().items() if b not in draining}

    def _report(self, summary: PartitionSummary) -> None:
        self.metrics.topics.set(summary.topics)
        self.metrics.partitions.set(summary.partitions)
        self.metrics.offline_partitions.set(summary.offline)
