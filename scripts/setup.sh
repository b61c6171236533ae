#!/usr/bin/env bash
# Idempotent set-up of a fresh Debian machine (run as root, or with sudo available):
# system servers from Debian's packages, then a virtualenv in .venv with every Kanal
# distribution installed in editable mode and the development tools.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v etcd >/dev/null 2>&1 || need_apt+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || need_apt+=(etcd-client)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)  # bench peer only
command -v prometheus >/dev/null 2>&1 || need_apt+=(prometheus)  # dashboard query tests
# connect's PostgreSQL connectors: tests start their own server (wal_level=logical)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || need_apt+=(postgresql)
command -v npm >/dev/null 2>&1 || need_apt+=(nodejs npm)  # examples/node and its test
command -v nft >/dev/null 2>&1 || need_apt+=(nftables)  # network-partition fault test
PY=${PYTHON:-python3}
# Debian's own python3 ships venv without ensurepip until python3-venv is installed.
"$PY" -c "import ensurepip" >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing from Debian: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.kanal-installed
inputs=$(cat requirements-dev.txt libs/kanal/pyproject.toml services/*/pyproject.toml | sha1sum | cut -c1-40)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$inputs" ]; then
  # Some machines' pip config names local wheel folders that may not exist: drop that noise.
  pip_quiet() { .venv/bin/python -m pip "$@" 2> >(grep -v "^WARNING: Location" >&2); }
  pip_quiet install -q --upgrade pip
  services=()
  for dir in services/*/; do
    [ -f "$dir/pyproject.toml" ] && services+=(-e "${dir%/}")
  done
  pip_quiet install -q -r requirements-dev.txt -e "libs/kanal[server,serde]" "${services[@]}"
  echo "$inputs" > "$stamp"
fi
