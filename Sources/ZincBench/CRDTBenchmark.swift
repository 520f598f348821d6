import ZincCore

/// Measures Zinc's text CRDT on a recorded trace: local replay, encoding, loading, applying
/// every per-transaction delta remotely, delta sizes and memory.
package struct CRDTBenchmark: Sendable {
    package struct Result: Sendable, Codable {
        package let trace: String
        package let ops: Int
        package let transactions: Int
        package let replayMs: Double
        package let replayMsRange: [Double]
        package let finalLength: Int
        package let matchesEndContent: Bool
        package let encodingBytes: Int
        /// The encoding with the whole history trimmed (state and tombstones only: what a
        /// shallow snapshot at the current version holds).
        package let trimmedEncodingBytes: Int
        package let loadMs: Double
        /// Loading, then reading the whole history (as serving a peer with nothing does).
        package let loadThenHistoryMs: Double
        package let applyRemoteMs: Double
        package let applyRemoteMsRange: [Double]
        package let deltaP50Bytes: Int
        package let deltaP99Bytes: Int
        package let deltaTotalBytes: Int
        package let documentBytes: Int
        /// What a loaded copy of the document holds from malloc (glibc's statistics), once its
        /// history has been read (the logs are decoded when first read).
        package let documentMallocBytes: Int?
        /// The same, straight after loading: the history still encoded.
        package let loadedMallocBytes: Int?
        package let rounds: Int
    }

    package let trace: Trace
    package let rounds: Int

    package init(trace: Trace, rounds: Int = 5) {
        self.trace = trace
        self.rounds = rounds
    }

    package func run(progress: (String) -> Void = { _ in }) throws -> Result {
        if trace.isConcurrent { return try runConcurrent(progress: progress) }
        let clock = ContinuousClock()
        // Local replay: one commit per transaction, as an editor would.
        var replayTimes: [Double] = []
        var document = Document()
        for round in 0..<rounds {
            let start = clock.now
            document = try TraceReplay.replaySequential(trace, replica: ReplicaID(deterministicFrom: "bench-\(round)"))
            replayTimes.append(milliseconds(clock.now - start))
        }
        let text = document.text()
        progress("replay: \(fixed(Summary(replayTimes).median, digits: 1)) ms")

        // Encoding and loading.
        let snapshot = document.encodedSnapshot()
        let (loadTimes, historyTimes) = try Self.loadTimes(snapshot, of: document, rounds: max(rounds, 20))
        progress("load: \(fixed(Summary(loadTimes).median, digits: 3)) ms, \(snapshot.count) bytes")

        // Memory held by the replayed document and by a freshly loaded copy whose history was
        // read (the smaller), as estimated from the structures' capacities, and as the
        // allocator counts it for the loaded copy, before and after its history is read.
        let (loaded, documentMallocBytes) = try measuredAllocation { try Self.loadedWithHistory(snapshot, replica: document.replica) }
        let loadedMallocBytes = measuredAllocation { try? Document(snapshot: snapshot, replica: document.replica) }.bytes
        let documentBytes = min(document.memoryFootprint, loaded.memoryFootprint)

        // Per-transaction deltas as they would go on the wire (author in the envelope).
        var author = Document(replica: ReplicaID(deterministicFrom: "author"))
        author.setUndoEnabled(false)
        var deltas: [[UInt8]] = []
        deltas.reserveCapacity(trace.transactions.count)
        for transaction in trace.transactions {
            for patch in transaction.patches { try author.apply(patch) }
            deltas.append(author.commitFragment().encoded(omittingAuthor: author.replica))
        }
        let sizes = deltas.map { Double($0.count) }
        var applyTimes: [Double] = []
        for round in 0..<rounds {
            var replica = Document(replica: ReplicaID(deterministicFrom: "remote-\(round)"))
            let start = clock.now
            for bytes in deltas {
                try replica.apply(encoded: bytes, author: author.replica)
            }
            applyTimes.append(milliseconds(clock.now - start))
            precondition(replica.length() == author.length())
        }
        progress("apply remote: \(fixed(Summary(applyTimes).median, digits: 1)) ms")
        let replay = Summary(replayTimes)
        let apply = Summary(applyTimes)
        return Result(
            trace: trace.name, ops: trace.patchCount, transactions: trace.transactions.count,
            replayMs: replay.median, replayMsRange: [replay.min, replay.max],
            finalLength: document.length(), matchesEndContent: text == trace.endContent,
            encodingBytes: snapshot.count, trimmedEncodingBytes: try Self.trimmedEncoding(document), loadMs: Summary(loadTimes).median, loadThenHistoryMs: Summary(historyTimes).median,
            applyRemoteMs: apply.median, applyRemoteMsRange: [apply.min, apply.max],
            deltaP50Bytes: Int(percentile(sizes, 0.5)), deltaP99Bytes: Int(percentile(sizes, 0.99)),
            deltaTotalBytes: deltas.reduce(0) { $0 + $1.count }, documentBytes: documentBytes, documentMallocBytes: documentMallocBytes, loadedMallocBytes: loadedMallocBytes, rounds: rounds)
    }
}

