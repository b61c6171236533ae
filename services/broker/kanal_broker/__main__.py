"""`python -m kanal_broker` / `kanal-broker`: parse flags (with KANAL_BROKER_* environment
fallbacks) into `BrokerSettings` and run the broker until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import logging
import os
import re
import socket
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from kanal.tracing import run_traced
from kanal.types import HostPort

from kanal_broker.app import run_broker
from kanal_broker.log.cleaner import KEY_MAP_BYTES_PER_KEY
from kanal_broker.settings import DEFAULT_MESSAGE_MAX_BYTES, BrokerSettings

_ORDINAL = re.compile(r"-(\d+)$")


def broker_id_from_hostname(hostname: str) -> int:
    """A StatefulSet pod is named `<set>-<ordinal>`: the ordinal is the broker id."""
    match = _ORDINAL.search(hostname.split(".", 1)[0])
    if match is None:
        raise ValueError(f"hostname {hostname!r} does not end in -<number>")
    return int(match.group(1))


def build_parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    def default(name: str, fallback: str | None = None) -> str | None:
        return env.get(f"KANAL_BROKER_{name}", fallback)

    p = argparse.ArgumentParser(
        prog="kanal-broker",
        description="Run a Kanal broker. Every flag falls back to KANAL_BROKER_<FLAG> "
        "(upper case, '-' as '_').",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--broker-id", type=int, default=default("BROKER_ID"),
                   help="this broker's id (required unless --broker-id-from-hostname)")
    p.add_argument("--broker-id-from-hostname", action="store_true",
                   default=default("BROKER_ID_FROM_HOSTNAME", "") in ("1", "true"),
                   help="take the id from the trailing -N of the hostname (StatefulSet ordinal)")
    p.add_argument("--host", default=default("HOST", "127.0.0.1"),
                   help="address the gRPC server listens on")
    p.add_argument("--advertised-host", default=default("ADVERTISED_HOST", ""),
                   help="host clients use to reach this broker (default: --host)")
    p.add_argument("--port", type=int, default=default("PORT", "9091"), help="gRPC port")
    p.add_argument("--metrics-port", type=int, default=default("METRICS_PORT", "9404"),
                   help="Prometheus metrics port; 0 disables it")
    p.add_argument("--data-dir", default=default("DATA_DIR", "./kanal-data/broker"),
                   help="directory holding the partition logs")
    p.add_argument("--rack", default=default("RACK", ""), help="rack (zone) of this broker")
    p.add_argument("--etcd", default=env.get("KANAL_ETCD", default("ETCD", "127.0.0.1:2379")),
                   help="comma-separated etcd host:port list (env KANAL_ETCD)")
    p.add_argument("--cluster-id",
                   default=env.get("KANAL_CLUSTER_ID", default("CLUSTER_ID", "kanal")),
                   help="cluster name: keys live under /kanal/<cluster-id>/ in etcd "
                   "(env KANAL_CLUSTER_ID, as the controller)")
    p.add_argument("--session-timeout-ms", type=int, default=default("SESSION_TIMEOUT_MS", "6000"),
                   help="registration lease TTL (rounded up to whole seconds)")
    p.add_argument("--message-max-bytes", type=int,
                   default=default("MESSAGE_MAX_BYTES", str(DEFAULT_MESSAGE_MAX_BYTES)),
                   help="largest partition data accepted in one produce request")
    p.add_argument("--log-retention-check-interval-ms", type=int,
                   default=default("LOG_RETENTION_CHECK_INTERVAL_MS", "300000"),
                   help="how often retention, rolling and compaction run")
    p.add_argument("--log-flush-interval-ms", type=int,
                   default=default("LOG_FLUSH_INTERVAL_MS", "60000"),
                   help="how often every log is flushed to disk")
    p.add_argument("--log-cleaner-dedupe-buffer-size", type=int,
                   default=default("LOG_CLEANER_DEDUPE_BUFFER_SIZE", str(128 * 1024 * 1024)),
                   help="memory one compaction pass may spend on its key map, in bytes "
                   f"(about {KEY_MAP_BYTES_PER_KEY} per key; more keys take more passes)")
    p.add_argument("--replica-lag-time-max-ms", type=int,
                   default=default("REPLICA_LAG_TIME_MAX_MS", "30000"),
                   help="a follower not caught up for this long leaves the ISR "
                   "(replica.lag.time.max.ms)")
    p.add_argument("--replica-fetch-max-bytes", type=int,
                   default=default("REPLICA_FETCH_MAX_BYTES", str(1024 * 1024)),
                   help="per-partition bound of a follower fetch (replica.fetch.max.bytes)")
    p.add_argument("--replica-fetch-response-max-bytes", type=int,
                   default=default("REPLICA_FETCH_RESPONSE_MAX_BYTES", str(10 * 1024 * 1024)),
                   help="bound on a whole follower fetch answer "
                   "(replica.fetch.response.max.bytes)")
    p.add_argument("--replica-fetch-wait-max-ms", type=int,
                   default=default("REPLICA_FETCH_WAIT_MAX_MS", "500"),
                   help="how long a follower fetch waits for new data on the leader "
                   "(replica.fetch.wait.max.ms)")
    p.add_argument("--replica-fetch-backoff-ms", type=int,
                   default=default("REPLICA_FETCH_BACKOFF_MS", "1000"),
                   help="pause after a failed follower fetch (replica.fetch.backoff.ms)")
    p.add_argument("--controlled-shutdown-timeout-ms", type=int,
                   default=default("CONTROLLED_SHUTDOWN_TIMEOUT_MS", "30000"),
                   help="on SIGTERM, how long to wait for the controller to move this broker's "
                   "leaderships to other in-sync replicas before stopping anyway; 0 skips it")
    p.add_argument("--otlp-endpoint", default=default("OTLP_ENDPOINT", ""),
                   help="export OpenTelemetry spans over OTLP/gRPC to this collector "
                   "(http://host:4317); OTEL_EXPORTER_OTLP_ENDPOINT works too; off by default")
    p.add_argument("--group-consumer-heartbeat-interval-ms", type=int,
                   default=default("GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS", "5000"),
                   help="heartbeat interval told to consumer-group (KIP-848) members")
    p.add_argument("--group-consumer-session-timeout-ms", type=int,
                   default=default("GROUP_CONSUMER_SESSION_TIMEOUT_MS", "45000"),
                   help="a consumer-group member silent this long is fenced")
    p.add_argument("--group-min-session-timeout-ms", type=int,
                   default=default("GROUP_MIN_SESSION_TIMEOUT_MS", "6000"),
                   help="least session timeout a classic-group member may ask for")
    p.add_argument("--group-max-session-timeout-ms", type=int,
                   default=default("GROUP_MAX_SESSION_TIMEOUT_MS", "1800000"),
                   help="largest session timeout a classic-group member may ask for")
    p.add_argument("--group-initial-rebalance-delay-ms", type=int,
                   default=default("GROUP_INITIAL_REBALANCE_DELAY_MS", "3000"),
                   help="how long an empty classic group's first rebalance waits for more members")
    p.add_argument("--offsets-retention-minutes", type=int,
                   default=default("OFFSETS_RETENTION_MINUTES", str(7 * 24 * 60)),
                   help="how long an empty group's committed offsets are kept")
    p.add_argument("--log-level", default=default("LOG_LEVEL", "INFO"), type=str.upper,
                   choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="logging level")
    return p


def parse_settings(argv: Sequence[str], env: Mapping[str, str]) -> tuple[BrokerSettings, str]:
    """The settings and the log level; exits with a usage message on bad input."""
    parser = build_parser(env)
    args = parser.parse_args(argv)
    broker_id: int | None = args.broker_id
    if args.broker_id_from_hostname:
        try:
            broker_id = broker_id_from_hostname(env.get("HOSTNAME") or socket.gethostname())
        except ValueError as exc:
            parser.error(str(exc))
    if broker_id is None:
        parser.error("--broker-id is required (or KANAL_BROKER_BROKER_ID, or "
                     "--broker-id-from-hostname)")
    if broker_id < 0:
        parser.error("--broker-id must be >= 0")
    if args.message_max_bytes <= 0 or args.session_timeout_ms <= 0:
        parser.error("--message-max-bytes and --session-timeout-ms must be positive")
    if args.log_retention_check_interval_ms <= 0 or args.log_flush_interval_ms <= 0:
        parser.error("intervals must be positive")
    if args.log_cleaner_dedupe_buffer_size < KEY_MAP_BYTES_PER_KEY:
        parser.error(f"--log-cleaner-dedupe-buffer-size must be >= {KEY_MAP_BYTES_PER_KEY}")
    if min(args.replica_lag_time_max_ms, args.replica_fetch_max_bytes,
           args.replica_fetch_response_max_bytes,
           args.replica_fetch_wait_max_ms, args.replica_fetch_backoff_ms) <= 0:
        parser.error("--replica-* values must be positive")
    if args.controlled_shutdown_timeout_ms < 0:
        parser.error("--controlled-shutdown-timeout-ms must be >= 0")
    if args.replica_fetch_wait_max_ms >= args.replica_lag_time_max_ms:
        parser.error("--replica-fetch-wait-max-ms must be below --replica-lag-time-max-ms")
    if not 0 < args.group_consumer_heartbeat_interval_ms < args.group_consumer_session_timeout_ms:
        parser.error("--group-consumer-heartbeat-interval-ms must be positive and below "
                     "--group-consumer-session-timeout-ms")
    if not 0 < args.group_min_session_timeout_ms <= args.group_max_session_timeout_ms:
        parser.error("--group-min-session-timeout-ms must be positive and at most "
                     "--group-max-session-timeout-ms")
    if args.group_initial_rebalance_delay_ms < 0 or args.offsets_retention_minutes <= 0:
        parser.error("--group-initial-rebalance-delay-ms must be >= 0 and "
                     "--offsets-retention-minutes positive")
    try:
        endpoints = tuple(HostPort.parse(e, 2379) for e in args.etcd.split(",") if e.strip())
    except ValueError as exc:
        parser.error(f"--etcd: {exc}")
    if not endpoints:
        parser.error("--etcd needs at least one host:port")
    settings = BrokerSettings(
        broker_id=broker_id,
        data_dir=Path(args.data_dir),
        host=args.host,
        advertised_host=args.advertised_host,
        port=args.port,
        metrics_port=args.metrics_port,
        rack=args.rack,
        etcd_endpoints=endpoints,
        cluster_id=args.cluster_id,
        session_timeout_ms=args.session_timeout_ms,
        message_max_bytes=args.message_max_bytes,
        log_retention_check_interval_ms=args.log_retention_check_interval_ms,
        log_flush_interval_ms=args.log_flush_interval_ms,
        log_cleaner_dedupe_buffer_size=args.log_cleaner_dedupe_buffer_size,
        replica_lag_time_max_ms=args.replica_lag_time_max_ms,
        replica_fetch_max_bytes=args.replica_fetch_max_bytes,
        replica_fetch_response_max_bytes=args.replica_fetch_response_max_bytes,
        replica_fetch_wait_max_ms=args.replica_fetch_wait_max_ms,
        replica_fetch_backoff_ms=args.replica_fetch_backoff_ms,
        controlled_shutdown_timeout_ms=args.controlled_shutdown_timeout_ms,
        group_consumer_heartbeat_interval_ms=args.group_consumer_heartbeat_interval_ms,
        group_consumer_session_timeout_ms=args.group_consumer_session_timeout_ms,
        group_min_session_timeout_ms=args.group_min_session_timeout_ms,
        group_max_session_timeout_ms=args.group_max_session_timeout_ms,
        group_initial_rebalance_delay_ms=args.group_initial_rebalance_delay_ms,
        offsets_retention_minutes=args.offsets_retention_minutes,
        otlp_endpoint=args.otlp_endpoint,
    )
    return settings, str(args.log_level)


def main(argv: Sequence[str] | None = None) -> None:
    settings, level = parse_settings(sys.argv[1:] if argv is None else argv, os.environ)
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    run_traced("kanal-broker", settings.otlp_endpoint, lambda: run_broker(settings))


if __name__ == "__main__":
    main()
