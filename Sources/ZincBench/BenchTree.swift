import Foundation
import Logging
import Synchronization
import Zinc
import ZeroMQ
import ZincCore
import ZincProtocol

/// Endpoints in this process for a benchmark, on one transport.
final class BenchTree {
    let transport: String
    /// Whether every node batches (``EndpointConfiguration/batchesMessages``).
    let batching: Bool
    let context: Context
    var endpoints: [Endpoint] = []
    private let tag = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

    init(transport: String, batching: Bool = true) throws {
        self.transport = transport
        self.batching = batching
        context = try Context()
    }

    func address(_ index: Int) -> String {
        switch transport {
        case "ipc": "ipc://\(FileManager.default.temporaryDirectory.path)/zinc-bench-\(tag)-\(index)"
        case "inproc": "inproc://zinc-bench-\(tag)-\(index)"
        default: "tcp://127.0.0.1:*"
        }
    }

    /// A node that can host, joined to `parent` if given.
    @discardableResult
    func node(join parent: Endpoint? = nil, fanout: Int = 16, configure: (inout EndpointConfiguration) -> Void = { _ in }) throws -> Endpoint {
        var configuration = EndpointConfiguration(id: .random())
        configuration.bind = address(endpoints.count)
        configuration.join = parent?.addresses.map { [$0.publish] } ?? []
        configuration.fanout = fanout
        configuration.interest = .all
        configuration.context = context
        configuration.logger.logLevel = Self.logLevel
        configuration.batchesMessages = batching
        configure(&configuration)
        let endpoint = try Endpoint(configuration)
        endpoints.append(endpoint)
        return endpoint
    }

    /// Waits until every endpoint but the first has joined.
    func waitForTree(timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var joined = 0
            for endpoint in endpoints.dropFirst() where try await endpoint.status().link.isJoined { joined += 1 }
            if joined == endpoints.count - 1 {
                // One more heartbeat round, so hosts know their children's subscriptions.
                try await Task.sleep(for: .milliseconds(300))
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BenchError("the benchmark tree did not form within \(timeout)")
    }

    /// Warnings by default; `ZINC_BENCH_LOG=info` (or `debug`, `trace`) shows why a run stalls:
    /// joins, suspicions, promotions and transfers of every node in the tree.
    static let logLevel = ProcessInfo.processInfo.environment["ZINC_BENCH_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning

    func shutdown() async {
        for endpoint in endpoints.reversed() { await endpoint.shutdown() }
        endpoints.removeAll()
        context.shutdown()
    }
}

package struct BenchError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}

/// Counts application messages on one channel from the I/O thread, with first/last times and
/// optional per-message latencies (bodies that start with a send timestamp).
final class CountingHandler: MessageHandler, Sendable {
    let channels: Set<String>
    let origin: ContinuousClock.Instant
    private let state = Mutex<(count: Int, first: ContinuousClock.Instant?, last: ContinuousClock.Instant?, latencies: [Double])>((0, nil, nil, []))
    let recordLatency: Bool
    /// When set (and latencies are not recorded), the clock is read only at the first message
    /// and at this many, as the raw libzmq receiver reads it: the same work on both sides.
    let expected: Int?

    init(channel: String, origin: ContinuousClock.Instant, recordLatency: Bool = false, expected: Int? = nil) {
        channels = [channel]
        self.origin = origin
        self.recordLatency = recordLatency
        self.expected = expected
    }

    func handle(_ message: Message, context: MessageContext) {
        if !recordLatency, let expected {
            state.withLock { state in
                state.count += 1
                if state.count == 1 || state.count == expected {
                    let now = ContinuousClock.now
                    if state.first == nil { state.first = now }
                    state.last = now
                }
            }
            return
        }
        let now = ContinuousClock.now
        var latency: Double?
        if recordLatency, message.body.count >= 8 {
            let sent = message.body.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            latency = nanoseconds(now - origin) / 1000 - Double(sent) / 1000
        }
        state.withLock { state in
            state.count += 1
            if state.first == nil { state.first = now }
            state.last = now
            if let latency { state.latencies.append(latency) }
        }
    }

    var count: Int { state.withLock { $0.count } }
    var span: Duration? { state.withLock { state in state.first.flatMap { first in state.last.map { $0 - first } } } }
    /// The span, or while fewer than `expected` arrived (the last was not timed) up to `end`: a
    /// lower bound on the rate of an incomplete run.
    func span(orUntil end: ContinuousClock.Instant) -> Duration? {
        state.withLock { state in
            guard let first = state.first else { return nil }
            if let expected, state.count < expected { return end - first }
            return state.last.map { $0 - first }
        }
    }
    func takeLatencies() -> [Double] { state.withLock { state in defer { state.latencies.removeAll() }; return state.latencies } }
    func reset() { state.withLock { $0 = (0, nil, nil, []) } }
}

/// A body of `size` bytes starting with the send time (µs-resolution nanoseconds since `origin`).
func timestampedBody(size: Int, origin: ContinuousClock.Instant) -> [UInt8] {
    let stamp = UInt64(nanoseconds(ContinuousClock.now - origin))
    var body = [UInt8](repeating: 0x61, count: max(size, 8))
    for index in 0..<8 { body[index] = UInt8(truncatingIfNeeded: stamp >> (56 - 8 * UInt64(index))) }
    return body
}
