import Foundation
import Synchronization
import ZeroMQ

/// The three transports tests may use: in-process, Unix sockets, and TCP on loopback only.
enum Transport: String, CaseIterable, Sendable, CustomStringConvertible {
    case inproc, ipc, tcp

    private static let serial = Atomic<Int>(0)

    /// A fresh endpoint to bind: unique per call, loopback only for TCP.
    func bindEndpoint() -> String {
        let n = Self.serial.add(1, ordering: .relaxed).newValue
        switch self {
        case .inproc: return "inproc://zmq-test-\(n)"
        case .ipc: return "ipc://\(NSTemporaryDirectory())zmq-test-\(getpid())-\(n).sock"
        case .tcp: return "tcp://127.0.0.1:*"
        }
    }

    var description: String { rawValue }
}

extension Socket {
    /// Binds to a fresh endpoint of `transport` and returns the address peers connect to.
    func bindFresh(_ transport: Transport) throws -> String {
        try bind(transport.bindEndpoint())
        return try lastEndpoint
    }
}

/// Subscribes `sub` to `prefixes` and waits until the XPUB `publisher` has seen each one, so a
/// test never races the subscription handshake (the slow-joiner problem) with a sleep.
func awaitSubscriptions(_ publisher: Socket, count: Int, timeout: Duration = .seconds(5)) throws -> [[UInt8]] {
    var seen: [[UInt8]] = []
    while seen.count < count {
        guard let frames = try publisher.receiveMessage(timeout: timeout) else {
            throw TestFailure("publisher saw \(seen.count) of \(count) subscriptions")
        }
        seen.append(frames[0])
    }
    return seen
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }
