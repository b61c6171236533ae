"""`python -m kanal_connect` / `kanal-connect`: parse flags (with KANAL_CONNECT_* environment
fallbacks) into `WorkerSettings` and run the worker until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping, Sequence

from kanal.tracing import run_traced

from kanal_connect.runtime.converters import WorkerConverters
from kanal_connect.worker.settings import WorkerSettings

JSON = "org.apache.kafka.connect.json.JsonConverter"


def build_parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    def default(name: str, fallback: str) -> str:
        return env.get(f"KANAL_CONNECT_{name}", fallback)

    p = argparse.ArgumentParser(
        prog="kanal-connect",
        description="Run a Kanal connect worker (Kafka Connect's REST API). Every flag falls "
        "back to KANAL_CONNECT_<FLAG> (upper case, '-' as '_').",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--host", default=default("HOST", "127.0.0.1"),
                   help="address REST and gRPC listen on")
    p.add_argument("--port", type=int, default=default("PORT", "8083"), help="REST port")
    p.add_argument("--grpc-port", type=int, default=default("GRPC_PORT", "8084"),
                   help="gRPC port; 0 disables it")
    p.add_argument("--advertised-host", default=default("ADVERTISED_HOST", ""),
                   help="host other workers and clients use to reach this one "
                   "(default: --host)")
    p.add_argument("--metrics-port", type=int, default=default("METRICS_PORT", "9408"),
                   help="Prometheus metrics port; 0 disables it")
    p.add_argument("--bootstrap", default=default("BOOTSTRAP", "127.0.0.1:9091"),
                   help="brokers to bootstrap from (host:port, comma-separated)")
    p.add_argument("--group-id", default=default("GROUP_ID", "connect-cluster"),
                   help="workers with the same group id form one cluster (group.id)")
    p.add_argument("--config-storage-topic",
                   default=default("CONFIG_STORAGE_TOPIC", "connect-configs"),
                   help="compacted topic of connector configs (config.storage.topic)")
    p.add_argument("--offset-storage-topic",
                   default=default("OFFSET_STORAGE_TOPIC", "connect-offsets"),
                   help="compacted topic of source offsets (offset.storage.topic)")
    p.add_argument("--status-storage-topic",
                   default=default("STATUS_STORAGE_TOPIC", "connect-status"),
                   help="compacted topic of connector and task states (status.storage.topic)")
    p.add_argument("--schema-registry-url",
                   default=default("SCHEMA_REGISTRY_URL", "http://127.0.0.1:8081"),
                   help="schema registry for the registry-backed converters")
    p.add_argument("--worker-id", default=default("WORKER_ID", ""),
                   help="this worker's id in statuses (default: advertised host:port)")
    p.add_argument("--scheduled-rebalance-max-delay-ms", type=int,
                   default=default("SCHEDULED_REBALANCE_MAX_DELAY_MS", "300000"),
                   help="how long a departed worker's connectors and tasks wait before moving")
    p.add_argument("--offset-flush-interval-ms", type=int,
                   default=default("OFFSET_FLUSH_INTERVAL_MS", "5000"),
                   help="how often source offsets are stored and sink offsets committed")
    p.add_argument("--key-converter", default=default("KEY_CONVERTER", JSON),
                   help="the worker's key.converter (connectors may override it)")
    p.add_argument("--value-converter", default=default("VALUE_CONVERTER", JSON),
                   help="the worker's value.converter (connectors may override it)")
    p.add_argument("--schemas-enable", default=default("SCHEMAS_ENABLE", "true"),
                   choices=["true", "false"],
                   help="schemas.enable of the worker's JSON converters")
    p.add_argument("--plugin-module", action="append",
                   default=[m for m in default("PLUGIN_MODULE", "").split(",") if m],
                   help="also load connector classes from this module (repeatable; besides "
                   "the kanal.connect.connectors entry points)")
    p.add_argument("--standalone", action="store_true",
                   default=default("STANDALONE", "") in ("1", "true"),
                   help="do not join a group: this worker runs every connector")
    p.add_argument("--otlp-endpoint", default=default("OTLP_ENDPOINT", ""),
                   help="export OpenTelemetry spans over OTLP/gRPC to this collector "
                   "(http://host:4317); OTEL_EXPORTER_OTLP_ENDPOINT works too; off by default")
    p.add_argument("--log-level", default=default("LOG_LEVEL", "INFO"), type=str.upper,
                   choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="logging level")
    return p


def parse_settings(argv: Sequence[str], env: Mapping[str, str]) -> tuple[WorkerSettings, str]:
    parser = build_parser(env)
    args = parser.parse_args(argv)
    for flag in ("port", "offset_flush_interval_ms"):
        if getattr(args, flag) <= 0:
            parser.error(f"--{flag.replace('_', '-')} must be positive")
    if min(args.grpc_port, args.metrics_port, args.scheduled_rebalance_max_delay_ms) < 0:
        parser.error("ports and delays must not be negative")
    schemas = {"schemas.enable": args.schemas_enable}
    settings = WorkerSettings(
        bootstrap=args.bootstrap, host=args.host, port=args.port, grpc_port=args.grpc_port,
        advertised_host=args.advertised_host, metrics_port=args.metrics_port,
        group_id=args.group_id, config_topic=args.config_storage_topic,
        offset_topic=args.offset_storage_topic, status_topic=args.status_storage_topic,
        schema_registry_url=args.schema_registry_url, worker_id=args.worker_id,
        scheduled_rebalance_max_delay_ms=args.scheduled_rebalance_max_delay_ms,
        offset_flush_interval_ms=args.offset_flush_interval_ms,
        converters=WorkerConverters(args.key_converter, args.value_converter, schemas, schemas),
        plugin_modules=tuple(args.plugin_module), distributed=not args.standalone,
        otlp_endpoint=args.otlp_endpoint,
    )
    return settings, args.log_level


def main(argv: Sequence[str] | None = None) -> None:
    settings, level = parse_settings(sys.argv[1:] if argv is None else argv, os.environ)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from kanal_connect.worker.app import run_worker

    run_traced("kanal-connect", settings.otlp_endpoint, lambda: run_worker(settings))


if __name__ == "__main__":
    main()
