#!/bin/bash
# Scale: N real `zinc node` processes on loopback (default 100, fan-out 3) through
# `zinc cluster`: the tree forms, edits at random nodes reach every node, the root is killed
# with SIGKILL, the tree heals and converges (the cluster's own JSON summary). Every node's CPU
# (/proc/PID/stat) and private memory (/proc/PID/smaps_rollup) are sampled over 10 s of a light
# edit load (100 edits over 30 s), before the root is killed.
#   benchmarks/scale.sh [NODES] [FANOUT] > benchmarks/results/scale-100.json
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=${1:-100}
fanout=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
.build/release/zinc cluster --nodes "$nodes" --fanout "$fanout" --edits 100 --duration 30 --kill-host-after 20 \
  --restart-after 3 --settle-timeout 60 --base-port 24000 --json >"$work/summary.json" 2>"$work/stderr" &
cluster=$!
# Sample once the tree has formed and edits flow (the first sample waits for every node).
for _ in $(seq 1 120); do
  [ "$(pgrep -fc 'zinc node .*--bind tcp://127.0.0.1:2[45]')" -ge "$nodes" ] && break
  sleep 0.5
done
sleep 4
sample() {
  for pid in $(pgrep -f 'zinc node .*--bind tcp://127.0.0.1:2[45]'); do
    awk -v pid="$pid" '{print pid, $14 + $15}' "/proc/$pid/stat" 2>/dev/null || true
  done
}
sample >"$work/cpu0"
sleep 10
sample >"$work/cpu1"
for pid in $(pgrep -f 'zinc node .*--bind tcp://127.0.0.1:2[45]'); do
  awk -v pid="$pid" '/Private_(Clean|Dirty)/ {s += $2} END {print pid, s}' "/proc/$pid/smaps_rollup" 2>/dev/null || true
done >"$work/private"
wait $cluster || true
python3 - "$work" "$(getconf CLK_TCK)" "$nodes" "$fanout" <<'PY'
import json, statistics, sys
work, ticks, nodes, fanout = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
read = lambda name: {int(a): float(b) for a, b in (line.split() for line in open(f"{work}/{name}") if line.strip())}
cpu0, cpu1, private = read("cpu0"), read("cpu1"), read("private")
cpu = [(cpu1[p] - cpu0[p]) / ticks / 10 * 100 for p in cpu0 if p in cpu1]
kb = list(private.values())
summary = json.load(open(f"{work}/summary.json"))
q = lambda xs, f: sorted(xs)[min(len(xs) - 1, int(f * len(xs)))]
print(json.dumps({
    "nodes": nodes, "fanout": fanout, "cluster": summary,
    "sampledNodes": len(cpu), "sampleSeconds": 10,
    "cpuCorePercentPerNode": {"median": round(statistics.median(cpu), 3), "p90": round(q(cpu, 0.9), 3), "max": round(max(cpu), 3), "sum": round(sum(cpu), 1)},
    "privateKBPerNode": {"median": int(statistics.median(kb)), "p90": int(q(kb, 0.9)), "max": int(max(kb))},
}, indent=2))
PY
