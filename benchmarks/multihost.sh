#!/bin/bash
# Multi-host figures: the namespace tests (three hosts on a virtual bridge, two nodes each) and
# the loopback discovery test, run RUNS times; each prints what it measured ("multi-host: ..."
# and "discovery: ..." lines), collected here as JSON. Needs root (network namespaces, nftables).
#   benchmarks/multihost.sh [RUNS] > benchmarks/results/multihost.json
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
swift build --product zinc >/dev/null
swift build --build-tests >/dev/null
export ZINC_BINARY="$PWD/.build/debug/zinc"
lines=$(mktemp)
trap 'rm -f "$lines"' EXIT
for _ in $(seq 1 "$runs"); do
  swift test --skip-build --filter 'MultiHostTests|DiscoveryProcessTests/fiveNodes' 2>&1 | grep -E '^(multi-host|discovery): ' >>"$lines" || true
done
python3 - "$lines" "$runs" <<'PY'
import json, re, statistics, sys
text = open(sys.argv[1]).read().splitlines()
def seconds(pattern):
    values = []
    for line in text:
        match = re.search(pattern, line)
        if match: values.append(float(match.group(1)))
    return {"runs": len(values), "median": statistics.median(values) if values else None, "min": min(values, default=None), "max": max(values, default=None), "values": values}
samples = [tuple(map(int, m.groups())) for m in (re.search(r"one tree in (\d+) of (\d+) samples", l) for l in text) if m]
print(json.dumps({
    "what": "three network namespaces on one bridge, two zinc nodes each (MultiHostTests), and five nodes on loopback (DiscoveryProcessTests)",
    "command": f"benchmarks/multihost.sh {sys.argv[2]}",
    "discoveryLoopbackFiveNodesFormedSeconds": seconds(r"discovery: five nodes on loopback were one tree ([0-9.]+) seconds"),
    "discoveryThreeHostsFormedSeconds": seconds(r"six nodes on three hosts were one tree ([0-9.]+) seconds"),
    "cutOffHostOneTreeEachSideSeconds": seconds(r"cut off \(discovery\); each side one tree ([0-9.]+) seconds"),
    "cutOffHostSeedsOnlyOneTreeEachSideSeconds": seconds(r"cut off \(seeds elsewhere only\); each side one tree ([0-9.]+) seconds"),
    "deadHostHealedSeconds": seconds(r"were one tree again after ([0-9.]+) seconds"),
    "oneWayCutWholeSamples": {"whole": sum(w for w, _ in samples), "samples": sum(n for _, n in samples), "runs": [f"{w}/{n}" for w, n in samples]},
}, indent=1))
PY
