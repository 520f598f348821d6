import Foundation
import ZincCore
import ZincStore

/// A document rewritten in place: a 2,000-character text, then N transactions that each replace
/// 1–8 characters at a random place with as many new ones, so the text stays the same size while
/// the history grows without end. Run twice through a store: never trimming, and with the
/// automatic policy (as an endpoint applies it). The store with trimming must stay within 3× the
/// document's current snapshot.
///
/// The edits come from SplitMix64 (``RewriteWorkload``); `benchmarks/rewrite_peers.py` makes
/// the same ones for loro and pycrdt.
package struct RewriteBenchmark {
    package struct Result: Codable, Sendable {
        package var rewrites: Int
        package var textLength: Int
        /// Operations made in all (each rewrite deletes and inserts the same number of characters).
        package var operations: UInt64
        package var never: Run
        package var automatic: Run
        /// The automatic run's store against its document's current snapshot (the bound: ≤ 3).
        package var storeToSnapshot: Double
        /// The untrimmed snapshot against the trimmed one.
        package var trimmingShrinksSnapshotBy: Double
        /// A version inside the kept history still rebuilds exactly after trimming.
        package var timeTravelWithinKeptHistory: Bool
        /// FNV-1a (64-bit) of the final text's UTF-8, as `benchmarks/rewrite_peers.py` reports
        /// for loro and pycrdt: the same edits give the same text.
        package var textFNV1a: String
    }

    package struct Run: Codable, Sendable {
        package var policy: String
        /// The document's snapshot at the end (what the store would hold fully compacted).
        package var snapshotBytes: Int
        /// The store (database + WAL) at the end, as the run left it (not compacted again).
        package var storeBytes: Int
        /// The largest store seen at any save.
        package var peakStoreBytes: Int
        package var trims: Int
        /// Operations still in the logs at the end.
        package var historyOperations: UInt64
        /// Applying the rewrites and saving every 100 (the durability is `off`: sizes, not fsync).
        package var seconds: Double
    }

    let rewrites: Int
    let policy = (ratio: UInt64(4), minimum: UInt64(100_000), keep: UInt64(10_000))

    package init(rewrites: Int = 100_000) {
        self.rewrites = rewrites
    }

    package func run(progress: (String) -> Void = { _ in }) throws -> Result {
        let never = try run(trimming: false, progress: progress)
        let automatic = try run(trimming: true, progress: progress)
        return Result(
            rewrites: rewrites, textLength: RewriteWorkload.textLength, operations: never.document.versionVector.totalOperations,
            never: never.run, automatic: automatic.run,
            storeToSnapshot: Double(automatic.run.storeBytes) / Double(automatic.run.snapshotBytes),
            trimmingShrinksSnapshotBy: Double(never.run.snapshotBytes) / Double(automatic.run.snapshotBytes),
            timeTravelWithinKeptHistory: automatic.timeTravelWorks, textFNV1a: Self.fnv1a(automatic.document.text()))
    }

    static func fnv1a(_ text: String) -> String {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    private func run(trimming: Bool, progress: (String) -> Void) throws -> (run: Run, document: Document, timeTravelWorks: Bool) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("zinc-rewrite-bench-\(getpid())-\(trimming)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try DocumentStore(directory: directory, durability: .off)
        var workload = RewriteWorkload()
        var document = Document(replica: ReplicaID(deterministicFrom: "rewriter"))
        document.setUndoEnabled(false)
        try document.transact { try $0.insert(workload.initialText(), at: 0) }
        var peak = 0, trims = 0
        // A version a few hundred rewrites before the end, with its text: time travel to it
        // must still work after the last trim.
        var probe: (VersionVector, String)?
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for index in 1...rewrites {
                let rewrite = workload.nextRewrite()
                try document.transact { document in
                    try document.delete(rewrite.position..<rewrite.position + rewrite.text.unicodeScalars.count)
                    try document.insert(rewrite.text, at: rewrite.position)
                }
                if index == rewrites - 300 { probe = (document.versionVector, document.text()) }
                if trimming, index % 1000 == 0 {
                    let history = document.historyOperations
                    if history >= policy.minimum, history > policy.ratio * document.stateSize {
                        if try document.trim(below: document.version(keepingLast: policy.keep)) { trims += 1 }
                    }
                }
                if index % 100 == 0 {
                    try store.save(document, id: "doc")
                    peak = max(peak, store.sizeOnDisk)
                }
            }
            try store.save(document, id: "doc")
            peak = max(peak, store.sizeOnDisk)
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let run = Run(
            policy: trimming ? "automatic" : "never", snapshotBytes: document.encodedSnapshot().count, storeBytes: store.sizeOnDisk,
            peakStoreBytes: peak, trims: trims, historyOperations: document.historyOperations, seconds: seconds)
        progress("rewrites, trimming \(run.policy): snapshot \(run.snapshotBytes) B, store \(run.storeBytes) B (peak \(peak) B), \(trims) trims")
        var travels = false
        if let (version, text) = probe { travels = try document.at(version).text() == text }
        return (run, document, travels)
    }
}

/// The rewrite workload, from SplitMix64 so another language can make the same edits: the
/// initial text is 2,000 characters, then each rewrite draws a position below 1,993, a length
/// 1–8, and that many characters. A character is `next() % 27`: 26 is a space, the rest `a`–`z`.
package struct RewriteWorkload {
    package static let textLength = 2000
    private var state: UInt64

    package init(seed: UInt64 = 42) {
        state = seed
    }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private mutating func characters(_ count: Int) -> String {
        String(String.UnicodeScalarView((0..<count).map { _ in
            let value = next() % 27
            return Unicode.Scalar(value == 26 ? 0x20 : 0x61 + UInt8(value))
        }))
    }

    package mutating func initialText() -> String { characters(Self.textLength) }

    package mutating func nextRewrite() -> (position: Int, text: String) {
        let position = Int(next() % UInt64(Self.textLength - 7))
        let length = 1 + Int(next() % 8)
        return (position, characters(length))
    }
}
