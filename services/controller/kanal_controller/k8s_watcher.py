"""Watching the broker StatefulSet (`--k8s-broker-statefulset`) so that `kubectl scale`
down drains the departing brokers.

The kubernetes client's asyncio flavour (`kubernetes.aio`) watches the one StatefulSet by
name with the pod's service account (in-cluster config). Every event, and every re-list when
the watch times out (`resync_s`, which also covers a controller failover), goes through
`observe`: on the active controller, brokers at or above spec.replicas are decommissioned
(`Drains`, the same path as `kanal broker decommission`), brokers below it stop draining. A
refusal (the rest cannot hold some replication factor) is logged, counted in
kanal_controller_decommission_refusals and reported once per broker and reason as a Warning
Event on the StatefulSet. The departing pod's preStop hook (`kanal broker wait-drained`)
holds the pod until its broker holds nothing.

The controller needs RBAC for: statefulsets get/list/watch and events create, in its
namespace.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Awaitable, Callable, Set
from dataclasses import dataclass

import aiohttp
from kanal.errors import InvalidReplicationFactor, KanalError, NotController
from kanal.meta.etcd import EtcdError
from kubernetes.aio import client, config, watch
from kubernetes.aio.client import CoreV1Event
from kubernetes.aio.client.models import V1StatefulSet

from kanal_controller.drains import Drains
from kanal_controller.k8s_scale import desired_replicas, refusal_event, scale_decision

log = logging.getLogger(__name__)

_RETRY_S = 5.0
PostEvent = Callable[[CoreV1Event], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class K8sWatchSettings:
    statefulset: str
    """Name of the broker StatefulSet; empty disables the watcher."""
    namespace: str = "default"
    throttle_bytes_per_s: int = 0
    """Replication throttle of the drains a scale-down starts; 0: unthrottled."""
    resync_s: int = 30
    """Watch timeout: the StatefulSet is listed again (and judged again) this often."""


class BrokerScaleWatcher:
    def __init__(self, *, settings: K8sWatchSettings, drains: Drains,
                 is_active: Callable[[], bool], registered: Callable[[], Set[int]]) -> None:
        self._settings = settings
        self._drains = drains
        self._is_active = is_active
        self._registered = registered
        self._reported: set[tuple[tuple[int, ...], str]] = set()
        self.latest: V1StatefulSet | None = None

    async def run(self) -> None:
        """Watch until cancelled (a no-op when no StatefulSet is configured)."""
        if not self._settings.statefulset:
            return
        try:
            # The client's config and watch modules carry no annotations (its models do).
            config.load_incluster_config()  # type: ignore[no-untyped-call]
        except config.ConfigException as exc:
            log.error("--k8s-broker-statefulset needs the in-cluster service account; not"
                      " watching: %s", exc)
            return
        async with client.ApiClient() as api:
            apps = client.AppsV1Api(api)
            core = client.CoreV1Api(api)

            async def post(event: CoreV1Event) -> None:
                await core.create_namespaced_event(self._settings.namespace, event)

            while True:
                try:
                    await self._watch_once(apps, post)
                except (client.exceptions.ApiException, aiohttp.ClientError,
                        TimeoutError) as exc:
                    log.warning("watching statefulset %s failed (%s); retrying in %ss",
                                self._settings.statefulset, exc, _RETRY_S)
                    await asyncio.sleep(_RETRY_S)

    async def _watch_once(self, apps: client.AppsV1Api, post: PostEvent) -> None:
        async with watch.Watch().stream(  # type: ignore[no-untyped-call]
                apps.list_namespaced_stateful_set, self._settings.namespace,
                field_selector=f"metadata.name={self._settings.statefulset}",
                timeout_seconds=self._settings.resync_s) as stream:
            async for event in stream:
                if isinstance(event["object"], V1StatefulSet) and event["type"] != "DELETED":
                    await self.observe(event["object"], post)

    async def observe(self, statefulset: V1StatefulSet, post: PostEvent) -> None:
        """Judge the StatefulSet's replica count against the brokers; errors are logged."""
        self.latest = statefulset
        replicas = desired_replicas(statefulset)
        if replicas is None or not self._is_active():
            return
        try:
            current = await self._drains.assignment()
            existing = set(self._registered()) | {
                b for holders in current.holders.values() for b in holders}
            decision = scale_decision(replicas, existing, self._drains.draining())
            for broker_id in decision.keep:
                log.info("statefulset %s has %d replicas again: broker %d stays",
                         self._settings.statefulset, replicas, broker_id)
                self._drains.forget(broker_id)
            if decision.drain:
                await self._decommission(statefulset, decision.drain, post)
        except NotController:
            return
        except (KanalError, EtcdError) as exc:
            log.warning("acting on statefulset %s failed: %s", self._settings.statefulset, exc)

    async def _decommission(self, statefulset: V1StatefulSet, broker_ids: tuple[int, ...],
                            post: PostEvent) -> None:
        try:
            plan = await self._drains.decommission(
                broker_ids, throttle=self._settings.throttle_bytes_per_s, validate_only=False)
        except InvalidReplicationFactor as exc:
            if (broker_ids, exc.message) not in self._reported:
                self._reported.add((broker_ids, exc.message))
                event = refusal_event(statefulset, broker_ids, exc.message,
                                      datetime.datetime.now(datetime.UTC))
                try:
                    await post(event)
                except (client.exceptions.ApiException, aiohttp.ClientError) as failure:
                    log.warning("could not post the refusal event: %s", failure)
            return
        if plan:
            log.info("statefulset %s scaled to %s: draining brokers %s (%d partitions)",
                     self._settings.statefulset, desired_replicas(statefulset),
                     list(broker_ids), len(plan))