extension CRDTBenchmark {
    /// A concurrent trace: one replica per agent, each transaction made on exactly its parents'
    /// merged state. Replay is the whole run; `matchesEndContent` needs every agent, after the
    /// final all-to-all merge, to equal `endContent`. Deltas are the transactions as their
    /// agents committed them, applied in trace order to a fresh replica.
    func runConcurrent(progress: (String) -> Void) throws -> Result {
        let clock = ContinuousClock()
        var replayTimes: [Double] = []
        var agents: [Document] = []
        var deltas: [(author: ReplicaID, bytes: [UInt8])] = []
        for round in 0..<rounds {
            var collected: [(author: ReplicaID, bytes: [UInt8])] = []
            let start = clock.now
            agents = try TraceReplay.replayConcurrent(trace) { author, fragment in
                if round == 0 { collected.append((author, fragment.encoded(omittingAuthor: author))) }
            }
            replayTimes.append(milliseconds(clock.now - start))
            if round == 0 { deltas = collected }
        }
        let matches = agents.allSatisfy { $0.text() == trace.endContent }
        progress("replay: \(fixed(Summary(replayTimes).median, digits: 1)) ms, \(agents.count) agents, \(matches ? "every agent matches" : "MISMATCH")")
        let document = agents.first ?? Document()
        let snapshot = document.encodedSnapshot()
        let (loadTimes, historyTimes) = try Self.loadTimes(snapshot, of: document, rounds: max(rounds, 20))
        var applyTimes: [Double] = []
        for round in 0..<rounds {
            var replica = Document(replica: ReplicaID(deterministicFrom: "remote-\(round)"))
            let start = clock.now
            for delta in deltas { try replica.apply(encoded: delta.bytes, author: delta.author) }
            applyTimes.append(milliseconds(clock.now - start))
            precondition(replica.text() == document.text(), "the deltas replayed to another text")
        }
        let sizes = deltas.map { Double($0.bytes.count) }
        let replay = Summary(replayTimes), apply = Summary(applyTimes)
        return Result(
            trace: trace.name, ops: trace.patchCount, transactions: trace.transactions.count,
            replayMs: replay.median, replayMsRange: [replay.min, replay.max],
            finalLength: document.length(), matchesEndContent: matches,
            encodingBytes: snapshot.count, trimmedEncodingBytes: try Self.trimmedEncoding(document), loadMs: Summary(loadTimes).median, loadThenHistoryMs: Summary(historyTimes).median,
            applyRemoteMs: apply.median, applyRemoteMsRange: [apply.min, apply.max],
            deltaP50Bytes: Int(percentile(sizes, 0.5)), deltaP99Bytes: Int(percentile(sizes, 0.99)),
            deltaTotalBytes: deltas.reduce(0) { $0 + $1.bytes.count }, documentBytes: document.memoryFootprint,
            documentMallocBytes: measuredAllocation { try? Self.loadedWithHistory(snapshot, replica: document.replica) }.bytes,
            loadedMallocBytes: measuredAllocation { try? Document(snapshot: snapshot, replica: document.replica) }.bytes, rounds: rounds)
    }

    /// Milliseconds to load `snapshot`, and to load it and then read its whole history (the
    /// logs are decoded when first read), `rounds` times each.
    private static func loadTimes(_ snapshot: [UInt8], of document: Document, rounds: Int) throws -> (load: [Double], thenHistory: [Double]) {
        let clock = ContinuousClock()
        var load: [Double] = [], thenHistory: [Double] = []
        for _ in 0..<rounds {
            var start = clock.now
            let loaded = try Document(snapshot: snapshot, replica: document.replica)
            load.append(milliseconds(clock.now - start))
            precondition(loaded.length() == document.length())
            start = clock.now
            _ = try loadedWithHistory(snapshot, replica: document.replica)
            thenHistory.append(milliseconds(clock.now - start))
        }
        return (load, thenHistory)
    }

    /// A loaded copy whose history has been read, as serving a peer that lacks it reads it.
    private static func loadedWithHistory(_ snapshot: [UInt8], replica: ReplicaID) throws -> Document {
        let document = try Document(snapshot: snapshot, replica: replica)
        _ = document.lacksHistory(since: VersionVector())
        return document
    }

    static func trimmedEncoding(_ document: Document) throws -> Int {
        var trimmed = document
        try trimmed.trim(below: trimmed.versionVector)
        return trimmed.encodedSnapshot().count
    }

    /// Runs one phase `rounds` times and nothing else, for a profiler.
    package func profile(_ phase: String) throws {
        let clock = ContinuousClock()
        let document = try TraceReplay.replaySequential(trace)
        let snapshot = document.encodedSnapshot()
        var deltas: [[UInt8]] = []
        var author = Document(replica: ReplicaID(deterministicFrom: "author"))
        author.setUndoEnabled(false)
        if phase == "apply" {
            for transaction in trace.transactions {
                for patch in transaction.patches { try author.apply(patch) }
                deltas.append(author.commitFragment().encoded(omittingAuthor: author.replica))
            }
        }
        let start = clock.now
        for round in 0..<rounds {
            switch phase {
            case "replay": _ = try TraceReplay.replaySequential(trace)
            case "load": for _ in 0..<100 { _ = try Document(snapshot: snapshot, replica: document.replica) }
            case "load-history": for _ in 0..<100 { _ = try Self.loadedWithHistory(snapshot, replica: document.replica) }
            case "encode": for _ in 0..<20 { _ = document.encodedSnapshot() }
            case "apply":
                var replica = Document(replica: ReplicaID(deterministicFrom: "remote-\(round)"))
                for bytes in deltas { try replica.apply(encoded: bytes, author: author.replica) }
            default: throw DocumentError(.invalidOperation, "unknown phase \(phase)")
            }
        }
        print("\(phase): \(fixed(milliseconds(clock.now - start) / Double(rounds), digits: 2)) ms per round")
    }
}

func milliseconds(_ duration: Duration) -> Double { nanoseconds(duration) / 1e6 }
