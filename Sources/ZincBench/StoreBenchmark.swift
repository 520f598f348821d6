import Foundation
import ZincCore
import ZincStore

/// The document store on a real trace: how fast local edits become durable under each
/// durability setting, how big the store is after compaction, and how fast it loads; then a
/// document rewritten in place (``RewriteBenchmark``): how big the store stays with trimming.
package struct StoreBenchmark {
    package struct Result: Codable, Sendable {
        package var trace: String
        package var transactions: Int
        /// Durable transactions per second while replaying, per durability setting.
        package var savesPerSecond: [String: Double]
        /// Bytes on disk (database + WAL) after the final compaction.
        package var storeBytes: Int
        /// The document's own snapshot encoding.
        package var encodingBytes: Int
        package var storeToEncoding: Double
        /// Opening the store and loading the document (median of rounds).
        package var loadMs: Double
        package var loadMsRange: [Double]
        /// Of which: opening the store (lock, pragmas, quick_check).
        package var openMs: Double
        /// The document rewritten in place (nil when skipped).
        package var rewrite: RewriteBenchmark.Result?
    }

    let trace: Trace
    let rounds: Int
    /// Transactions replayed with a save after each (the full trace takes long with fsync).
    let saveTransactions: Int
    let rewrites: Int

    package init(trace: Trace, rounds: Int = 5, saveTransactions: Int = 2000, rewrites: Int = 100_000) {
        self.trace = trace
        self.rounds = rounds
        self.saveTransactions = saveTransactions
        self.rewrites = rewrites
    }

    package func run(progress: (String) -> Void = { _ in }) throws -> Result {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("zinc-store-bench-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        var rates: [String: Double] = [:]
        for durability in Durability.allCases {
            let directory = "\(base)/\(durability.rawValue)"
            let store = try DocumentStore(directory: directory, durability: durability)
            var document = Document(replica: ReplicaID(deterministicFrom: "trace"))
            document.setUndoEnabled(false)
            let count = min(saveTransactions, trace.transactions.count)
            let clock = ContinuousClock()
            let elapsed = try clock.measure {
                for transaction in trace.transactions.prefix(count) {
                    for patch in transaction.patches { try document.apply(patch) }
                    document.commit()
                    try store.save(document, id: "doc")
                }
            }
            rates[durability.rawValue] = Double(count) / seconds(elapsed)
            progress("save with durability \(durability.rawValue): \(Int(rates[durability.rawValue] ?? 0)) transactions/s")
        }
        let document = try TraceReplay.replaySequential(trace)
        let directory = "\(base)/final"
        var storeBytes = 0
        do {
            let store = try DocumentStore(directory: directory)
            try store.save(document, id: "doc")
            try store.compact(document, id: "doc")
            storeBytes = store.sizeOnDisk
        }
        var loads: [Double] = []
        var opens: [Double] = []
        for _ in 0..<rounds {
            let clock = ContinuousClock()
            var store: DocumentStore?
            let elapsed = try clock.measure { store = try DocumentStore(directory: directory) }
            opens.append(seconds(elapsed) * 1000)
            withExtendedLifetime(store) {}
        }
        for _ in 0..<rounds {
            // Closing (which checkpoints the WAL) is not part of loading: keep the store open
            // until the clock has stopped.
            let clock = ContinuousClock()
            var store: DocumentStore?
            let elapsed = try clock.measure {
                store = try DocumentStore(directory: directory)
                let loaded = try store?.loadAll(editingAs: .random())
                precondition(loaded?["doc"]?.length() == document.length())
            }
            loads.append(seconds(elapsed) * 1000)
            store = nil
        }
        let snapshot = document.encodedSnapshot()
        let encoding = snapshot.count
        let rewrite = rewrites > 0 ? try RewriteBenchmark(rewrites: rewrites).run(progress: progress) : nil
        return Result(
            trace: trace.name, transactions: trace.transactions.count, savesPerSecond: rates, storeBytes: storeBytes,
            encodingBytes: encoding, storeToEncoding: Double(storeBytes) / Double(encoding),
            loadMs: percentile(loads, 0.5), loadMsRange: [loads.min() ?? 0, loads.max() ?? 0], openMs: percentile(opens, 0.5),
            rewrite: rewrite)
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
