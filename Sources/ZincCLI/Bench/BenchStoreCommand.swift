import ArgumentParser
import Foundation
import ZincBench

struct BenchStoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "The SQLite document store on a trace: durable saves per second, size on disk, load time.",
        discussion: """
        Replays the first --transactions transactions of a trace with a save after each, once
        per durability setting (full fsyncs every save), then stores the whole document,
        compacts it and measures the file size against the document's own encoding and the
        time to open the store and load the document. Then rewrites a 2,000-character document
        in place --rewrites times (1–8 characters replaced per transaction), once never
        trimming and once with the automatic trimming policy, and compares each store with the
        document's current snapshot (benchmarks/rewrite_peers.py does the same edits with loro
        and pycrdt).

        Examples:
          zinc bench store --trace ../shared/traces/automerge-paper.json.gz
          zinc bench store --trace ../shared/traces/automerge-paper.json.gz --json
        """
    )

    @Option(help: "The trace file.") var trace: String
    @Option(help: "Rounds of the load measurement.") var rounds = 9
    @Option(help: "Transactions saved one by one per durability setting.") var transactions = 2000
    @Option(help: "Rewrites of the document rewritten in place (0 skips it).") var rewrites = 100_000
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let loaded: Trace
        do { loaded = try Trace(contentsOf: trace) } catch { throw ValidationError("cannot read \(trace) as a trace: \(error)") }
        let result = try StoreBenchmark(trace: loaded, rounds: rounds, saveTransactions: transactions, rewrites: rewrites).run(progress: progress(quiet: json))
        if json {
            try printJSON(result)
            return
        }
        var table = TextTable(["store (\(result.trace))", "value"])
        for (name, rate) in result.savesPerSecond.sorted(by: { $0.key < $1.key }) {
            table.add(["durable saves, durability \(name)", "\(Int(rate)) transactions/s"])
        }
        table.add(["store size after compaction", "\(result.storeBytes) bytes"])
        table.add(["document encoding", "\(result.encodingBytes) bytes"])
        table.add(["store / encoding", fixed(result.storeToEncoding, digits: 2) + "×"])
        table.add(["open + load (median)", "\(fixed(result.loadMs, digits: 2)) ms [\(fixed(result.loadMsRange[0], digits: 2))–\(fixed(result.loadMsRange[1], digits: 2))]"])
        table.add(["  of which opening the store", "\(fixed(result.openMs, digits: 2)) ms"])
        if let rewrite = result.rewrite {
            for run in [rewrite.never, rewrite.automatic] {
                table.add(["\(rewrite.rewrites) rewrites, trimming \(run.policy): snapshot", "\(run.snapshotBytes) bytes"])
                table.add(["  store (peak)", "\(run.storeBytes) bytes (\(run.peakStoreBytes))"])
            }
            table.add(["  store / snapshot with trimming", fixed(rewrite.storeToSnapshot, digits: 2) + "×"])
            table.add(["  time travel inside the kept history", rewrite.timeTravelWithinKeptHistory ? "exact" : "FAILED"])
        }
        print(table.render())
    }
}
