import CZeroMQBench
import Synchronization
import ZeroMQ

/// The binding's overhead check: the same PUSH→PULL loop through the Swift binding and written
/// directly in C, alternated in one run so both see the same machine conditions.
package struct BindingBenchmark: Sendable {
    package struct Options: Sendable {
        package var count = 1_000_000
        package var size = 1024
        package var endpoint = "tcp://127.0.0.1:*"
        package var rounds = 5
        package init() {}
    }

    /// One loop's throughput in messages per second.
    package struct Rates: Sendable, Codable, Equatable {
        package let sender: Double
        package let receiver: Double
    }

    package struct Result: Sendable, Codable {
        package let count: Int
        package let size: Int
        package let endpoint: String
        package let rounds: Int
        package let cSender: Summary
        package let cReceiver: Summary
        package let swiftSender: Summary
        package let swiftReceiver: Summary
        /// Binding receiver rate over C receiver rate, medians.
        package let receiverRatio: Double
        /// Binding sender rate over C sender rate, medians.
        package let senderRatio: Double
    }

    package let options: Options
    package init(_ options: Options) { self.options = options }

    package func run(progress: (String) -> Void = { _ in }) throws -> Result {
        var c: [Rates] = []
        var swift: [Rates] = []
        for round in 1...options.rounds {
            // Alternate which loop runs first: the second runs on a warmer machine (caches,
            // frequency, libzmq's I/O thread), which would otherwise always favour one side.
            for runsC in round % 2 == 1 ? [true, false] : [false, true] {
                if runsC {
                    let viaC = try runC()
                    c.append(viaC)
                    progress("round \(round)/\(options.rounds) C:     send \(formatRate(viaC.sender)), receive \(formatRate(viaC.receiver))")
                } else {
                    let viaSwift = try runSwift()
                    swift.append(viaSwift)
                    progress("round \(round)/\(options.rounds) Swift: send \(formatRate(viaSwift.sender)), receive \(formatRate(viaSwift.receiver))")
                }
            }
        }
        let cSender = Summary(c.map(\.sender)), cReceiver = Summary(c.map(\.receiver))
        let sSender = Summary(swift.map(\.sender)), sReceiver = Summary(swift.map(\.receiver))
        return Result(
            count: options.count, size: options.size, endpoint: options.endpoint, rounds: options.rounds,
            cSender: cSender, cReceiver: cReceiver, swiftSender: sSender, swiftReceiver: sReceiver,
            receiverRatio: sReceiver.median / cReceiver.median, senderRatio: sSender.median / cSender.median)
    }

    func runC() throws -> Rates {
        var sendSeconds = 0.0, receiveSeconds = 0.0
        let status = czmq_bench_push_pull(options.endpoint, options.count, options.size, &sendSeconds, &receiveSeconds)
        guard status == 0 else { throw ZMQError(code: .invalidArgument, operation: "C push/pull loop", message: "libzmq failed") }
        return Rates(sender: Double(options.count) / sendSeconds, receiver: Double(options.count - 1) / receiveSeconds)
    }

    /// The Swift loop: a receiving socket on this thread and a sending one on its own thread,
    /// each with its own context, exactly like the C loop.
    func runSwift() throws -> Rates {
        let receiveContext = try Context()
        let pull = try Socket(.pull, context: receiveContext)
        try pull.bind(options.endpoint)
        let address = try pull.lastEndpoint
        let count = options.count
        let size = options.size
        let sendNanoseconds = Atomic<Int>(0)
        let sender = IOThread(name: "bench-push") {
            do throws(ZMQError) {
                let context = try Context()
                let push = try Socket(.push, context: context)
                try push.setOption(.linger, .seconds(1))
                try push.connect(address)
                let payload = [UInt8](repeating: 0x7A, count: size)
                let clock = ContinuousClock()
                let start = clock.now
                for _ in 0..<count { try push.send(payload) }
                sendNanoseconds.store(Int(nanoseconds(clock.now - start)), ordering: .relaxed)
                push.close()
            } catch {
                sendNanoseconds.store(-1, ordering: .relaxed)
            }
        }
        let clock = ContinuousClock()
        var start = clock.now
        var received = 0
        for index in 0..<count {
            let frame = try pull.receive()
            received &+= frame.count
            if index == 0 { start = clock.now }
        }
        let receiveTime = clock.now - start
        sender.join()
        let sent = sendNanoseconds.load(ordering: .relaxed)
        guard sent > 0, received == count * size else {
            throw ZMQError(code: .invalidArgument, operation: "Swift push/pull loop", message: "sender failed")
        }
        return Rates(sender: Double(count) / (Double(sent) / 1e9), receiver: Double(count - 1) / (nanoseconds(receiveTime) / 1e9))
    }
}

func nanoseconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
}
