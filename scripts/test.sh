#!/usr/bin/env bash
# The whole gate: set-up, stale-stub check, ruff, mypy (strict), import layering, pytest.
# Extra arguments go to pytest (e.g. `scripts/test.sh -k storage`). KANAL_SLOW=1 adds the
# long runs marked `slow`. Tests run in KANAL_TEST_WORKERS processes (default 2; 0 runs them
# in this process), a test file at a time per process so module fixtures stay shared.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

echo "== gRPC stubs"; python scripts/gen_protos.py --check
echo "== ruff"; ruff check .
echo "== mypy"; mypy libs/kanal/kanal $(ls -d services/*/kanal_*/ | grep -v egg-info)
echo "== import layers"; lint-imports
echo "== pytest"
marker=()
[ "${KANAL_SLOW:-0}" = "1" ] || marker=(-m "not slow")
workers=${KANAL_TEST_WORKERS:-2}
parallel=()
[ "$workers" = "0" ] || parallel=(-n "$workers" --dist loadfile)
python -m pytest "${marker[@]}" "${parallel[@]}" "$@"
