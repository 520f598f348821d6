import Foundation
import Synchronization
import Zinc
import ZeroMQ
import ZincProtocol

/// Latency against the number of messages sent, at a fixed rate: raw libzmq PUB→SUB, Zinc one
/// hop (client → host → another client) and a depth-3 tree (leaf → root → leaf in another
/// branch: six hops).
package struct LatencyBenchmark {
    package struct Options: Sendable {
        package var counts = [1_000, 5_000, 10_000, 50_000, 100_000]
        package var rate = 10_000
        package var size = 1024
        /// Zinc's nodes batch (packed frames).
        package var batching = true
        package init() {}
    }

    package struct Point: Codable, Sendable {
        package var count: Int
        package var averageMicroseconds: Double
        package var p50Microseconds: Double
        package var p99Microseconds: Double
        package var received: Int
    }

    package struct Result: Codable, Sendable {
        package var rate: Int
        package var size: Int
        package var batching: Bool
        /// Path name ("raw", "oneHop", "depth3") → one point per count.
        package var paths: [String: [Point]]
    }

    let options: Options
    package init(_ options: Options) { self.options = options }

    package func run(progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Result {
        var paths: [String: [Point]] = [:]
        for count in options.counts {
            let raw = try await runRaw(count: count)
            paths["raw", default: []].append(raw)
            progress("raw      \(count): p50 \(fixed(raw.p50Microseconds, digits: 0)) µs, p99 \(fixed(raw.p99Microseconds, digits: 0)) µs")
        }
        for (name, depth) in [("oneHop", 1), ("depth3", 3)] {
            let tree = try BenchTree(transport: "tcp", batching: options.batching)
            let (sender, receiver) = try await build(tree, depth: depth)
            let origin = ContinuousClock.now
            let handler = CountingHandler(channel: "latency", origin: origin, recordLatency: true)
            try await receiver.register(handler)
            for count in options.counts {
                handler.reset()
                let point = try await measure(count: count, origin: origin, handler: handler) { bodies in
                    _ = try await sender.send(channel: "latency", routing: .broadcast, bodies: bodies)
                }
                paths[name, default: []].append(point)
                progress("\(name.padding(toLength: 8, withPad: " ", startingAt: 0)) \(count): p50 \(fixed(point.p50Microseconds, digits: 0)) µs, p99 \(fixed(point.p99Microseconds, digits: 0)) µs")
            }
            await tree.shutdown()
        }
        return Result(rate: options.rate, size: options.size, batching: options.batching, paths: paths)
    }

    /// Depth 1: host with two clients. Depth 3: two chains of three under one root.
    private func build(_ tree: BenchTree, depth: Int) async throws -> (Endpoint, Endpoint) {
        let root = try tree.node()
        var left = root, right = root
        for _ in 0..<depth {
            left = try tree.node(join: left)
            try await tree.waitForTree()
            right = try tree.node(join: right)
            try await tree.waitForTree()
        }
        return (left, right)
    }

    /// Sends `count` timestamped messages at the configured rate (in 1 ms batches) and collects
    /// the receiver's latencies.
    private func measure(count: Int, origin: ContinuousClock.Instant, handler: CountingHandler, send: ([[UInt8]]) async throws -> Void) async throws -> Point {
        let perMillisecond = max(1, options.rate / 1000)
        let clock = ContinuousClock()
        let start = clock.now
        var sent = 0
        while sent < count {
            let due = min(count, Int(Double(options.rate) * nanoseconds(clock.now - start) / 1e9) + perMillisecond)
            if due > sent {
                let bodies = (sent..<due).map { _ in timestampedBody(size: options.size, origin: origin) }
                try await send(bodies)
                sent = due
            }
            try await Task.sleep(for: .microseconds(500))
        }
        let deadline = clock.now + .seconds(10)
        while handler.count < count && clock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        return Self.point(count: count, latencies: handler.takeLatencies())
    }

    static func point(count: Int, latencies: [Double]) -> Point {
        guard !latencies.isEmpty else { return Point(count: count, averageMicroseconds: 0, p50Microseconds: 0, p99Microseconds: 0, received: 0) }
        return Point(
            count: count, averageMicroseconds: latencies.reduce(0, +) / Double(latencies.count),
            p50Microseconds: percentile(latencies, 0.5), p99Microseconds: percentile(latencies, 0.99), received: latencies.count)
    }

    /// Raw PUB → SUB over tcp loopback at the same rate: the floor.
    private func runRaw(count: Int) async throws -> Point {
        let context = try Context()
        defer { context.shutdown() }
        let publisher = try Socket(.pub, context: context)
        try publisher.setOption(.sendHighWaterMark, 0)
        try publisher.bind("tcp://127.0.0.1:*")
        let address = try publisher.lastEndpoint
        let origin = ContinuousClock.now
        let latencies = Mutex<[Double]>([])
        let ready = Atomic<Bool>(false)
        let receiver = IOThread(name: "bench-sub") {
            guard let subscriber = try? Socket(.sub, context: context) else { return }
            try? subscriber.setOption(.receiveHighWaterMark, 0)
            try? subscriber.subscribe([])
            try? subscriber.connect(address)
            ready.store(true, ordering: .relaxed)
            var received = 0
            var local: [Double] = []
            local.reserveCapacity(count)
            while received < count + 1 {
                guard let frame = try? subscriber.receive(timeout: .seconds(5)) else { break }
                received += 1
                guard frame.count >= 8, frame != [0] else { continue }
                let sent = frame.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                local.append(nanoseconds(ContinuousClock.now - origin) / 1000 - Double(sent) / 1000)
            }
            subscriber.close()
            latencies.withLock { $0 = local }
        }
        while !ready.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(1)) }
        // Let the subscription reach the publisher, then a marker the receiver skips.
        try await Task.sleep(for: .milliseconds(200))
        try publisher.send([0])
        let clock = ContinuousClock()
        let start = clock.now
        var sent = 0
        while sent < count {
            let due = min(count, Int(Double(options.rate) * nanoseconds(clock.now - start) / 1e9) + max(1, options.rate / 1000))
            while sent < due {
                try publisher.send(timestampedBody(size: options.size, origin: origin))
                sent += 1
            }
            try await Task.sleep(for: .microseconds(500))
        }
        receiver.join()
        publisher.close()
        return Self.point(count: count, latencies: latencies.withLock { $0 })
    }
}
