"""`python -m kanal.healthcheck HOST:PORT`: exit 0 when the gRPC health service at HOST:PORT
says SERVING, 1 otherwise. Container HEALTHCHECKs and compose healthchecks run it, so it
needs nothing beyond the `kanal` library (no grpc_health_probe binary in the images).

The check asks for the whole server (service name ""), which both the broker and the
controller report: NOT_SERVING until they reach etcd (and, for a broker, until it holds its
registration), and again from SIGTERM on.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kanal.devcluster.health import (
    HEALTH_NOT_IMPLEMENTED,
    HEALTH_SERVING,
    HEALTH_UNREACHABLE,
    health_status,
)

EXIT_SERVING = 0
EXIT_UNHEALTHY = 1

_STATUS_NAMES = {
    0: "UNKNOWN",
    1: "SERVING",
    2: "NOT_SERVING",
    3: "SERVICE_UNKNOWN",
    HEALTH_NOT_IMPLEMENTED: "no gRPC health service",
    HEALTH_UNREACHABLE: "unreachable",
}


def describe_status(status: int) -> str:
    return _STATUS_NAMES.get(status, f"status {status}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kanal.healthcheck",
        description="Exit 0 when the gRPC health service at HOST:PORT reports SERVING.",
    )
    parser.add_argument("address", metavar="HOST:PORT", help="gRPC server to ask")
    parser.add_argument("--timeout", type=float, default=2.0,
                        help="seconds to wait for the answer (default: 2)")
    parser.add_argument("--quiet", action="store_true", help="print nothing")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    status = health_status(args.address, timeout_s=args.timeout)
    if not args.quiet:
        print(f"{args.address}: {describe_status(status)}",
              file=sys.stdout if status == HEALTH_SERVING else sys.stderr)
    return EXIT_SERVING if status == HEALTH_SERVING else EXIT_UNHEALTHY


if __name__ == "__main__":
    sys.exit(main())
