#!/usr/bin/env bash
# Batching on and off, alternated, with one binary (docs/benchmarks.md, "Batching"): three runs
# each of `zinc bench messages` (1,000,000 × 1 KiB over tcp) and `zinc bench latency` (10,000
# messages at 10,000 msgs/s), writing benchmarks/results/batching.json. About 10 minutes on 2
# cores; run it on an otherwise idle machine.
#
#   benchmarks/batching.sh [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3
[ "${1:-}" = "--runs" ] && runs="$2"

scripts/install-deps
swift build -c release --product zinc 2>&1 | grep -E "error|Build" | tail -1
zinc=.build/release/zinc
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for run in $(seq 1 "$runs"); do
  for batch in off on; do
    flag=(--batch); [ "$batch" = off ] && flag=(--no-batch)
    printf '== run %s, batching %s\n' "$run" "$batch" >&2
    $zinc bench messages --count 1000000 --size 1024 --transport tcp --json "${flag[@]}" > "$scratch/messages-$run-$batch.json"
    $zinc bench latency --counts 10000 --json "${flag[@]}" > "$scratch/latency-$run-$batch.json"
  done
done
python3 - "$scratch" "$runs" benchmarks/results/batching.json <<'PY'
import json, sys
scratch, runs, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def load(kind, run, batch): return json.load(open(f"{scratch}/{kind}-{run}-{batch}.json"))
result = {"what": "zinc bench messages and latency with batching off and on, alternated (benchmarks/batching.sh)", "runs": []}
for run in range(1, runs + 1):
    for batch in ("off", "on"):
        messages, latency = load("messages", run, batch), load("latency", run, batch)
        paths = {name: points[0] for name, points in latency["paths"].items()}
        result["runs"].append({
            "batching": batch == "on",
            "receiverRate": messages["receiverRate"], "rawReceiverRate": messages["rawReceiverRate"],
            "ratio": messages["ratio"], "senderRate": messages["senderRate"], "lost": messages["lost"],
            "latency": {name: {"p50": p["p50Microseconds"], "p99": p["p99Microseconds"], "received": p["received"]} for name, p in paths.items()},
        })
json.dump(result, open(target, "w"), indent=1)
for entry in result["runs"]:
    l = entry["latency"]
    print(f"batching {'on ' if entry['batching'] else 'off'}: receiver {entry['receiverRate'] / 1000:.0f} k/s = {entry['ratio']:.2f}× raw; "
          f"one hop p50 {l['oneHop']['p50']:.0f} µs, depth 3 p50 {l['depth3']['p50']:.0f} µs (raw {l['raw']['p50']:.0f} µs)")
PY
