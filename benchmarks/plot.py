#!/usr/bin/env python3
"""Draws docs/images/*.png from the JSON in benchmarks/results/ (written by run_all.sh).
Run with the benchmarks' virtual environment: benchmarks/.venv/bin/python benchmarks/plot.py"""
import glob
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "benchmarks", "results")
IMAGES = os.path.join(ROOT, "docs", "images")


def load(name):
    path = os.path.join(RESULTS, name)
    if not os.path.exists(path):
        return None
    with open(path) as file:
        return json.load(file)


def save(figure, name):
    os.makedirs(IMAGES, exist_ok=True)
    path = os.path.join(IMAGES, name)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    print("wrote", os.path.relpath(path, ROOT))


def throughput():
    """Receiver and sender rates: Zinc deltas vs raw libzmq (both transports) vs pyzmq."""
    bars = []
    for transport in ("tcp", "ipc"):
        result = load(f"messages-{transport}.json")
        if result:
            bars.append((f"raw libzmq\n{transport}", result["rawSenderRate"], result["rawReceiverRate"]))
            bars.append((f"Zinc deltas\n{transport}", result["senderRate"], result["receiverRate"]))
    pyzmq = load("pyzmq.json")
    if pyzmq:
        bars.append(("pyzmq\ntcp", pyzmq["senderRate"], pyzmq["receiverRate"]))
    if not bars:
        return
    figure, axes = plt.subplots(figsize=(8, 4))
    positions = range(len(bars))
    axes.bar([p - 0.2 for p in positions], [b[1] / 1e6 for b in bars], width=0.4, label="sender")
    axes.bar([p + 0.2 for p in positions], [b[2] / 1e6 for b in bars], width=0.4, label="receiver")
    axes.set_xticks(list(positions))
    axes.set_xticklabels([b[0] for b in bars])
    axes.set_ylabel("million messages / s (1 KiB)")
    axes.set_title("Throughput, 1 KiB messages, medians of 3 rounds")
    axes.legend()
    save(figure, "throughput.png")


def latency():
    """Average, p50 and p99 latency against messages sent, per path."""
    result = load("latency.json")
    if not result:
        return
    figure, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=False)
    labels = {"raw": "raw PUB→SUB", "oneHop": "Zinc one hop", "depth3": "Zinc depth-3 tree"}
    for path, points in sorted(result["paths"].items()):
        counts = [p["count"] for p in points]
        axes[0].plot(counts, [p["p50Microseconds"] for p in points], marker="o", label=labels.get(path, path))
        axes[1].plot(counts, [p["p99Microseconds"] for p in points], marker="o", label=labels.get(path, path))
    for axis, title in zip(axes, ("p50", "p99")):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("messages sent")
        axis.set_ylabel("latency (µs)")
        axis.set_title(f"{title} latency at {result['rate']:,} msgs/s, {result['size']} B")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    save(figure, "latency.png")


def failover():
    result = load("failover.json")
    if not result:
        return
    figure, axes = plt.subplots(figsize=(7, 3.5))
    samples = [result["promotionSamples"], result["convergeSamples"]]
    labels = ["SIGKILL → successor promoted", "SIGKILL → all converged"]
    if result.get("balancedSamples"):
        samples.append(result["balancedSamples"])
        labels.append("SIGKILL → rebalanced, converged")
    axes.hist(samples, bins=20, label=labels)
    axes.set_xlabel("seconds")
    axes.set_ylabel("trials")
    axes.set_title(f"Failover over {result['trials']} kills of the root ({result['nodes']} nodes)")
    axes.legend()
    save(figure, "failover.png")


def crdt():
    """Replay time and encoding size per trace, Zinc vs loro vs pycrdt."""
    files = sorted(glob.glob(os.path.join(RESULTS, "crdt-*.json")))
    if not files:
        return
    traces, series = [], {}
    for path in files:
        with open(path) as file:
            data = json.load(file)
        traces.append(data["trace"])
        for row in data["results"]:
            if "error" in row:
                continue
            name = row["library"].split(" ")[0]
            series.setdefault(name, {})[data["trace"]] = row
    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    width = 0.8 / max(1, len(series))
    for index, (name, rows) in enumerate(sorted(series.items())):
        xs = [i + index * width for i in range(len(traces))]
        axes[0].bar(xs, [rows.get(t, {}).get("replayMs", 0) for t in traces], width=width, label=name)
        axes[1].bar(xs, [rows.get(t, {}).get("encodingBytes", 0) / 1024 for t in traces], width=width, label=name)
    for axis, label in zip(axes, ("replay the whole trace (ms, log)", "encoded document (KiB)")):
        axis.set_xticks([i + width * (len(series) - 1) / 2 for i in range(len(traces))])
        axis.set_xticklabels(traces, rotation=20, ha="right")
        axis.set_ylabel(label)
        axis.legend()
    axes[0].set_yscale("log")
    axes[0].set_title("Time to replay each editing trace")
    axes[1].set_title("Size of the final document's encoding")
    save(figure, "crdt.png")


if __name__ == "__main__":
    throughput()
    latency()
    failover()
    crdt()
