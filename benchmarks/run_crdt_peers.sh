#!/usr/bin/env bash
# Zinc vs pycrdt (Yrs) vs loro on every shared trace, in one run. Installs the peers into a
# virtual environment (benchmarks/.venv) and builds `zinc` in release mode first.
#   benchmarks/run_crdt_peers.sh [TRACES_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
traces="${1:-${ZINC_TRACES:-../shared/traces}}"
python3 -m venv benchmarks/.venv >/dev/null 2>&1 || true
benchmarks/.venv/bin/pip install -q --disable-pip-version-check pycrdt loro
swift build -c release --product zinc >&2
for trace in "$traces"/*.json.gz; do
  name=$(basename "$trace" .json.gz)
  benchmarks/.venv/bin/python benchmarks/crdt_peers.py --trace "$trace" --json "benchmarks/results/crdt-$name.json"
  echo
done
