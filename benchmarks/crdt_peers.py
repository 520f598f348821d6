#!/usr/bin/env python3
"""Zinc's text CRDT against Yjs (pycrdt) and Loro on the same editing trace, in one run.

Each library replays the trace as local edits, one transaction (commit) per patch, then we
measure the full encoding, loading it, the per-transaction update sizes, and applying every
per-transaction update to a fresh replica. Zinc is measured by `zinc bench crdt --json`.

Positions: the traces, Zinc and Loro count Unicode scalars; pycrdt (Yrs) counts UTF-8 bytes, so
its patches are converted to byte offsets once, before anything is timed.

    benchmarks/crdt_peers.py --trace ../shared/traces/automerge-paper.json.gz
"""
import argparse
import gzip
import json
import statistics
import subprocess
import sys
import time


def load_trace(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000.0, result


def median(values):
    return statistics.median(values) if values else 0.0


def percentile(values, q):
    ordered = sorted(values)
    if not ordered:
        return 0
    rank = max(0, min(len(ordered) - 1, int(q * len(ordered) + 0.999999) - 1))
    return ordered[rank]


def bench_loro(trace, rounds):
    import loro

    def replay(collect):
        doc = loro.LoroDoc()
        updates = []
        subscription = None
        if collect:
            # Keep the subscription alive: dropping it unsubscribes.
            subscription = doc.subscribe_local_update(lambda update: updates.append(bytes(update)) or True)
        text = doc.get_text("text")
        for txn in trace["txns"]:
            for pos, deleted, inserted in txn["patches"]:
                if deleted:
                    text.delete(pos, deleted)
                if inserted:
                    text.insert(pos, inserted)
            doc.commit()
        del subscription
        return doc, updates

    replay_ms = []
    for _ in range(rounds):
        ms, (doc, _) = timed(lambda: replay(False))
        replay_ms.append(ms)
    final = doc.get_text("text").to_string()
    snapshot = bytes(doc.export(loro.ExportMode.Snapshot()))
    load_ms = []
    for _ in range(max(rounds, 10)):
        def load():
            fresh = loro.LoroDoc()
            fresh.import_(snapshot)
            return fresh
        ms, _ = timed(load)
        load_ms.append(ms)
    _, (_, updates) = timed(lambda: replay(True))
    apply_ms = []
    for _ in range(rounds):
        def apply():
            fresh = loro.LoroDoc()
            for update in updates:
                fresh.import_(update)
            return fresh
        ms, fresh = timed(apply)
        apply_ms.append(ms)
    sizes = [len(u) for u in updates]
    return {
        "library": "loro " + getattr(loro, "__version__", "1.x"),
        "replayMs": median(replay_ms), "matchesEndContent": final == trace["endContent"],
        "encodingBytes": len(snapshot), "loadMs": median(load_ms), "applyRemoteMs": median(apply_ms),
        # The shallow snapshot at the current version: the state without history.
        "trimmedEncodingBytes": len(doc.export(loro.ExportMode.ShallowSnapshot(doc.oplog_frontiers))),
        "deltaP50Bytes": percentile(sizes, 0.5), "deltaP99Bytes": percentile(sizes, 0.99),
    }


def utf8_patches(trace):
    """The trace's patches with positions and lengths in UTF-8 bytes, the unit pycrdt's Text
    counts in (the trace, Zinc and Loro count Unicode scalars). Converted once, before any
    timing, by replaying the trace on a plain string."""
    text = ""
    converted = []
    for txn in trace["txns"]:
        patches = []
        for pos, deleted, inserted in txn["patches"]:
            prefix = text[:pos]
            start = pos if prefix.isascii() else len(prefix.encode("utf-8"))
            removed = text[pos:pos + deleted]
            length = len(removed) if removed.isascii() else len(removed.encode("utf-8"))
            text = prefix + inserted + text[pos + deleted:]
            patches.append((start, length, inserted))
        converted.append(patches)
    return converted


def bench_pycrdt(trace, rounds):
    import pycrdt

    txns = utf8_patches(trace)

    def replay(collect):
        # A small client id, as in the reference figures: Yjs's default random 53-bit id adds
        # about 15 bytes to every update.
        doc = pycrdt.Doc(client_id=1)
        text = pycrdt.Text()
        doc["text"] = text
        updates = []
        if collect:
            doc.observe(lambda event: updates.append(bytes(event.update)))
        for patches in txns:
            with doc.transaction():
                for pos, deleted, inserted in patches:
                    if deleted:
                        del text[pos:pos + deleted]
                    if inserted:
                        text.insert(pos, inserted)
        return doc, text, updates

    replay_ms = []
    for _ in range(rounds):
        ms, (doc, text, _) = timed(lambda: replay(False))
        replay_ms.append(ms)
    final = str(text)
    snapshot = bytes(doc.get_update())
    load_ms = []
    for _ in range(max(rounds, 10)):
        def load():
            fresh = pycrdt.Doc()
            fresh.apply_update(snapshot)
            return fresh
        ms, _ = timed(load)
        load_ms.append(ms)
    _, (_, _, updates) = timed(lambda: replay(True))
    apply_ms = []
    for _ in range(rounds):
        def apply():
            fresh = pycrdt.Doc()
            for update in updates:
                fresh.apply_update(update)
            return fresh
        ms, _ = timed(apply)
        apply_ms.append(ms)
    sizes = [len(u) for u in updates]
    return {
        "library": "pycrdt " + getattr(pycrdt, "__version__", "0.x") + " (Yrs)",
        "replayMs": median(replay_ms), "matchesEndContent": final == trace["endContent"],
        "encodingBytes": len(snapshot), "loadMs": median(load_ms), "applyRemoteMs": median(apply_ms),
        # Yjs keeps no history and garbage-collects deleted text: its encoding is already trimmed.
        "trimmedEncodingBytes": len(snapshot),
        "deltaP50Bytes": percentile(sizes, 0.5), "deltaP99Bytes": percentile(sizes, 0.99),
    }


def bench_zinc(binary, trace_path, rounds):
    output = subprocess.run([binary, "bench", "crdt", "--trace", trace_path, "--rounds", str(rounds), "--json"],
                            check=True, capture_output=True, text=True).stdout
    result = json.loads(output)
    result["library"] = "zinc"
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trace", required=True)
    parser.add_argument("--zinc", default=".build/release/zinc")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="write all results to this file")
    parser.add_argument("--skip", action="append", default=[], help="skip a library (loro, pycrdt)")
    args = parser.parse_args()
    trace = load_trace(args.trace)
    results = [bench_zinc(args.zinc, args.trace, max(args.rounds, 5))]
    for label, bench in (("loro", bench_loro), ("pycrdt", bench_pycrdt)):
        if label in args.skip:
            continue
        try:
            results.append(bench(trace, args.rounds))
        except BaseException as error:  # pyo3 panics derive from BaseException
            if isinstance(error, KeyboardInterrupt):
                raise
            print(f"{label} failed on this trace: {type(error).__name__}: {error}", file=sys.stderr)
            results.append({"library": label, "error": f"{type(error).__name__}: {error}"})
    zinc = results[0]
    columns = [("replayMs", "replay ms"), ("applyRemoteMs", "apply remote ms"), ("encodingBytes", "encoding B"),
               ("trimmedEncodingBytes", "trimmed B"),
               ("loadMs", "load ms"), ("deltaP50Bytes", "delta p50 B"), ("deltaP99Bytes", "delta p99 B")]
    name = args.trace.split("/")[-1].replace(".json.gz", "")
    print(f"trace {name}: {sum(len(t['patches']) for t in trace['txns'])} patches, one transaction per patch")
    header = f"{'library':<26}" + "".join(f"{label:>17}" for _, label in columns) + f"{'correct':>9}"
    print(header)
    print("-" * len(header))
    for result in results:
        row = f"{result['library']:<26}"
        if "error" in result:
            print(row + "  failed: " + result["error"][:80])
            continue
        for key, _ in columns:
            value = result[key]
            text = f"{value:.3f}" if key == "loadMs" else (f"{value:.1f}" if isinstance(value, float) else str(value))
            if result is not zinc and zinc[key]:
                text += f" ({value / zinc[key]:.1f}x)"
            row += f"{text:>17}"
        row += f"{'yes' if result['matchesEndContent'] else 'NO':>9}"
        print(row)
    print("(x) = the peer's value divided by Zinc's: above 1 means Zinc is faster or smaller")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"trace": name, "results": results}, f, indent=2, sort_keys=True)


if __name__ == "__main__":
    sys.exit(main())
