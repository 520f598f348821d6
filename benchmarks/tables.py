#!/usr/bin/env python3
"""Prints the Markdown tables of docs/benchmarks.md from the JSON in benchmarks/results/
(written by run_all.sh), so the document can be refreshed from a new run."""
import glob
import json
import os
import statistics

RESULTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks", "results")


def load(name):
    path = os.path.join(RESULTS, name)
    if not os.path.exists(path):
        return None
    with open(path) as file:
        return json.load(file)


def rate(value):
    return f"{value / 1e3:,.0f} k/s"


def spread(values, scale=1e3, unit="k"):
    return f"{min(values) / scale:,.0f}–{max(values) / scale:,.0f} {unit}"


def binding():
    result = load("binding.json")
    if not result:
        return
    print("| loop | sender median (range) | receiver median (range) |")
    print("|---|---|---|")
    for key, label in (("c", "C (libzmq API)"), ("swift", "Swift binding")):
        sender, receiver = result[f"{key}Sender"], result[f"{key}Receiver"]
        print(f"| {label} | {rate(sender['median'])} ({rate(sender['min'])}–{rate(sender['max'])}) | "
              f"{rate(receiver['median'])} ({rate(receiver['min'])}–{rate(receiver['max'])}) |")
    print(f"| ratio Swift ÷ C | {result['senderRatio']:.3f}× | {result['receiverRatio']:.3f}× |")
    print(f"\n{result['count']:,} × {result['size']} B over {result['endpoint']}, {result['rounds']} alternated rounds.\n")


def messages():
    rows = []
    for transport in ("tcp", "ipc"):
        result = load(f"messages-{transport}.json")
        if result:
            rows.append((transport, result))
    pyzmq = load("pyzmq.json")
    if not rows and not pyzmq:
        return
    print("| transport | raw libzmq sender | raw receiver | Zinc sender | Zinc receiver | ratio (receiver) |")
    print("|---|---|---|---|---|---|")
    for transport, r in rows:
        print(f"| {transport} | {rate(r['rawSenderRate'])} | {rate(r['rawReceiverRate'])} ({spread(r['rawReceiverRates'])}) | "
              f"{rate(r['senderRate'])} | {rate(r['receiverRate'])} ({spread(r['receiverRates'])}) | {r['ratio']:.2f}× |")
    if pyzmq:
        print(f"| tcp, pyzmq {pyzmq['version']} | {rate(pyzmq['senderRate'])} | {rate(pyzmq['receiverRate'])} "
              f"({spread(pyzmq['receiverRates'])}) | | | |")
    print()


def latency():
    result = load("latency.json")
    if not result:
        return
    paths = [("raw", "raw PUB→SUB"), ("oneHop", "Zinc one hop"), ("depth3", "Zinc depth-3 tree")]
    print("| messages | " + " | ".join(f"{label} avg / p50 / p99 µs" for _, label in paths) + " |")
    print("|---|" + "---|" * len(paths))
    counts = [p["count"] for p in result["paths"]["raw"]]
    for index, count in enumerate(counts):
        cells = []
        for key, _ in paths:
            p = result["paths"][key][index]
            lost = "" if p["received"] == count else f" ({count - p['received']} lost)"
            cells.append(f"{p['averageMicroseconds']:.0f} / {p['p50Microseconds']:.0f} / {p['p99Microseconds']:.0f}{lost}")
        print(f"| {count:,} | " + " | ".join(cells) + " |")
    print()


def fanout():
    r = load("fanout.json")
    if not r:
        return
    print("| | rate | delivered |")
    print("|---|---|---|")
    print(f"| Zinc, {r['subscribers']} clients | {rate(r['deliveredRate'])} (host produced {rate(r['senderRate'])}) | "
          f"{r['completeSubscribers']} of {r['subscribers']} clients hold all {r['count']:,} ({r['repairs']} repairs) |")
    print(f"| raw PUB/SUB, default HWM | {rate(r['rawDefaultRate'])} | {100 * r['rawDefaultDeliveredFraction']:.1f}% of messages |")
    print(f"| raw PUB/SUB, no HWM | {rate(r['rawUnlimitedRate'])} | {100 * r['rawUnlimitedDeliveredFraction']:.1f}% of messages |")
    print()


def fanout_million():
    r = load("fanout-1m-issue17.json")
    if not r:
        return
    print("| 1,000,000 × 1 KiB | delivered | repairs, children lost | allocated after the run | peak resident |")
    print("|---|---|---|---|---|")
    for run in r["fanout1M"]:
        result = run["result"]
        if result is None:
            print(f"| {run['binary']} | not completed: {run['outcome']} | | | |")
            continue
        print(f"| {run['binary']} | {result['deliveredRate'] / 1e3:.1f} k/s, {result['completeSubscribers']}/{result['subscribers']} "
              f"(raw no HWM {rate(result['rawUnlimitedRate'])}: {result['ratio']:.2f}×) | {result['repairs']}, {result['hostChildFailures']} | "
              f"{result['allocatedBytesAfterRun'] / 1e9:.2f} GB | {result['peakResidentBytes'] / 1e9:.1f} GB |")
    print()


