import CZeroMQBench
import Foundation
import Zinc
import ZeroMQ
import ZincProtocol
import Synchronization

/// The seed's messaging benchmark through Zinc: `count` messages of `size` bytes from one
/// Endpoint to another (encode, enqueue to the I/O thread, send; receive, decode, check the
/// sender, de-duplicate, route, hand to a MessageHandler), against raw libzmq PUSH/PULL in the
/// same run. These are application messages, which take exactly the path deltas take minus the
/// CRDT apply (measured separately by `zinc bench crdt`).
package struct MessagesBenchmark {
    package struct Options: Sendable {
        package var count = 1_000_000
        package var size = 1024
        package var transport = "tcp"
        package var rounds = 3
        /// Zinc's nodes batch (packed frames).
        package var batching = true
        package init() {}
    }

    package struct Result: Codable, Sendable {
        package var count: Int
        package var size: Int
        package var transport: String
        package var rounds: Int
        package var batching: Bool
        /// Medians over the rounds, messages per second.
        package var senderRate: Double
        package var receiverRate: Double
        package var rawSenderRate: Double
        package var rawReceiverRate: Double
        /// receiverRate / rawReceiverRate.
        package var ratio: Double
        package var senderRates: [Double]
        package var receiverRates: [Double]
        package var rawSenderRates: [Double]
        package var rawReceiverRates: [Double]
        /// Messages that did not arrive (must be 0).
        package var lost: Int
    }

    let options: Options
    package init(_ options: Options) { self.options = options }

    package func run(progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Result {
        var zinc: [(Double, Double)] = []
        var raw: [(Double, Double)] = []
        var lost = 0
        for round in 1...options.rounds {
            let rates = try runRaw()
            raw.append(rates)
            progress("round \(round)/\(options.rounds) raw libzmq: send \(formatRate(rates.0)), receive \(formatRate(rates.1))")
            let result = try await runZinc()
            zinc.append((result.sender, result.receiver))
            lost += result.lost
            progress("round \(round)/\(options.rounds) Zinc:       send \(formatRate(result.sender)), receive \(formatRate(result.receiver))\(result.lost > 0 ? ", LOST \(result.lost)" : "")")
        }
        let receiver = percentile(zinc.map(\.1), 0.5)
        let rawReceiver = percentile(raw.map(\.1), 0.5)
        return Result(
            count: options.count, size: options.size, transport: options.transport, rounds: options.rounds, batching: options.batching,
            senderRate: percentile(zinc.map(\.0), 0.5), receiverRate: receiver,
            rawSenderRate: percentile(raw.map(\.0), 0.5), rawReceiverRate: rawReceiver, ratio: receiver / rawReceiver,
            senderRates: zinc.map(\.0), receiverRates: zinc.map(\.1), rawSenderRates: raw.map(\.0), rawReceiverRates: raw.map(\.1),
            lost: lost)
    }

    /// Raw libzmq, written in C (tcp, ipc); inproc needs one shared context, so the Swift
    /// binding's loop (within 2% of C) stands in.
    func runRaw() throws -> (Double, Double) {
        if options.transport == "inproc" {
            var binding = BindingBenchmark.Options()
            binding.count = options.count
            binding.size = options.size
            binding.endpoint = "inproc://zinc-raw-\(UInt32.random(in: 0...UInt32.max))"
            let rates = try BindingBenchmark(binding).runSwiftShared()
            return (rates.sender, rates.receiver)
        }
        let endpoint = options.transport == "ipc" ? "ipc://\(FileManager.default.temporaryDirectory.path)/zinc-raw-\(getpid())" : "tcp://127.0.0.1:*"
        var sendSeconds = 0.0, receiveSeconds = 0.0
        guard czmq_bench_push_pull(endpoint, options.count, options.size, &sendSeconds, &receiveSeconds) == 0 else {
            throw BenchError("the raw libzmq loop failed")
        }
        return (Double(options.count) / sendSeconds, Double(options.count - 1) / receiveSeconds)
    }

    func runZinc() async throws -> (sender: Double, receiver: Double, lost: Int) {
        let tree = try BenchTree(transport: options.transport, batching: options.batching)
        let host = try tree.node()
        let client = try tree.node(join: host)
        try await tree.waitForTree()
        let handler = CountingHandler(channel: "bench", origin: .now, expected: options.count)
        try await host.register(handler)
        let body = [UInt8](repeating: 0x61, count: options.size)
        let batch = Array(repeating: body, count: 1000)
        let clock = ContinuousClock()
        let start = clock.now
        var sent = 0
        while sent < options.count {
            let chunk = min(batch.count, options.count - sent)
            var queued = try await client.send(channel: "bench", routing: .up, bodies: chunk == batch.count ? batch : Array(batch.prefix(chunk)))
            sent += chunk
            // Pace on Zinc's own queue, as a producer should: libzmq's is full, and application
            // messages beyond the backlog are dropped (they are best effort, not repaired).
            while queued > 20_000 {
                try await Task.sleep(for: .microseconds(200))
                queued = try await client.send(channel: "bench", routing: .up, bodies: [])
            }
        }
        let sendTime = clock.now - start
        let deadline = clock.now + .seconds(60)
        while handler.count < options.count && clock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        let received = handler.count
        let span = handler.span(orUntil: clock.now) ?? .seconds(1)
        await tree.shutdown()
        return (Double(options.count) / (nanoseconds(sendTime) / 1e9), Double(max(received - 1, 1)) / (nanoseconds(span) / 1e9), options.count - received)
    }
}

extension BindingBenchmark {
    /// The Swift loop with one context for both sides (needed for inproc).
    func runSwiftShared() throws -> Rates {
        let context = try Context()
        defer { context.shutdown() }
        let pull = try Socket(.pull, context: context)
        try pull.bind(options.endpoint)
        let count = options.count, size = options.size, endpoint = options.endpoint
        let sendNanoseconds = Atomic<Int>(0)
        let sender = IOThread(name: "bench-push") {
            guard let push = try? Socket(.push, context: context), (try? push.connect(endpoint)) != nil else { return }
            let payload = [UInt8](repeating: 0x7A, count: size)
            let clock = ContinuousClock()
            let start = clock.now
            for _ in 0..<count { try? push.send(payload) }
            sendNanoseconds.store(Int(nanoseconds(clock.now - start)), ordering: .relaxed)
            push.close()
        }
        let clock = ContinuousClock()
        var start = clock.now
        for index in 0..<count {
            _ = try pull.receive()
            if index == 0 { start = clock.now }
        }
        let receiveTime = clock.now - start
        sender.join()
        pull.close()
        return Rates(sender: Double(count) / (Double(sendNanoseconds.load(ordering: .relaxed)) / 1e9), receiver: Double(count - 1) / (nanoseconds(receiveTime) / 1e9))
    }
}
