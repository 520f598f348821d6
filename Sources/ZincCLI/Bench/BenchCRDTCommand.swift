import ArgumentParser
import Foundation
import ZincBench

struct BenchCRDTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crdt",
        abstract: "Zinc's text CRDT on a recorded editing trace: replay, encode, load, remote apply.",
        discussion: """
        Replays a trace (josephg/editing-traces format, .json or .json.gz) as local edits with
        one commit per transaction, then measures the snapshot encoding, loading it, applying
        every per-transaction delta to a fresh replica, delta sizes and memory. A concurrent
        trace ("kind": "concurrent") is replayed with one replica per agent, each transaction on
        its parents' merged state; matchesEndContent then means every agent ends equal to
        endContent. Use a release build (swift build -c release) for meaningful numbers.

        Examples:
          zinc bench crdt --trace ../shared/traces/automerge-paper.json.gz
          zinc bench crdt --trace ../shared/traces/seph-blog1.json.gz --rounds 9 --json
        """
    )

    @Option(help: "The trace file.") var trace: String
    @Option(help: "Rounds of each timed step (medians are reported).") var rounds = 5
    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: .hidden) var profilePhase: String?

    func validate() throws {
        guard FileManager.default.fileExists(atPath: trace) else { throw ValidationError("no trace at \(trace)") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
    }

    func run() throws {
        let loaded: Trace
        do {
            loaded = try Trace(contentsOf: trace)
        } catch {
            throw ValidationError("cannot read \(trace) as a trace: \(error)")
        }
        if let phase = profilePhase {
            try CRDTBenchmark(trace: loaded, rounds: rounds).profile(phase)
            return
        }
        let result = try CRDTBenchmark(trace: loaded, rounds: rounds).run(progress: progress(quiet: json))
        if json {
            try printJSON(result)
            return
        }
        var table = TextTable(["metric", "value"])
        table.add(["trace", result.trace])
        table.add(["ops (patches)", "\(result.ops)"])
        table.add(["replay (median)", "\(fixed(result.replayMs, digits: 1)) ms [\(fixed(result.replayMsRange[0], digits: 1))–\(fixed(result.replayMsRange[1], digits: 1))]"])
        table.add(["final length", "\(result.finalLength) scalars"])
        table.add(["matches endContent", result.matchesEndContent ? "yes" : "NO"])
        table.add(["encoding", "\(result.encodingBytes) bytes"])
        table.add(["load (median)", "\(fixed(result.loadMs, digits: 3)) ms"])
        table.add(["load, then read the whole history", "\(fixed(result.loadThenHistoryMs, digits: 3)) ms"])
        table.add(["apply all remote deltas", "\(fixed(result.applyRemoteMs, digits: 1)) ms [\(fixed(result.applyRemoteMsRange[0], digits: 1))–\(fixed(result.applyRemoteMsRange[1], digits: 1))]"])
        table.add(["delta p50 / p99", "\(result.deltaP50Bytes) / \(result.deltaP99Bytes) bytes"])
        table.add(["document in memory", "\(result.documentBytes) bytes (from capacities)" + (result.documentMallocBytes.map { ", \($0) bytes allocated (malloc statistics)" } ?? "")])
        if let loaded = result.loadedMallocBytes {
            table.add(["loaded, history not read yet", "\(loaded) bytes allocated (malloc statistics)"])
        }
        print(table.render())
    }
}
