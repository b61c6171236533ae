"""What `kanal dev up` and `kanal dev status` print: endpoint tables and the next commands."""

from __future__ import annotations

from kanal.cli.context import BOOTSTRAP_ENV
from kanal.cli.rest import (
    CONNECT_URL_ENV,
    DEFAULT_CONNECT_URL,
    DEFAULT_REGISTRY_URL,
    REGISTRY_URL_ENV,
)
from kanal.cli.table import render_table
from kanal.devcluster.endpoints import HTTP_KINDS, ClusterEndpoints, ServiceEndpoint
from kanal.devcluster.health import (
    HEALTH_NOT_IMPLEMENTED,
    HEALTH_NOT_SERVING,
    HEALTH_SERVING,
    HEALTH_UNREACHABLE,
    health_status,
    http_ready,
)
from kanal.devcluster.ports import wait_for_port
from kanal.devcluster.process import pid_alive


def describe_endpoints(endpoints: ClusterEndpoints) -> str:
    with_racks = any(s.rack for s in endpoints.services)
    headers = ["SERVICE", "ADDRESS", "METRICS", "PID", *(["RACK"] if with_racks else [])]
    rows = [
        [s.name, _shown_address(s), s.metrics_url, s.pid, *([s.rack] if with_racks else [])]
        for s in endpoints.services
    ]
    urls = "".join(
        f"{label}: {url}\n"
        for label, url in (
            ("schema registry", endpoints.registry_url),
            ("connect", endpoints.connect_url),
        )
        if url is not None
    )
    return (
        f"Kanal dev cluster {endpoints.cluster_id!r} is up "
        f"(data and logs in {endpoints.data_dir})\n\n"
        f"{render_table(headers, rows)}\n\nbootstrap: {endpoints.bootstrap}\n{urls}"
    )


def _shown_address(service: ServiceEndpoint) -> str:
    """REST URL and gRPC port for the HTTP services, host:port for the others."""
    if service.kind in HTTP_KINDS:
        return f"{service.url} (gRPC {service.grpc_port})"
    return service.address


def next_steps(endpoints: ClusterEndpoints, brokers: int, *, foreground: bool) -> str:
    default = endpoints.brokers[0].address in ("127.0.0.1:9091", "localhost:9091")
    export = "" if default else f"  export {BOOTSTRAP_ENV}={endpoints.bootstrap}\n"
    stop = (
        "Press Ctrl-C to stop it."
        if foreground
        else f"Stop it with: kanal dev down --data-dir {endpoints.data_dir}"
    )
    return (
        f"Try:\n{export}"
        f"  kanal topic create demo --partitions 3 --replication-factor {min(3, brokers)}\n"
        "  printf 'k1:hello\\nk2:world\\n' | kanal produce demo --key-separator :\n"
        "  kanal consume demo --from-beginning --max-messages 2 --print-key\n"
        "  kanal perf produce --topic demo --num-records 100000 --record-size 100\n"
        f"  kanal cluster describe\n{_http_steps(endpoints)}\n{stop}"
    )


def _http_steps(endpoints: ClusterEndpoints) -> str:
    """A first command for each HTTP service, after the export it needs off its default URL."""
    steps = ""
    for url, default, env, command in (
        (endpoints.registry_url, DEFAULT_REGISTRY_URL, REGISTRY_URL_ENV, "kanal schema list"),
        (endpoints.connect_url, DEFAULT_CONNECT_URL, CONNECT_URL_ENV, "kanal connect plugins"),
    ):
        if url is not None:
            steps += ("" if url == default else f"  export {env}={url}\n") + f"  {command}\n"
    return steps


def _process_state(pid: int | None) -> str:
    return "running" if pid is not None and pid_alive(pid) else "exited"


def _health_text(kind: str, address: str) -> str:
    if kind in HTTP_KINDS:
        return "ready" if http_ready(f"http://{address}") else "not ready"
    if kind == "etcd":
        host, _, port = address.rpartition(":")
        return "listening" if wait_for_port(host, int(port), 0.5) else "unreachable"
    status = health_status(address)
    return {
        HEALTH_SERVING: "SERVING",
        HEALTH_NOT_SERVING: "NOT_SERVING",
        HEALTH_NOT_IMPLEMENTED: "answering",
        HEALTH_UNREACHABLE: "unreachable",
    }.get(status, "UNKNOWN")


def status_table(endpoints: ClusterEndpoints) -> str:
    """Each process of a running cluster, whether it lives and what its health check says."""
    rows = [
        [s.name, s.address, s.pid, _process_state(s.pid), _health_text(s.kind, s.address)]
        for s in endpoints.services
    ]
    return render_table(["SERVICE", "ADDRESS", "PID", "PROCESS", "HEALTH"], rows)
