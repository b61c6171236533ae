#!/usr/bin/env bash
# Set the machine up (idempotent) and start a local Kanal cluster in the foreground:
# etcd, controllers and brokers as child processes, data under ./data. Ctrl-C stops it.
# Arguments go to `kanal dev up` (e.g. `scripts/up.sh --brokers 1 --detach`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/kanal dev up "$@"
