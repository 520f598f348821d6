import CZeroMQ
import Synchronization

/// A transport event reported by a socket monitor (zmq_socket_monitor(3)).
public struct SocketEvent: Sendable, Hashable, CustomStringConvertible {
    /// What happened.
    public struct Kind: OptionSet, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let connected = Kind(rawValue: ZMQ_EVENT_CONNECTED)
        public static let connectDelayed = Kind(rawValue: ZMQ_EVENT_CONNECT_DELAYED)
        public static let connectRetried = Kind(rawValue: ZMQ_EVENT_CONNECT_RETRIED)
        public static let listening = Kind(rawValue: ZMQ_EVENT_LISTENING)
        public static let bindFailed = Kind(rawValue: ZMQ_EVENT_BIND_FAILED)
        public static let accepted = Kind(rawValue: ZMQ_EVENT_ACCEPTED)
        public static let acceptFailed = Kind(rawValue: ZMQ_EVENT_ACCEPT_FAILED)
        public static let closed = Kind(rawValue: ZMQ_EVENT_CLOSED)
        public static let closeFailed = Kind(rawValue: ZMQ_EVENT_CLOSE_FAILED)
        public static let disconnected = Kind(rawValue: ZMQ_EVENT_DISCONNECTED)
        public static let monitorStopped = Kind(rawValue: ZMQ_EVENT_MONITOR_STOPPED)
        /// The ZMTP handshake failed for a reason libzmq does not detail.
        public static let handshakeFailedNoDetail = Kind(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
        /// The ZMTP (and security) handshake completed.
        public static let handshakeSucceeded = Kind(rawValue: ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
        /// The peer broke the ZMTP protocol (malformed or unexpected commands, e.g. a wrong key).
        public static let handshakeFailedProtocol = Kind(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        /// Authentication failed: ZAP refused the peer.
        public static let handshakeFailedAuth = Kind(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

        /// Every handshake failure.
        public static let handshakeFailed: Kind = [.handshakeFailedNoDetail, .handshakeFailedProtocol, .handshakeFailedAuth]
        /// Every event.
        public static let all = Kind(rawValue: ZMQ_EVENT_ALL)

        public var description: String {
            let names: [(Kind, String)] = [
                (.connected, "connected"), (.connectDelayed, "connectDelayed"), (.connectRetried, "connectRetried"),
                (.listening, "listening"), (.bindFailed, "bindFailed"), (.accepted, "accepted"),
                (.acceptFailed, "acceptFailed"), (.closed, "closed"), (.closeFailed, "closeFailed"),
                (.disconnected, "disconnected"), (.monitorStopped, "monitorStopped"),
                (.handshakeFailedNoDetail, "handshakeFailedNoDetail"), (.handshakeSucceeded, "handshakeSucceeded"),
                (.handshakeFailedProtocol, "handshakeFailedProtocol"), (.handshakeFailedAuth, "handshakeFailedAuth"),
            ]
            let matching = names.filter { contains($0.0) }.map(\.1)
            return matching.isEmpty ? "event(0x\(String(rawValue, radix: 16)))" : matching.joined(separator: "|")
        }
    }

    /// The event.
    public let kind: Kind
    /// The event's value: a file descriptor, an errno, a retry interval or a protocol error code.
    public let value: UInt32
    /// The endpoint the event concerns.
    public let endpoint: String

    public var description: String { "\(kind) \(endpoint) (\(value))" }
}

/// Receives the transport events of one socket. Belongs to the socket's thread; add
/// ``socket`` to a ``Poller`` to wait for events alongside other sockets.
public final class SocketMonitor {
    /// The PAIR socket events arrive on.
    public let socket: Socket
    private let endpoint: String
    private weak var monitored: Socket?

    private static let counter = Atomic<Int>(0)

    /// Starts monitoring `monitored` for `events`.
    public init(_ monitored: Socket, events: SocketEvent.Kind = .all) throws(ZMQError) {
        let serial = Self.counter.add(1, ordering: .relaxed).newValue
        let endpoint = "inproc://zinc.monitor.\(serial)"
        let handle = try monitored.openHandle("zmq_socket_monitor")
        _ = try zmqCheck("zmq_socket_monitor(\(endpoint))") {
            zmq_socket_monitor(handle, endpoint, events.rawValue)
        }
        let pair = try Socket(.pair, context: monitored.context)
        try pair.connect(endpoint)
        self.socket = pair
        self.endpoint = endpoint
        self.monitored = monitored
    }

    deinit { stop() }

    /// Stops monitoring and closes the event socket. Idempotent.
    public func stop() {
        if let monitored, let handle = monitored.handle {
            zmq_socket_monitor(handle, nil, 0)
        }
        monitored = nil
        socket.close()
    }

    /// The next event, waiting at most `timeout`; `nil` if none arrived.
    public func nextEvent(timeout: Duration) throws(ZMQError) -> SocketEvent? {
        guard let frames = try socket.receiveMessage(timeout: timeout) else { return nil }
        return Self.decode(frames)
    }

    /// The next event if one is queued, without waiting.
    public func nextEvent() throws(ZMQError) -> SocketEvent? {
        do {
            return Self.decode(try socket.receiveMessage(.dontWait))
        } catch where error.isWouldBlock {
            return nil
        }
    }

    /// Waits up to `timeout` for an event of one of `kinds`, skipping others.
    public func waitFor(_ kinds: SocketEvent.Kind, timeout: Duration) throws(ZMQError) -> SocketEvent? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            guard let event = try nextEvent(timeout: clock.now.duration(to: deadline)) else { return nil }
            if !event.kind.intersection(kinds).isEmpty { return event }
        }
        return nil
    }

    /// Frame 1: a 16-bit event number then a 32-bit value, in host byte order; frame 2: the
    /// endpoint. Anything else is not a monitor event and is ignored.
    static func decode(_ frames: [[UInt8]]) -> SocketEvent? {
        guard frames.count >= 2, frames[0].count >= 6 else { return nil }
        let header = frames[0]
        let event = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt16.self) }
        let value = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 2, as: UInt32.self) }
        return SocketEvent(
            kind: .init(rawValue: Int32(event)), value: value,
            endpoint: String(decoding: frames[1], as: UTF8.self))
    }
}
