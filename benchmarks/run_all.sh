#!/usr/bin/env bash
# Every benchmark of docs/benchmarks.md, in one run on this machine, then the plots.
# Builds `zinc` in release mode, installs the Python peers (pyzmq, pycrdt, loro) and matplotlib
# into benchmarks/.venv, writes JSON to benchmarks/results/ and PNGs to docs/images/.
#
#   benchmarks/run_all.sh            # the full sweep (about 30 minutes on 2 cores)
#   benchmarks/run_all.sh --quick    # smaller counts (about 5 minutes), for a smoke test
#   benchmarks/plot.py               # redraw the plots from the JSON already there
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1

scripts/install-deps
swift build -c release --product zinc 2>&1 | grep -E "error|Compiling|Build" | tail -3
zinc=.build/release/zinc
python3 -m venv benchmarks/.venv >/dev/null 2>&1 || true
benchmarks/.venv/bin/pip install -q --disable-pip-version-check pyzmq pycrdt loro matplotlib
out=benchmarks/results
mkdir -p "$out"
traces="${ZINC_TRACES:-../shared/traces}"

if [ "$quick" = 1 ]; then
  count=100000; latency_counts=1000,5000,10000; fanout=100000; trials=5; rounds=3
else
  count=1000000; latency_counts=1000,5000,10000,50000,100000,500000,1000000; fanout=1000000; trials=20; rounds=5
fi

step() { printf '\n== %s\n' "$*" >&2; }
step "binding: Swift vs C, PUSH/PULL, $count × 1 KiB"
$zinc bench binding --count "$count" --rounds "$rounds" --json > "$out/binding.json"
for transport in tcp ipc; do
  step "messages over $transport: Zinc deltas vs raw libzmq, $count × 1 KiB"
  $zinc bench messages --count "$count" --transport "$transport" --rounds 3 --json > "$out/messages-$transport.json"
done
step "pyzmq PUSH/PULL, $count × 1 KiB"
benchmarks/.venv/bin/python benchmarks/pyzmq_peer.py --count "$count" --rounds 3 --json "$out/pyzmq.json" >&2
step "latency at 10,000 msgs/s: $latency_counts"
$zinc bench latency --counts "$latency_counts" --json > "$out/latency.json"
step "fan-out: $fanout deltas to 8 clients"
$zinc bench fanout --count "$fanout" --json > "$out/fanout.json"
step "editor: keystrokes through a text binding, 1 KB and 1 MB documents"
$zinc bench editor --keystrokes 5000 --json > "$out/editor.json"
step "failover: $trials SIGKILLs of the root"
$zinc bench failover --trials "$trials" --json > "$out/failover.json"
if [ -d "$traces" ]; then
  step "CRDT and store on the editing traces, with pycrdt and loro"
  benchmarks/run_crdt_peers.sh "$traces" >&2
  $zinc bench store --trace "$traces/automerge-paper.json.gz" --json > "$out/store-automerge-paper.json"
else
  echo "no traces at $traces (set ZINC_TRACES): skipping the CRDT and store benchmarks" >&2
fi
step "plots"
benchmarks/.venv/bin/python benchmarks/plot.py
