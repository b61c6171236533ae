"""A whole Kanal cluster on one machine: etcd, controllers, brokers and, when asked for,
schema registries and connect workers, as child processes.

Layout under `data_dir`: `etcd/` (etcd's data), `broker-<id>/` (each broker's logs of
partitions), `logs/<name>.log` (each process's output). Start order is etcd, controllers,
brokers, registries (they store schemas in a topic), connect workers (they use the registry);
`stop()` goes in reverse, one tier at a time. Registries and workers keep their state in
topics, so they need no directory of their own.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType

from kanal.devcluster import plan as planning
from kanal.devcluster.endpoints import HTTP_KINDS, ClusterEndpoints, ServiceEndpoint
from kanal.devcluster.etcd import EtcdProcess, etcd_binary
from kanal.devcluster.health import (
    HEALTH_SERVING,
    describe_cluster,
    health_status,
    http_ready,
)
from kanal.devcluster.process import DEFAULT_GRACE_S, ServiceProcess, stop_together
from kanal.errors import ConfigurationError, KanalTimeoutError

_POLL_S = 0.1


class DevCluster:
    """Start with `start()` (or `with DevCluster(...) as cluster:`), stop with `stop()`."""

    def __init__(
        self,
        data_dir: Path | str,
        *,
        brokers: int = 3,
        controllers: int = 1,
        base_broker_port: int = planning.DEFAULT_BROKER_PORT,
        controller_port: int = planning.DEFAULT_CONTROLLER_PORT,
        etcd_port: int = planning.DEFAULT_ETCD_PORT,
        cluster_id: str = "kanal",
        racks: Sequence[str] | None = None,
        session_timeout_ms: int | None = None,
        registries: int = 0,
        connect_workers: int = 0,
        registry_port: int = planning.DEFAULT_REGISTRY_PORT,
        connect_port: int = planning.DEFAULT_CONNECT_PORT,
        start_timeout_s: float = 60.0,
        grace_s: float = DEFAULT_GRACE_S,
    ) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.shape = planning.ClusterShape(
            brokers=brokers,
            controllers=controllers,
            base_broker_port=base_broker_port,
            controller_port=controller_port,
            etcd_port=etcd_port,
            cluster_id=cluster_id,
            racks=tuple(racks or ()),
            session_timeout_ms=session_timeout_ms,
            registries=registries,
            connect_workers=connect_workers,
            registry_port=registry_port,
            connect_port=connect_port,
        )
        self.start_timeout_s = start_timeout_s
        self.grace_s = grace_s
        self._plan: planning.ClusterPlan | None = None
        self._etcd: EtcdProcess | None = None
        self._controllers: list[ServiceProcess] = []
        self._brokers: list[ServiceProcess] = []
        self._registries: list[ServiceProcess] = []
        self._connect_workers: list[ServiceProcess] = []

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start every process and wait until the cluster serves; on failure stop them all."""
        etcd_binary()  # fail before planning anything when etcd is missing
        plan = self._plan = planning.plan_cluster(self.shape)
        logs = self.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._etcd = EtcdProcess(
            data_dir=self.data_dir / "etcd",
            host=plan.etcd.host,
            client_port=plan.etcd.port,
            peer_port=plan.etcd_peer_port,
            log_path=logs / "etcd.log",
        )
        self._controllers = [
            ServiceProcess(c.name, planning.controller_argv(self.shape, plan, c),
                           logs / f"{c.name}.log", env)
            for c in plan.controllers
        ]  # fmt: skip
        self._brokers = [
            ServiceProcess(b.name, planning.broker_argv(self.shape, plan, b, self.data_dir),
                           logs / f"{b.name}.log", env)
            for b in plan.brokers
        ]  # fmt: skip
        self._registries = [
            ServiceProcess(r.name, planning.registry_argv(self.shape, plan, r),
                           logs / f"{r.name}.log", env)
            for r in plan.registries
        ]  # fmt: skip
        self._connect_workers = [
            ServiceProcess(w.name, planning.connect_argv(self.shape, plan, w),
                           logs / f"{w.name}.log", env)
            for w in plan.connect_workers
        ]  # fmt: skip
        try:
            self._etcd.start(timeout_s=min(self.start_timeout_s, 30.0))
            for service in [*self._controllers, *self._brokers]:
                service.start()
            deadline = time.monotonic() + self.start_timeout_s
            for service in [*self._controllers, *self._brokers]:
                self._wait_healthy(service, deadline)
            self._wait_cluster_formed(deadline)
            for tier in (self._registries, self._connect_workers):
                for service in tier:
                    service.start()
                for service in tier:
                    self._wait_healthy(service, deadline)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """SIGTERM connect workers, registries, brokers, controllers, then etcd; SIGKILL what
        outlives the grace."""
        stop_together(reversed(self._connect_workers), self.grace_s)
        stop_together(reversed(self._registries), self.grace_s)
        stop_together(reversed(self._brokers), self.grace_s)
        stop_together(reversed(self._controllers), self.grace_s)
        if self._etcd is not None:
            self._etcd.stop(self.grace_s)

    def __enter__(self) -> DevCluster:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- faults ------------------------------------------------------------------------------

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to one service (`etcd`, `controller-1`, `broker-2`, ...) without waiting."""
        if name == "etcd":
            self._require_etcd().kill(sig)
        else:
            self._service(name).send(sig)

    def restart(self, name: str) -> None:
        """Stop the service if it runs, start it on the same ports and wait until it serves."""
        if name == "etcd":
            etcd = self._require_etcd()
            etcd.stop(self.grace_s)
            etcd.start()
            return
        service = self._service(name)
        stop_together([service], self.grace_s)
        service.start()
        self._wait_healthy(service, time.monotonic() + self.start_timeout_s)

    def is_running(self, name: str) -> bool:
        if name == "etcd":
            return self._etcd is not None and self._etcd.running
        return self._service(name).running

    # ---- where things are --------------------------------------------------------------------

    @property
    def endpoints(self) -> ClusterEndpoints:
        plan = self._require_plan()
        pids = {service.name: service.pid for service in self._services()}
        etcd_pid = self._etcd.pid if self._etcd is not None else None
        services = [replace(plan.etcd, pid=etcd_pid)]
        services += [replace(s, pid=pids.get(s.name)) for s in _planned(plan)]
        return ClusterEndpoints(
            cluster_id=self.shape.cluster_id,
            data_dir=str(self.data_dir),
            services=tuple(services),
            supervisor_pid=os.getpid(),
        )

    @property
    def bootstrap(self) -> str:
        return self.endpoints.bootstrap

    @property
    def registry_url(self) -> str:
        """REST URL of the first schema registry (the cluster must have one)."""
        url = self.endpoints.registry_url
        if url is None:
            raise ConfigurationError("this dev cluster has no schema registry (registries=0)")
        return url

    @property
    def connect_url(self) -> str:
        """REST URL of the first connect worker (the cluster must have one)."""
        url = self.endpoints.connect_url
        if url is None:
            raise ConfigurationError("this dev cluster has no connect worker (connect_workers=0)")
        return url

    def to_json(self) -> str:
        return self.endpoints.to_json()

    def log_path(self, name: str) -> Path:
        return self.data_dir / "logs" / f"{name}.log"

    # ---- internals ---------------------------------------------------------------------------

    def _services(self) -> list[ServiceProcess]:
        return [*self._controllers, *self._brokers, *self._registries, *self._connect_workers]

    def _service(self, name: str) -> ServiceProcess:
        for service in self._services():
            if service.name == name:
                return service
        raise ConfigurationError(f"no service named {name!r} in this dev cluster")

    def _require_etcd(self) -> EtcdProcess:
        if self._etcd is None:
            raise ConfigurationError("the dev cluster is not started")
        return self._etcd

    def _require_plan(self) -> planning.ClusterPlan:
        if self._plan is None:
            raise ConfigurationError("the dev cluster is not started")
        return self._plan

    def _endpoint(self, name: str) -> ServiceEndpoint:
        for endpoint in _planned(self._require_plan()):
            if endpoint.name == name:
                return endpoint
        raise ConfigurationError(f"no service named {name!r} in this dev cluster")

    def _wait_healthy(self, service: ServiceProcess, deadline: float) -> None:
        """Until the service's gRPC health check says SERVING (brokers: registered in etcd;
        controllers, active or standby: connected to etcd), or for the HTTP services until
        `GET /` answers 200."""
        endpoint = self._endpoint(service.name)
        address = endpoint.address

        def ready() -> bool:
            if endpoint.kind in HTTP_KINDS:
                return http_ready(endpoint.url)
            return health_status(address) == HEALTH_SERVING

        while True:
            if not service.running:
                raise ConfigurationError(
                    f"{service.name} exited with code {service.exit_code} while starting; "
                    f"last lines of {service.log_path}:\n{service.log_tail()}"
                )
            if ready():
                return
            if time.monotonic() > deadline:
                raise KanalTimeoutError(
                    f"{service.name} on {address} is not healthy after "
                    f"{self.start_timeout_s:.0f}s; last lines of {service.log_path}:\n"
                    f"{service.log_tail()}"
                )
            time.sleep(_POLL_S)

    def _wait_cluster_formed(self, deadline: float) -> None:
        """Until some controller reports an active controller and every broker registered."""
        addresses = [c.address for c in self._require_plan().controllers]
        seen = "no answer to DescribeCluster"
        while time.monotonic() <= deadline:
            for address in addresses:
                reply = describe_cluster(address)
                if reply is None:
                    continue
                active = reply.active_controller.controller_id
                if active and len(reply.brokers) >= self.shape.brokers:
                    return
                seen = f"active controller {active or 'none'}, {len(reply.brokers)} brokers"
            time.sleep(_POLL_S)
        logs = "\n".join(
            f"--- {s.log_path}\n{s.log_tail(10)}" for s in [*self._controllers, *self._brokers]
        )
        raise KanalTimeoutError(
            f"the cluster did not form within {self.start_timeout_s:.0f}s ({seen}); "
            f"expected an active controller and {self.shape.brokers} brokers\n{logs}"
        )


def _planned(plan: planning.ClusterPlan) -> tuple[ServiceEndpoint, ...]:
    """Every planned service but etcd, in start order."""
    return (*plan.controllers, *plan.brokers, *plan.registries, *plan.connect_workers)
