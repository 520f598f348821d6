import Foundation
import Synchronization
import Zinc
import ZeroMQ
package import ZincCore
import ZincProtocol

/// One host publishing document deltas to N clients, every one of which must end with every
/// delta — through backpressure and digest repair when PUB drops, not by luck — against raw
/// PUB/SUB at libzmq's default high-water mark (which loses) and with none.
///
/// Each delta inserts `size` characters and deletes the previous insert, so every replica
/// holds the whole history of operations while its visible text stays small.
package struct FanoutBenchmark {
    package struct Options: Sendable {
        package var count = 1_000_000
        package var size = 1024
        package var subscribers = 8
        /// Zinc's nodes batch (packed frames).
        package var batching = true
        package init() {}
    }

    package struct Result: Codable, Sendable {
        package var count: Int
        package var size: Int
        package var subscribers: Int
        package var batching: Bool
        /// Deltas per second the host produced.
        package var senderRate: Double
        /// Deltas per second until the last client held all of them.
        package var deliveredRate: Double
        /// Clients holding every delta at the end (must equal subscribers).
        package var completeSubscribers: Int
        package var repairs: UInt64
        /// The host's view, to tell why a run stalls: children it declared dead (a child
        /// dropped under load leaves the trim floor, and comes back below it), chunked transfers
        /// it completed (snapshots and large fragments), edits it held back and children it
        /// stopped waiting for (flow control).
        package var hostChildFailures: UInt64
        package var hostTransfers: UInt64
        package var hostEditsHeldBack: UInt64
        package var hostSlowChildrenReleased: UInt64
        package var rawDefaultRate: Double
        package var rawDefaultDeliveredFraction: Double
        package var rawUnlimitedRate: Double
        package var rawUnlimitedDeliveredFraction: Double
        package var ratio: Double
        /// Bytes allocated from malloc once every client held every delta, before the tree shut
        /// down: the host's and the clients' replicas, with their histories, and the runtime.
        package var allocatedBytesAfterRun: Int?
        /// The process's peak resident set (`getrusage`), raw runs included.
        package var peakResidentBytes: Int
        /// The host's replica once every client held every delta (``Document/memoryParts``),
        /// the operations its history still held and the trims it made.
        package var hostDocumentAfterRun: Document.MemoryParts?
        package var hostHistoryOperations: UInt64?
        package var hostTrims: UInt64?
    }


    let options: Options
    package init(_ options: Options) { self.options = options }

    package func run(progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Result {
        let rawDefault = try runRaw(highWaterMark: 1000)
        progress("raw PUB/SUB, default HWM: \(formatRate(rawDefault.rate)), \(fixed(rawDefault.fraction * 100, digits: 1))% delivered")
        let rawUnlimited = try runRaw(highWaterMark: 0)
        progress("raw PUB/SUB, no HWM:      \(formatRate(rawUnlimited.rate)), \(fixed(rawUnlimited.fraction * 100, digits: 1))% delivered")

        let tree = try BenchTree(transport: "tcp", batching: options.batching)
        let host = try tree.node(fanout: options.subscribers)
        var clients: [Endpoint] = []
        for _ in 0..<options.subscribers { clients.append(try tree.node(join: host)) }
        try await tree.waitForTree()
        let handle = try await host.document("fanout")
        for client in clients { _ = try await client.document("fanout") }
        try await Task.sleep(for: .milliseconds(300))
        let chunk = String(repeating: "z", count: options.size)
        let size = options.size
        let clock = ContinuousClock()
        let start = clock.now
        let batch = 256
        var made = 0
        while made < options.count {
            let count = min(batch, options.count - made)
            let first = made == 0
            try await handle.editBatch(count) { document, index in
                if index == 0 && first { document.setUndoEnabled(false) }
                let length = document.length()
                try document.insert(chunk, at: length)
                if length >= size { try document.delete(0..<size) }
            }
            made += count
        }
        let produced = clock.now - start
        let target = try await handle.versionVector()
        progress("host made \(options.count) deltas in \(fixed(nanoseconds(produced) / 1e9, digits: 2)) s; waiting for \(options.subscribers) clients")
        var complete = 0
        let deadline = clock.now + .seconds(600)
        while clock.now < deadline {
            complete = 0
            for client in clients where try await client.document("fanout").versionVector() == target { complete += 1 }
            if complete == clients.count { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let delivered = clock.now - start
        let allocatedAfterRun = allocatedBytes()
        let (hostDocument, hostHistory) = try await handle.read { ($0.memoryParts, $0.historyOperations) }
        let hostTrims = try await handle.counters().trims
        var repairs: UInt64 = 0
        for client in clients { repairs += try await client.status().counters[.repairs] }
        let hostCounters = try await host.status().counters
        await tree.shutdown()
        let rate = Double(options.count) / (nanoseconds(delivered) / 1e9)
        return Result(
            count: options.count, size: options.size, subscribers: options.subscribers, batching: options.batching,
            senderRate: Double(options.count) / (nanoseconds(produced) / 1e9), deliveredRate: rate,
            completeSubscribers: complete, repairs: repairs,
            hostChildFailures: hostCounters[.childFailures], hostTransfers: hostCounters[.transfers],
            hostEditsHeldBack: hostCounters[.editsHeldBack], hostSlowChildrenReleased: hostCounters[.slowChildrenReleased],
            rawDefaultRate: rawDefault.rate, rawDefaultDeliveredFraction: rawDefault.fraction,
            rawUnlimitedRate: rawUnlimited.rate, rawUnlimitedDeliveredFraction: rawUnlimited.fraction,
            ratio: rate / rawUnlimited.rate, allocatedBytesAfterRun: allocatedAfterRun, peakResidentBytes: Self.peakResidentBytes(),
            hostDocumentAfterRun: hostDocument, hostHistoryOperations: hostHistory, hostTrims: hostTrims)
    }

    private static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    /// Raw PUB → N SUB threads; the rate is messages per second until the slowest subscriber
    /// stopped receiving, and the fraction is what arrived on average.
    private func runRaw(highWaterMark: Int) throws -> (rate: Double, fraction: Double) {
        let context = try Context()
        defer { context.shutdown() }
        let publisher = try Socket(.pub, context: context)
        try publisher.setOption(.sendHighWaterMark, highWaterMark)
        try publisher.bind("tcp://127.0.0.1:*")
        let address = try publisher.lastEndpoint
        let count = options.count
        let received = Mutex<[Int]>([])
        let lastArrival = Mutex<ContinuousClock.Instant?>(nil)
        let connected = Atomic<Int>(0)
        let threads = (0..<options.subscribers).map { _ in
            IOThread(name: "bench-sub") {
                guard let subscriber = try? Socket(.sub, context: context) else { return }
                try? subscriber.setOption(.receiveHighWaterMark, highWaterMark)
                try? subscriber.subscribe([])
                try? subscriber.connect(address)
                connected.add(1, ordering: .relaxed)
                var got = 0
                var last: ContinuousClock.Instant?
                while got < count {
                    guard (try? subscriber.receive(timeout: .milliseconds(500))) != nil else { break }
                    got += 1
                    last = .now
                }
                if let last { lastArrival.withLock { $0 = max($0 ?? last, last) } }
                subscriber.close()
                received.withLock { $0.append(got) }
            }
        }
        while connected.load(ordering: .relaxed) < options.subscribers { usleep(1000) }
        usleep(300_000)
        let payload = [UInt8](repeating: 0x7A, count: options.size)
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<count { try publisher.send(payload) }
        for thread in threads { thread.join() }
        // Until the last message reached the last subscriber (not the idle wait after it).
        let end = lastArrival.withLock { $0 } ?? clock.now
        let elapsed = max(nanoseconds(end - start) / 1e9, 1e-6)
        publisher.close()
        let counts = received.withLock { $0 }
        let fraction = Double(counts.reduce(0, +)) / Double(count * options.subscribers)
        return (Double(count) / elapsed, fraction)
    }
}
