#!/usr/bin/env python3
"""A document rewritten in place, in loro and pycrdt (Yjs), with the same edits as
`zinc bench store` makes (Sources/ZincBench/RewriteBenchmark.swift).

A 2,000-character text, then N transactions that each replace 1-8 characters at a random place
with as many new ones (SplitMix64, seed 42: a position below 1,993, a length, the characters;
a character is next() % 27, 26 a space, the rest a-z). Every character is ASCII, so loro's
Unicode positions, pycrdt's UTF-8 positions and Zinc's scalar positions agree.

Reported: each library's snapshot after the rewrites (loro: full snapshot, shallow snapshot at
the current version, shallow snapshot 10,000 operations back; pycrdt: the full-state update,
with Yjs's garbage collection of deleted content, which is on by default) and the time to apply
the rewrites. Zinc's numbers come from `zinc bench store --json` (key "rewrite").

    benchmarks/rewrite_peers.py --rewrites 100000 --small 20000 --json benchmarks/results/rewrite-peers.json
"""
import argparse
import json
import time

MASK = (1 << 64) - 1
TEXT_LENGTH = 2000


class Workload:
    def __init__(self, seed=42):
        self.state = seed

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def characters(self, count):
        out = []
        for _ in range(count):
            value = self.next() % 27
            out.append(" " if value == 26 else chr(0x61 + value))
        return "".join(out)

    def initial_text(self):
        return self.characters(TEXT_LENGTH)

    def next_rewrite(self):
        position = self.next() % (TEXT_LENGTH - 7)
        length = 1 + self.next() % 8
        return position, self.characters(length)


def fnv1a(text):
    """FNV-1a (64-bit) of the UTF-8 text: `zinc bench store` reports the same for its own."""
    value = 0xCBF29CE484222325
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * 0x100000001B3) & MASK
    return f"{value:016x}"


def run_loro(rewrites):
    import loro

    workload = Workload()
    doc = loro.LoroDoc()
    text = doc.get_text("text")
    text.insert(0, workload.initial_text())
    doc.commit()
    start = time.perf_counter()
    for _ in range(rewrites):
        position, replacement = workload.next_rewrite()
        text.delete(position, len(replacement))
        text.insert(position, replacement)
        doc.commit()
    seconds = time.perf_counter() - start
    final_text = text.to_string()
    full = doc.export(loro.ExportMode.Snapshot())
    shallow = doc.export(loro.ExportMode.ShallowSnapshot(doc.oplog_frontiers))
    # 10,000 operations back, as Zinc's automatic policy keeps (one peer: its counter).
    peer = doc.peer_id
    counter = doc.oplog_vv.get_last(peer)
    back = loro.Frontiers.from_id(loro.ID(peer, max(0, counter - 10000)))
    shallow_kept = doc.export(loro.ExportMode.ShallowSnapshot(back))
    return {
        "library": "loro",
        "version": getattr(loro, "__version__", "1.x"),
        "seconds": seconds,
        "snapshotBytes": len(full),
        "shallowSnapshotBytes": len(shallow),
        "shallowKeepingLast10000Bytes": len(shallow_kept),
        "text": final_text,
    }


def run_pycrdt(rewrites):
    import pycrdt

    workload = Workload()
    doc = pycrdt.Doc()
    text = doc.get("text", type=pycrdt.Text)
    with doc.transaction():
        text.insert(0, workload.initial_text())
    start = time.perf_counter()
    for _ in range(rewrites):
        position, replacement = workload.next_rewrite()
        with doc.transaction():
            del text[position:position + len(replacement)]
            text.insert(position, replacement)
    seconds = time.perf_counter() - start
    try:
        from importlib.metadata import version
        library_version = version("pycrdt")
    except Exception:
        library_version = "?"
    return {
        "library": "pycrdt",
        "version": library_version,
        "seconds": seconds,
        "snapshotBytes": len(doc.get_update()),
        "text": str(text),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rewrites", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=20_000,
                        help="a second, smaller run for every library (pycrdt is quadratic here: Yrs walks its block list)")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    results = [dict(run_loro(args.rewrites), rewrites=args.rewrites)]
    for run in (run_loro, run_pycrdt):
        results.append(dict(run(args.small), rewrites=args.small))
    # Each run's text must match every other run's of the same size.
    agree = all(len({r["text"] for r in results if r["rewrites"] == size}) == 1 for size in {r["rewrites"] for r in results})
    for result in results:
        result["textFNV1a"] = fnv1a(result.pop("text"))
    output = {"textLength": TEXT_LENGTH, "textsAgree": agree, "peers": results}
    for result in results:
        print(f"{result['library']}, {result['rewrites']} rewrites: {result['seconds']:.1f} s, snapshot {result['snapshotBytes']} B"
              + (f", shallow {result['shallowSnapshotBytes']} B, shallow keeping 10,000 {result['shallowKeepingLast10000Bytes']} B"
                 if "shallowSnapshotBytes" in result else ""))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(output, f, indent=2, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
