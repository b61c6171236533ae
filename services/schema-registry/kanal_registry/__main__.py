"""`python -m kanal_registry` / `kanal-schema-registry`: parse flags (with KANAL_REGISTRY_*
environment fallbacks) into `RegistrySettings` and run the registry until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping, Sequence

from kanal.tracing import run_traced
from kanal.types import HostPort

from kanal_registry.app import run_registry
from kanal_registry.settings import RegistrySettings


def build_parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    def default(name: str, fallback: str) -> str:
        return env.get(f"KANAL_REGISTRY_{name}", fallback)

    p = argparse.ArgumentParser(
        prog="kanal-schema-registry",
        description="Run a Kanal schema registry instance (Confluent's REST API and gRPC). "
        "Every flag falls back to KANAL_REGISTRY_<FLAG> (upper case, '-' as '_').",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--host", default=default("HOST", "127.0.0.1"),
                   help="address the REST and gRPC servers listen on")
    p.add_argument("--port", type=int, default=default("PORT", "8081"), help="REST port")
    p.add_argument("--grpc-port", type=int, default=default("GRPC_PORT", "8082"),
                   help="gRPC port (kanal.v1.SchemaRegistry)")
    p.add_argument("--advertised-host", default=default("ADVERTISED_HOST", ""),
                   help="host the other instances forward writes to; empty: --host")
    p.add_argument("--metrics-port", type=int, default=default("METRICS_PORT", "9407"),
                   help="Prometheus metrics port; 0 disables it")
    p.add_argument("--bootstrap", default=default("BOOTSTRAP", "127.0.0.1:9091"),
                   help="comma-separated brokers holding the _schemas topic")
    p.add_argument("--etcd", default=env.get("KANAL_ETCD", default("ETCD", "127.0.0.1:2379")),
                   help="comma-separated etcd host:port list (env KANAL_ETCD)")
    p.add_argument("--cluster-id",
                   default=env.get("KANAL_CLUSTER_ID", default("CLUSTER_ID", "kanal")),
                   help="cluster name: keys live under /kanal/<cluster-id>/ in etcd "
                   "(env KANAL_CLUSTER_ID)")
    p.add_argument("--instance-id", default=default("INSTANCE_ID", ""),
                   help="this instance's name; empty: the advertised host:port")
    p.add_argument("--lease-ttl-s", type=int, default=default("LEASE_TTL_S", "5"),
                   help="TTL of the primary's etcd lease: how long writes pause when the "
                   "primary dies")
    p.add_argument("--otlp-endpoint", default=default("OTLP_ENDPOINT", ""),
                   help="export OpenTelemetry spans over OTLP/gRPC to this collector "
                   "(http://host:4317); OTEL_EXPORTER_OTLP_ENDPOINT works too; off by default")
    p.add_argument("--log-level", default=default("LOG_LEVEL", "INFO"), type=str.upper,
                   choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="logging level")
    return p


def parse_settings(argv: Sequence[str], env: Mapping[str, str]) -> tuple[RegistrySettings, str]:
    """The settings and the log level; exits with a usage message on bad input."""
    parser = build_parser(env)
    args = parser.parse_args(argv)
    try:
        endpoints = tuple(HostPort.parse(e, 2379) for e in args.etcd.split(",") if e.strip())
    except ValueError as exc:
        parser.error(f"--etcd: {exc}")
    if not endpoints:
        parser.error("--etcd needs at least one host:port")
    if not args.bootstrap.strip():
        parser.error("--bootstrap needs at least one broker")
    for flag in ("port", "grpc_port"):
        if not 0 < getattr(args, flag) < 65536:
            parser.error(f"--{flag.replace('_', '-')} must be a port number")
    if not 0 <= args.metrics_port < 65536:
        parser.error("--metrics-port must be a port number or 0")
    if args.lease_ttl_s < 2:
        parser.error("--lease-ttl-s must be at least 2")
    advertised = args.advertised_host or args.host
    settings = RegistrySettings(
        instance_id=args.instance_id or f"{advertised}:{args.port}",
        etcd_endpoints=endpoints,
        host=args.host,
        port=args.port,
        grpc_port=args.grpc_port,
        advertised_host=args.advertised_host,
        metrics_port=args.metrics_port,
        bootstrap=args.bootstrap,
        cluster_id=args.cluster_id,
        lease_ttl_s=args.lease_ttl_s,
        otlp_endpoint=args.otlp_endpoint,
    )
    return settings, str(args.log_level)


def main(argv: Sequence[str] | None = None) -> None:
    settings, level = parse_settings(sys.argv[1:] if argv is None else argv, os.environ)
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    run_traced("kanal-registry", settings.otlp_endpoint, lambda: run_registry(settings))


if __name__ == "__main__":
    main()