def negotiated_batching():
    r = load("negotiated-batching-issue17.json")
    if not r:
        return

    def span(values, fmt):
        return f"{fmt(min(values))}–{fmt(max(values))}"

    thousands = lambda value: f"{value / 1e3:,.0f}"
    print("| `zinc bench messages`, 1,000,000 × 1 KiB, tcp | Zinc receiver | raw receiver | ratio | Zinc sender |")
    print("|---|---|---|---|---|")
    for batching, name in ((True, "default (batching, "), (False, "`--no-batch` (")):
        runs = [run for run in r["messages"] if run["batching"] == batching]
        print(f"| {name}{len(runs)} runs) | {span([x['receiverRate'] for x in runs], thousands)} k/s | "
              f"{span([x['rawReceiverRate'] for x in runs], thousands)} k/s | {span([x['ratio'] for x in runs], lambda v: f'{v:.2f}')}× | "
              f"{span([x['senderRate'] for x in runs], thousands)} k/s |")
    print()
    whole = lambda value: f"{value:,.0f}"
    print("| `zinc bench latency --counts 10000`, µs | raw p50 / p99 | one hop p50 / p99 | depth 3 p50 / p99 |")
    print("|---|---|---|---|")
    for batching, name in ((True, "default"), (False, "`--no-batch`")):
        runs = [run["paths"] for run in r["latency"] if run["batching"] == batching]
        cells = [f"{span([x[path]['p50'] for x in runs], whole)} / {span([x[path]['p99'] for x in runs], whole)}" for path in ("raw", "oneHop", "depth3")]
        print(f"| {name} ({len(runs)} runs) | " + " | ".join(cells) + " |")
    print()


def lazy_history():
    r = load("lazy-history-issue17.json")
    if not r:
        return
    runs = r["msPer100Loads"]
    per_load = lambda values: f"{sorted(values)[len(values) // 2] / 100:.2f} ms"
    print("| automerge-paper snapshot, ms per load (median of five, binaries alternated) | every log decoded at load | logs decoded when first read | ratio | load, then the whole history read |")
    print("|---|---|---|---|---|")
    for name, run in (("first alternation", runs["firstAlternation"]), ("second alternation", runs["secondAlternation"])):
        ratio = sorted(run["after"])[2] / sorted(run["before"])[2]
        history = per_load(run["afterThenHistory"]) if "afterThenHistory" in run else ""
        print(f"| {name} | {per_load(run['before'])} | {per_load(run['after'])} | {ratio:.2f} | {history} |")
    print()


def failover():
    r = load("failover.json")
    if not r:
        return
    print("| | median | worst |")
    print("|---|---|---|")
    print(f"| SIGKILL → successor promoted | {r['promotionMedianSeconds']:.2f} s | {r['promotionWorstSeconds']:.2f} s |")
    print(f"| SIGKILL → all converged | {r['medianSeconds']:.2f} s | {r['worstSeconds']:.2f} s |")
    if "balancedMedianSeconds" in r:
        print(f"| SIGKILL → rebalanced within fan-out, converged | {r['balancedMedianSeconds']:.2f} s | {r['balancedWorstSeconds']:.2f} s |")
    print(f"\n{r['trials']} trials of {r['nodes']} nodes, {r['failedTrials']} failed, {r['lostEdits']} edits lost.\n")


def crdt():
    for path in sorted(glob.glob(os.path.join(RESULTS, "crdt-*.json"))):
        with open(path) as file:
            data = json.load(file)
        if "trace" not in data or "results" not in data:
            continue  # a before/after record of one change, not a peer comparison
        print(f"**{data['trace']}**\n")
        print("| library | replay ms | apply remote ms | encoding bytes | trimmed bytes | load ms | delta p50 / p99 B | matches |")
        print("|---|---|---|---|---|---|---|---|")
        for r in data["results"]:
            if "error" in r:
                print(f"| {r['library']} | failed: {r['error'][:70]} | | | | | | |")
                continue
            replay_range = r.get("replayMsRange")
            replay = f"{r['replayMs']:.1f}" + (f" ({replay_range[0]:.0f}–{replay_range[1]:.0f})" if replay_range else "")
            apply_value = r.get("applyRemoteMs")
            trimmed = f"{r['trimmedEncodingBytes']:,}" if "trimmedEncodingBytes" in r else ""
            print(f"| {r['library']} | {replay} | {apply_value:.0f} | {r['encodingBytes']:,} | {trimmed} | {r['loadMs']:.2f} | "
                  f"{r.get('deltaP50Bytes', '')} / {r.get('deltaP99Bytes', '')} | {'yes' if r.get('matchesEndContent') else 'no'} |"
                  if apply_value is not None else
                  f"| {r['library']} | {replay} | | {r['encodingBytes']:,} | {trimmed} | {r['loadMs']:.2f} | | {'yes' if r.get('matchesEndContent') else 'no'} |")
        print()


def store():
    r = load("store-automerge-paper.json")
    if not r:
        return
    print("```json")
    print(json.dumps({k: v for k, v in r.items() if not isinstance(v, list)}, indent=2, sort_keys=True))
    print("```\n")


def editor():
    r = load("editor.json")
    if not r:
        return
    names = {"local": "local keystroke → view updated", "remote": "remote keystroke → view updated",
             "snapshotPerKeystroke": "snapshot per keystroke"}
    points = r["paths"]["local"]
    print("| path | " + " | ".join(f"{p['documentBytes']:,} B p50 / p99" for p in points) + " | growth (p50) |")
    print("|---|" + "---|" * (len(points) + 1))
    for key, name in names.items():
        cells = [f"{p['medianMicroseconds']:,.0f} µs / {p['p99Microseconds']:,.0f} µs" for p in r["paths"].get(key, [])]
        print(f"| {name} | " + " | ".join(cells) + f" | {r['growth'].get(key, 0):.2f}× |")
    print()


if __name__ == "__main__":
    for title, table in (("Binding", binding), ("Messages", messages), ("Latency", latency), ("Fan-out", fanout), ("Fan-out of 1,000,000", fanout_million),
                         ("Batching by default", negotiated_batching), ("Lazy history", lazy_history),
                         ("Failover", failover), ("CRDT", crdt), ("Store", store), ("Editor", editor)):
        print(f"### {title}\n")
        table()
