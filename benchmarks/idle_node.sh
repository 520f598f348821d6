#!/bin/bash
# An idle node: a root with one child and one small document, release build, loopback.
# Prints one JSON object: CPU (utime + stime from /proc/PID/stat) as a percentage of one core
# over SECONDS, context switches per second (all threads), and private memory (Private_Clean +
# Private_Dirty from /proc/PID/smaps_rollup; most of a node's RSS is shared file pages).
#   benchmarks/idle_node.sh [ZINC_BINARY] [SECONDS] [BASE_PORT]
# With `floor` as the binary it measures raw libzmq doing only the heartbeats an idle pair
# must exchange (benchmarks/idle_floor.c), the same way; FLOOR_SOCKETS=7 polls seven more
# silent sockets beside the receiving one, as a node polls eight.
set -euo pipefail
cd "$(dirname "$0")/.."
zinc=${1:-.build/release/zinc}
seconds=${2:-30}
port=${3:-23700}
work=$(mktemp -d)
root=""; leaf=""
trap 'kill $root $leaf 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
if [ "$zinc" = floor ]; then
  cc -O2 -o "$work/idle_floor" benchmarks/idle_floor.c -lzmq
  "$work/idle_floor" root "tcp://127.0.0.1:$port" "${FLOOR_SOCKETS:-0}" & root=$!
  sleep 1
  "$work/idle_floor" leaf "tcp://127.0.0.1:$port" "${FLOOR_SOCKETS:-0}" & leaf=$!
  sleep 4
else
  "$zinc" node --id idle-root --bind "tcp://127.0.0.1:$port" --admin "tcp://127.0.0.1:$((port + 10))" >"$work/root" 2>&1 & root=$!
  sleep 1
  "$zinc" node --id idle-leaf --bind "tcp://127.0.0.1:$((port + 2))" --join "tcp://127.0.0.1:$port" >"$work/leaf" 2>&1 & leaf=$!
  sleep 2
  "$zinc" edit "tcp://127.0.0.1:$((port + 10))" notes insert 0 "Hello, idle world" >/dev/null
  sleep 2
fi
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
private() { awk '/Private_(Clean|Dirty)/ {s += $2} END {print s}' "/proc/$1/smaps_rollup"; }
switches() { cat /proc/$1/task/*/status | awk '/ctxt_switches/ {s += $2} END {print s}'; }
r0=$(cpu $root); l0=$(cpu $leaf); w0=$(switches $root)
sleep "$seconds"
r1=$(cpu $root); l1=$(cpu $leaf); w1=$(switches $root)
python3 - "$r0" "$r1" "$l0" "$l1" "$w0" "$w1" "$seconds" "$(getconf CLK_TCK)" "$(private $root)" "$(private $leaf)" <<'PY'
import json, sys
r0, r1, l0, l1, w0, w1, seconds, ticks, rp, lp = map(float, sys.argv[1:])
pct = lambda a, b: round((b - a) / ticks / seconds * 100, 3)
print(json.dumps({"seconds": seconds, "rootCorePercent": pct(r0, r1), "leafCorePercent": pct(l0, l1),
                  "rootContextSwitchesPerSecond": round((w1 - w0) / seconds, 1),
                  "rootPrivateKB": int(rp), "leafPrivateKB": int(lp)}))
PY
