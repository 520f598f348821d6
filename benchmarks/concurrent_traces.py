#!/usr/bin/env python3
"""Generates random concurrent editing histories in the josephg/editing-traces concurrent
format, with the expected final text computed by two independent CRDTs (loro, and pycrdt /
Yrs as a check): Zinc's differential test replays them and must reach the same text.

No two agents ever insert concurrently at one position, so every correct text CRDT agrees:
the document starts with one marker per agent ("[0][1][2]"), each agent inserts only inside
its own region (between its marker and the next), and markers are never deleted; deletes may
reach into any region (deletes commute). Transactions name their parents: the agent's own last
transaction and, sometimes, other agents' latest ones, merged first.

  benchmarks/.venv/bin/python benchmarks/concurrent_traces.py --cases 2000 --seed 1 \\
      --out Tests/ZincCoreTests/Fixtures/concurrent-traces.json.gz
"""
import argparse, gzip, json, random

import loro
import pycrdt

ALPHABET = ["a", "b", "c", "x", "y", "z", " ", "é", "ß", "中", "文", "🌍", "👍", "\n"]


def region(text, agent, agents):
    """The (start, end) code-point offsets agent may insert between."""
    start = text.index(f"[{agent}]") + len(f"[{agent}]")
    end = text.index(f"[{agent + 1}]") if agent + 1 < agents else len(text)
    return start, end


def deletable(text, agents):
    """Code-point offsets of characters that are not part of a marker."""
    protected = set()
    for agent in range(agents):
        at = text.index(f"[{agent}]")
        protected.update(range(at, at + len(f"[{agent}]")))
    return [i for i in range(len(text)) if i not in protected]


def utf8_offset(text, position):
    return len(text[:position].encode("utf-8"))


def generate(rng, agents, transactions):
    loro_docs = [loro.LoroDoc() for _ in range(agents)]
    ypy_docs = [pycrdt.Doc() for _ in range(agents)]
    for doc in ypy_docs:
        doc["t"] = pycrdt.Text()
    states = []          # per transaction: (loro snapshot, pycrdt update) of its agent after it
    last = [None] * agents
    txns = []
    markers = "".join(f"[{a}]" for a in range(agents))
    for index in range(transactions):
        agent = 0 if index == 0 else rng.randrange(agents)
        parents = [] if index == 0 else ([last[agent]] if last[agent] is not None else [0])
        if index > 0:
            for other in range(agents):
                if other != agent and last[other] is not None and rng.random() < 0.3:
                    parents.append(last[other])
        parents = sorted(set(parents))
        for parent in parents:
            loro_docs[agent].import_(states[parent][0])
            pycrdt_update = states[parent][1]
            ypy_docs[agent].apply_update(pycrdt_update)
        ltext = loro_docs[agent].get_text("t")
        ytext = ypy_docs[agent]["t"]
        patches = []
        if index == 0:
            patches.append([0, 0, markers])
            ltext.insert(0, markers)
            ytext.insert(0, markers)
        else:
            for _ in range(rng.randrange(1, 4)):
                text = ltext.to_string()
                if rng.random() < 0.35:
                    candidates = deletable(text, agents)
                    if candidates:
                        position = rng.choice(candidates)
                        length = 1
                        while position + length < len(text) and position + length in candidates and rng.random() < 0.5:
                            length += 1
                        patches.append([position, length, ""])
                        ltext.delete(position, length)
                        start, end = utf8_offset(text, position), utf8_offset(text, position + length)
                        del ytext[start:end]
                        continue
                start, end = region(text, agent, agents)
                position = rng.randrange(start, end + 1)
                insert = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(1, 6)))
                patches.append([position, 0, insert])
                ltext.insert(position, insert)
                ytext.insert(utf8_offset(text, position), insert)
        loro_docs[agent].commit()
        states.append((bytes(loro_docs[agent].export(loro.ExportMode.Snapshot())), ypy_docs[agent].get_update()))
        last[agent] = index
        txns.append({"parents": parents, "agent": agent, "patches": patches})
    final_loro, final_ypy = loro.LoroDoc(), pycrdt.Doc()
    final_ypy["t"] = pycrdt.Text()
    for state in states:
        final_loro.import_(state[0])
        final_ypy.apply_update(state[1])
    expected = final_loro.get_text("t").to_string()
    if str(final_ypy["t"]) != expected:
        return None
    return {"kind": "concurrent", "numAgents": agents, "endContent": expected, "txns": txns}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cases, disagreements = [], 0
    while len(cases) < args.cases:
        case = generate(rng, rng.randrange(2, 5), rng.randrange(6, 30))
        if case is None:
            disagreements += 1
            continue
        case["name"] = f"seed{args.seed}-case{len(cases)}"
        cases.append(case)
    with gzip.open(args.out, "wt", encoding="utf-8") as file:
        json.dump(cases, file, ensure_ascii=False, separators=(",", ":"))
    print(f"{len(cases)} cases written to {args.out}; {disagreements} where loro and pycrdt disagreed were left out")


if __name__ == "__main__":
    main()
