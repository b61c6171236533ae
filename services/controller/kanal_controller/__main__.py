"""`python -m kanal_controller` / `kanal-controller`: flags and environment in, a running
controller out. This is the only place that reads argv and the environment."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
from collections.abc import Mapping, Sequence

from kanal.startup_heap import freeze_startup_heap
from kanal.tracing import run_traced
from kanal.types import HostPort

from kanal_controller.app import ControllerApp
from kanal_controller.settings import ControllerSettings

log = logging.getLogger("kanal_controller")


def _env(environ: Mapping[str, str], name: str, default: str) -> str:
    return environ.get(name) or default


def build_parser(environ: Mapping[str, str]) -> argparse.ArgumentParser:
    # Defaults stay strings: argparse runs `type` over string defaults too, so a bad value in
    # the environment gets the same usage error as a bad flag.
    def env(suffix: str, default: object) -> str:
        return _env(environ, f"KANAL_CONTROLLER_{suffix}", str(default))

    parser = argparse.ArgumentParser(
        prog="kanal-controller",
        description="The Kanal controller: cluster metadata in etcd, one active controller.",
    )
    parser.add_argument("--controller-id", default=env("ID", socket.gethostname()),
                        help="unique controller name (env KANAL_CONTROLLER_ID; default: hostname)")
    parser.add_argument("--host", default=env("HOST", "127.0.0.1"),
                        help="address to bind gRPC to (env KANAL_CONTROLLER_HOST)")
    parser.add_argument("--port", type=int, default=env("PORT", 9093),
                        help="gRPC port; 0 picks a free one (env KANAL_CONTROLLER_PORT)")
    parser.add_argument("--advertised-host", default=env("ADVERTISED_HOST", ""),
                        help="host others use to reach this controller; default --host"
                             " (env KANAL_CONTROLLER_ADVERTISED_HOST)")
    parser.add_argument("--metrics-port", type=int, default=env("METRICS_PORT", 9405),
                        help="Prometheus port, 0 disables (env KANAL_CONTROLLER_METRICS_PORT)")
    parser.add_argument("--etcd", action="append", default=None,
                        help="etcd endpoint host:port, repeatable or comma separated"
                             " (env KANAL_ETCD; default 127.0.0.1:2379)")
    parser.add_argument("--cluster-id", default=_env(environ, "KANAL_CLUSTER_ID", "kanal"),
                        help="keys live under /kanal/<cluster-id>/ (env KANAL_CLUSTER_ID)")
    parser.add_argument("--session-timeout-ms", type=int,
                        default=env("SESSION_TIMEOUT_MS", 6000),
                        help="lease TTL; rounded up to whole seconds, at least 2 s"
                             " (env KANAL_CONTROLLER_SESSION_TIMEOUT_MS)")
    parser.add_argument("--default-partitions", type=int,
                        default=env("DEFAULT_PARTITIONS", 1),
                        help="partitions of a topic created without a count"
                             " (env KANAL_CONTROLLER_DEFAULT_PARTITIONS)")
    parser.add_argument("--default-replication-factor", type=int,
                        default=env("DEFAULT_REPLICATION_FACTOR", 1),
                        help="replication factor of a topic created without one"
                             " (env KANAL_CONTROLLER_DEFAULT_REPLICATION_FACTOR)")
    parser.add_argument("--auto-leader-rebalance", default=env("AUTO_LEADER_REBALANCE", "true"),
                        choices=["true", "false"], type=str.lower,
                        help="move leadership back to preferred replicas when a broker is"
                             " imbalanced (env KANAL_CONTROLLER_AUTO_LEADER_REBALANCE)")
    parser.add_argument("--leader-imbalance-percentage", type=int,
                        default=env("LEADER_IMBALANCE_PERCENTAGE", 10),
                        help="a broker is imbalanced when more than this percentage of the"
                             " partitions preferring it are led elsewhere"
                             " (env KANAL_CONTROLLER_LEADER_IMBALANCE_PERCENTAGE)")
    parser.add_argument("--leader-imbalance-check-interval-ms", type=int,
                        default=env("LEADER_IMBALANCE_CHECK_INTERVAL_MS", 300000),
                        help="how often the leader balance is checked"
                             " (env KANAL_CONTROLLER_LEADER_IMBALANCE_CHECK_INTERVAL_MS)")
    parser.add_argument("--rebalance-on-broker-join", nargs="?", const="true",
                        default=env("REBALANCE_ON_BROKER_JOIN", "false"),
                        choices=["true", "false"], type=str.lower,
                        help="move partitions onto a broker that joins holding no replica"
                             " (env KANAL_CONTROLLER_REBALANCE_ON_BROKER_JOIN)")
    parser.add_argument("--rebalance-throttle-bytes-per-s", type=int,
                        default=env("REBALANCE_THROTTLE_BYTES_PER_S", 10 * 1024 * 1024),
                        help="replication throttle of the moves a broker join or a StatefulSet"
                             " scale-down starts, 0 for none"
                             " (env KANAL_CONTROLLER_REBALANCE_THROTTLE_BYTES_PER_S)")
    parser.add_argument("--otlp-endpoint", default=env("OTLP_ENDPOINT", ""),
                        help="export OpenTelemetry spans over OTLP/gRPC to this collector"
                             " (http://host:4317; env KANAL_CONTROLLER_OTLP_ENDPOINT, or"
                             " OTEL_EXPORTER_OTLP_ENDPOINT); off by default")
    parser.add_argument("--k8s-broker-statefulset", default=env("K8S_BROKER_STATEFULSET", ""),
                        help="watch this broker StatefulSet (in-cluster config) and drain the"
                             " brokers a scale-down removes"
                             " (env KANAL_CONTROLLER_K8S_BROKER_STATEFULSET)")
    parser.add_argument("--k8s-namespace", default=env("K8S_NAMESPACE", "default"),
                        help="namespace of --k8s-broker-statefulset"
                             " (env KANAL_CONTROLLER_K8S_NAMESPACE)")
    parser.add_argument("--log-level", default=env("LOG_LEVEL", "INFO"), type=str.upper,
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                        help="logging level (env KANAL_CONTROLLER_LOG_LEVEL)")
    return parser


def parse_settings(argv: Sequence[str] | None = None,
                   environ: Mapping[str, str] | None = None) -> tuple[ControllerSettings, str]:
    """Settings and log level from flags, falling back to the environment."""
    environ = os.environ if environ is None else environ
    parser = build_parser(environ)
    args = parser.parse_args(argv)
    raw_endpoints = args.etcd or [_env(environ, "KANAL_ETCD", "127.0.0.1:2379")]
    try:
        endpoints = tuple(HostPort.parse(part, default_port=2379)
                          for item in raw_endpoints for part in item.split(",") if part.strip())
    except ValueError as exc:
        parser.error(f"--etcd: {exc}")
    if not endpoints:
        parser.error("--etcd: no endpoint given")
    for flag, value in (("--session-timeout-ms", args.session_timeout_ms),
                        ("--default-partitions", args.default_partitions),
                        ("--default-replication-factor", args.default_replication_factor),
                        ("--leader-imbalance-check-interval-ms",
                         args.leader_imbalance_check_interval_ms)):
        if value < 1:
            parser.error(f"{flag} must be at least 1")
    if args.rebalance_throttle_bytes_per_s < 0:
        parser.error("--rebalance-throttle-bytes-per-s must not be negative")
    if not 0 <= args.leader_imbalance_percentage <= 100:
        parser.error("--leader-imbalance-percentage must be within 0..100")
    settings = ControllerSettings(
        controller_id=args.controller_id,
        host=args.host,
        port=args.port,
        advertised_host=args.advertised_host,
        metrics_port=args.metrics_port,
        etcd_endpoints=endpoints,
        cluster_id=args.cluster_id,
        session_timeout_ms=args.session_timeout_ms,
        default_partitions=args.default_partitions,
        default_replication_factor=args.default_replication_factor,
        auto_leader_rebalance=args.auto_leader_rebalance == "true",
        leader_imbalance_percentage=args.leader_imbalance_percentage,
        leader_imbalance_check_interval_ms=args.leader_imbalance_check_interval_ms,
        rebalance_on_broker_join=args.rebalance_on_broker_join == "true",
        rebalance_throttle_bytes_per_s=args.rebalance_throttle_bytes_per_s,
        k8s_broker_statefulset=args.k8s_broker_statefulset,
        k8s_namespace=args.k8s_namespace,
        otlp_endpoint=args.otlp_endpoint,
    )
    return settings, args.log_level


async def run(settings: ControllerSettings) -> None:
    """Run until SIGTERM or SIGINT, then shut down in order."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    app = ControllerApp(settings)
    await app.start()
    freeze_startup_heap()
    try:
        await stop.wait()
        log.info("shutting down")
    finally:
        await app.stop()


def main(argv: Sequence[str] | None = None) -> None:
    settings, log_level = parse_settings(argv)
    logging.basicConfig(level=log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_traced("kanal-controller", settings.otlp_endpoint, lambda: run(settings))


if __name__ == "__main__":
    main()
