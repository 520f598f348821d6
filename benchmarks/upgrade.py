#!/usr/bin/env python3
"""A cluster being upgraded, with real processes on loopback: nodes of an earlier Zinc (OLD, a
`zinc` binary built from an earlier commit) and of this one (NEW) in one tree, editing one
document. It checks that every node converges with nothing counted as malformed, and that each
new node packs exactly where its peers said they read packed frames (docs/deployment.md,
"Batching"). Writes benchmarks/results/upgrade-issue17.json.

    benchmarks/upgrade.py --old PATH --new PATH [--out FILE]
"""
import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time

parser = argparse.ArgumentParser()
parser.add_argument("--old", required=True)
parser.add_argument("--new", required=True)
parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "upgrade-issue17.json"))
parser.add_argument("--edits", type=int, default=30)
args = parser.parse_args()

scratch = tempfile.mkdtemp(prefix="zinc-upgrade-")
# name: (binary, parent, extra flags). Ports below 32768 (the kernel's ephemeral range starts there).
layout = {
    "root-new": ("new", None, []),
    "old-a": ("old", "root-new", []),
    "new-b": ("new", "root-new", []),
    "new-under-old": ("new", "old-a", []),
    "old-batching": ("old", "new-b", ["--batch"]),
}
ports = {name: 21400 + 10 * index for index, name in enumerate(layout)}
binaries = {"old": args.old, "new": args.new}
processes = {}


def admin(name):
    return f"ipc://{scratch}/{name}.admin"


def publish(name):
    return f"tcp://127.0.0.1:{ports[name]}"


def zinc(kind, *arguments):
    return subprocess.run([binaries[kind], *arguments], capture_output=True, text=True, timeout=20)


def status(name):
    result = zinc(layout[name][0], "status", admin(name), "--json")
    return json.loads(result.stdout) if result.returncode == 0 else None


def wait(condition, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


try:
    for name, (kind, parent, extra) in layout.items():
        command = [binaries[kind], "node", "--id", name, "--bind", publish(name), "--admin", admin(name), "--fanout", "4", *extra]
        if parent:
            command += ["--join", publish(parent)]
        processes[name] = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=open(f"{scratch}/{name}.log", "w"))
        time.sleep(0.3)
    joined = wait(lambda: all((s := status(name)) and (layout[name][1] is None or s["link"].startswith("joined")) for name in layout), 20)
    versions = {kind: zinc(kind, "version").stdout.strip().splitlines()[0] for kind in binaries}
    started = time.time()
    for edit in range(args.edits):
        for name, (kind, _, _) in layout.items():
            zinc(kind, "edit", admin(name), "notes", "insert", "0", f"{name[0]}{edit % 10}")
    total = args.edits * len(layout) * 2
    converged = wait(lambda: len({zinc(kind, "doc", admin(name), "notes").stdout for name, (kind, _, _) in layout.items()}) == 1
                     and all((s := status(name)) and any(d["id"] == "notes" and d["operations"] == total for d in s["documents"]) for name in layout), 30)
    seconds = time.time() - started
    nodes = {}
    for name, (kind, parent, extra) in layout.items():
        s = status(name) or {}
        counters = s.get("counters", {})
        nodes[name] = {
            "version": kind, "flags": extra, "parent": parent, "link": s.get("link"),
            "packing": s.get("packing"), "badMessages": counters.get("badMessages"),
            "messagesOut": counters.get("messagesOut"), "framesOut": counters.get("framesOut"),
        }
    expected = {
        # A root whose children include an old node packs for nobody.
        "root-new": {"toChildren": False, "toParent": False},
        # Its only child is a batching node of the earlier version, which does not say it reads packed frames.
        "new-b": {"toChildren": False, "toParent": True},
        # Its parent is of the earlier version; it has no children.
        "new-under-old": {"toChildren": True, "toParent": False},
    }
    checks = {
        "joined": joined,
        "converged": converged,
        "noBadMessages": all(node["badMessages"] == 0 for node in nodes.values()),
        "packingAsNegotiated": all(nodes[name]["packing"] == packing for name, packing in expected.items()),
    }
    result = {
        "what": "a mixed cluster of real processes on loopback: nodes of the earlier version (old) and of this one (new) edit one document (benchmarks/upgrade.py)",
        "versions": versions, "editsPerNode": args.edits, "operations": total, "secondsToConverge": round(seconds, 2),
        "nodes": nodes, "expectedPacking": expected, "checks": checks, "passed": all(checks.values()),
    }
    with open(args.out, "w") as file:
        json.dump(result, file, indent=2)
    print(json.dumps(result, indent=2))
finally:
    for process in processes.values():
        process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
    shutil.rmtree(scratch, ignore_errors=True)
