import CZeroMQ

/// A value that can be stored in or read from a socket option.
public protocol SocketOptionValue: Sendable {
    /// Writes `self` as option `name` of `handle`.
    static func write(_ value: Self, name: Int32, handle: UnsafeMutableRawPointer) -> Int32
    /// Reads option `name` of `handle`, or `nil` with `zmq_errno` set.
    static func read(name: Int32, handle: UnsafeMutableRawPointer) -> Self?
}

/// A typed socket option key: ``Socket/setOption(_:_:)`` and ``Socket/option(_:)`` accept
/// only values of the option's type.
///
/// ```swift
/// try socket.setOption(.sendHighWaterMark, 10_000)
/// let port = try socket.option(.lastEndpoint)
/// ```
public struct SocketOption<Value: SocketOptionValue>: Sendable, Hashable, CustomStringConvertible {
    /// libzmq's option number (`ZMQ_SNDHWM`, ...).
    public let name: Int32
    /// A readable label for errors.
    public let label: String

    public init(name: Int32, label: String) {
        self.name = name
        self.label = label
    }

    public var description: String { label }
}

extension Socket {
    /// Sets a socket option.
    public func setOption<Value>(_ option: SocketOption<Value>, _ value: Value) throws(ZMQError) {
        let handle = try openHandle("zmq_setsockopt(\(option))")
        _ = try zmqCheck("zmq_setsockopt(\(option))") { Value.write(value, name: option.name, handle: handle) }
    }

    /// Reads a socket option.
    public func option<Value>(_ option: SocketOption<Value>) throws(ZMQError) -> Value {
        let handle = try openHandle("zmq_getsockopt(\(option))")
        while true {
            if let value = Value.read(name: option.name, handle: handle) { return value }
            if zmq_errno() == EINTR { continue }
            throw ZMQError.last("zmq_getsockopt(\(option))")
        }
    }
}

// MARK: - Value encodings

extension Int: SocketOptionValue {
    /// Stored as a C `int`; values beyond its range are clamped.
    public static func write(_ value: Int, name: Int32, handle: UnsafeMutableRawPointer) -> Int32 {
        var raw = Int32(clamping: value)
        return zmq_setsockopt(handle, name, &raw, MemoryLayout<Int32>.size)
    }

    public static func read(name: Int32, handle: UnsafeMutableRawPointer) -> Int? {
        var raw: Int32 = 0
        var size = MemoryLayout<Int32>.size
        return zmq_getsockopt(handle, name, &raw, &size) == 0 ? Int(raw) : nil
    }
}

extension Int64: SocketOptionValue {
    public static func write(_ value: Int64, name: Int32, handle: UnsafeMutableRawPointer) -> Int32 {
        var raw = value
        return zmq_setsockopt(handle, name, &raw, MemoryLayout<Int64>.size)
    }

    public static func read(name: Int32, handle: UnsafeMutableRawPointer) -> Int64? {
        var raw: Int64 = 0
        var size = MemoryLayout<Int64>.size
        return zmq_getsockopt(handle, name, &raw, &size) == 0 ? raw : nil
    }
}

extension Bool: SocketOptionValue {
    public static func write(_ value: Bool, name: Int32, handle: UnsafeMutableRawPointer) -> Int32 {
        Int.write(value ? 1 : 0, name: name, handle: handle)
    }

    public static func read(name: Int32, handle: UnsafeMutableRawPointer) -> Bool? {
        Int.read(name: name, handle: handle).map { $0 != 0 }
    }
}

extension Duration: SocketOptionValue {
    /// Stored as a C `int` of milliseconds; a negative duration means "forever" to libzmq.
    public static func write(_ value: Duration, name: Int32, handle: UnsafeMutableRawPointer) -> Int32 {
        Int.write(Int(clamping: value.milliseconds), name: name, handle: handle)
    }

    public static func read(name: Int32, handle: UnsafeMutableRawPointer) -> Duration? {
        Int.read(name: name, handle: handle).map { .milliseconds($0) }
    }
}

extension Array: SocketOptionValue where Element == UInt8 {
    public static func write(_ value: [UInt8], name: Int32, handle: UnsafeMutableRawPointer) -> Int32 {
        value.withUnsafeBytes { zmq_setsockopt(handle, name, $0.baseAddress, $0.count) }
    }

    public static func read(name: Int32, handle: UnsafeMutableRawPointer) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 256)
        var size = buffer.count
        let result = buffer.withUnsafeMutableBytes { zmq_getsockopt(handle, name, $0.baseAddress, &size) }
        guard result == 0 else { return nil }
        return Array(buffer.prefix(size))
    }
}

extension String: SocketOptionValue {
    public static func write(_ value: String, name: Int32, handle: UnsafeMutableRawPointer) -> Int32 {
        [UInt8].write(Array(value.utf8), name: name, handle: handle)
    }

    /// libzmq returns strings NUL-terminated; the terminator is dropped.
    public static func read(name: Int32, handle: UnsafeMutableRawPointer) -> String? {
        guard var bytes = [UInt8].read(name: name, handle: handle) else { return nil }
        if let end = bytes.firstIndex(of: 0) { bytes.removeSubrange(end...) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

// MARK: - The options Zinc uses

extension SocketOption where Value == Int {
    /// `ZMQ_SNDHWM`: messages queued per peer before PUB drops / PUSH blocks. 0 = no limit.
    public static var sendHighWaterMark: Self { .init(name: ZMQ_SNDHWM, label: "ZMQ_SNDHWM") }
    /// `ZMQ_RCVHWM`: messages queued per peer on the receiving side. 0 = no limit.
    public static var receiveHighWaterMark: Self { .init(name: ZMQ_RCVHWM, label: "ZMQ_RCVHWM") }
    /// `ZMQ_TCP_KEEPALIVE`: -1 system default, 0 off, 1 on.
    public static var tcpKeepalive: Self { .init(name: ZMQ_TCP_KEEPALIVE, label: "ZMQ_TCP_KEEPALIVE") }
    /// `ZMQ_TCP_KEEPALIVE_IDLE`: seconds of idleness before keepalive probes.
    public static var tcpKeepaliveIdle: Self { .init(name: ZMQ_TCP_KEEPALIVE_IDLE, label: "ZMQ_TCP_KEEPALIVE_IDLE") }
    /// `ZMQ_TCP_KEEPALIVE_CNT`: failed probes before the connection is dropped.
    public static var tcpKeepaliveCount: Self { .init(name: ZMQ_TCP_KEEPALIVE_CNT, label: "ZMQ_TCP_KEEPALIVE_CNT") }
    /// `ZMQ_TCP_KEEPALIVE_INTVL`: seconds between keepalive probes.
    public static var tcpKeepaliveInterval: Self { .init(name: ZMQ_TCP_KEEPALIVE_INTVL, label: "ZMQ_TCP_KEEPALIVE_INTVL") }
    /// `ZMQ_EVENTS`: the socket's current readiness, as ``PollEvents`` raw bits.
    public static var events: Self { .init(name: ZMQ_EVENTS, label: "ZMQ_EVENTS") }
    /// `ZMQ_FD`: a file descriptor that signals when ``events`` may have changed.
    public static var fileDescriptor: Self { .init(name: ZMQ_FD, label: "ZMQ_FD") }
}

extension SocketOption where Value == Int64 {
    /// `ZMQ_MAXMSGSIZE`: the largest frame a peer may send; a peer that sends more is
    /// disconnected. -1 = no limit.
    public static var maximumMessageSize: Self { .init(name: ZMQ_MAXMSGSIZE, label: "ZMQ_MAXMSGSIZE") }
}

extension SocketOption where Value == Duration {
    /// `ZMQ_LINGER`: how long close keeps trying to deliver queued messages (-1 ms: forever).
    public static var linger: Self { .init(name: ZMQ_LINGER, label: "ZMQ_LINGER") }
    /// `ZMQ_RCVTIMEO`: how long a blocking receive waits before `EAGAIN` (-1 ms: forever).
    public static var receiveTimeout: Self { .init(name: ZMQ_RCVTIMEO, label: "ZMQ_RCVTIMEO") }
    /// `ZMQ_SNDTIMEO`: how long a blocking send waits before `EAGAIN` (-1 ms: forever).
    public static var sendTimeout: Self { .init(name: ZMQ_SNDTIMEO, label: "ZMQ_SNDTIMEO") }
    /// `ZMQ_RECONNECT_IVL`: the first wait before reconnecting a dropped connection.
    public static var reconnectInterval: Self { .init(name: ZMQ_RECONNECT_IVL, label: "ZMQ_RECONNECT_IVL") }
    /// `ZMQ_RECONNECT_IVL_MAX`: the cap for exponential reconnect back-off (0: no back-off).
    public static var reconnectIntervalMax: Self { .init(name: ZMQ_RECONNECT_IVL_MAX, label: "ZMQ_RECONNECT_IVL_MAX") }
    /// `ZMQ_HEARTBEAT_IVL`: send a ZMTP PING after this much silence (0: off).
    public static var heartbeatInterval: Self { .init(name: ZMQ_HEARTBEAT_IVL, label: "ZMQ_HEARTBEAT_IVL") }
    /// `ZMQ_HEARTBEAT_TIMEOUT`: drop the connection if no traffic follows a PING this long.
    public static var heartbeatTimeout: Self { .init(name: ZMQ_HEARTBEAT_TIMEOUT, label: "ZMQ_HEARTBEAT_TIMEOUT") }
    /// `ZMQ_HEARTBEAT_TTL`: how long the peer should wait for our traffic (decisecond resolution).
    public static var heartbeatTimeToLive: Self { .init(name: ZMQ_HEARTBEAT_TTL, label: "ZMQ_HEARTBEAT_TTL") }
    /// `ZMQ_HANDSHAKE_IVL`: how long a ZMTP (and CURVE) handshake may take.
    public static var handshakeInterval: Self { .init(name: ZMQ_HANDSHAKE_IVL, label: "ZMQ_HANDSHAKE_IVL") }
    /// `ZMQ_CONNECT_TIMEOUT`: TCP connect timeout (0: the system's).
    public static var connectTimeout: Self { .init(name: ZMQ_CONNECT_TIMEOUT, label: "ZMQ_CONNECT_TIMEOUT") }
}

extension SocketOption where Value == Bool {
    /// `ZMQ_IMMEDIATE`: queue messages only to completed connections.
    public static var immediate: Self { .init(name: ZMQ_IMMEDIATE, label: "ZMQ_IMMEDIATE") }
    /// `ZMQ_ROUTER_MANDATORY`: a ROUTER reports `EHOSTUNREACH` for unknown routing ids
    /// instead of dropping the message.
    public static var routerMandatory: Self { .init(name: ZMQ_ROUTER_MANDATORY, label: "ZMQ_ROUTER_MANDATORY") }
    /// `ZMQ_XPUB_VERBOSE`: an XPUB passes every subscription up, not only new ones.
    public static var xpubVerbose: Self { .init(name: ZMQ_XPUB_VERBOSE, label: "ZMQ_XPUB_VERBOSE") }
    /// `ZMQ_XPUB_NODROP`: an XPUB reports `EAGAIN` at the high-water mark instead of dropping.
    public static var xpubNoDrop: Self { .init(name: ZMQ_XPUB_NODROP, label: "ZMQ_XPUB_NODROP") }
    /// `ZMQ_XPUB_MANUAL`: an XPUB applies no subscription by itself; the application reads each
    /// one and applies what it allows with ``subscribe`` to the pipe it last read from.
    public static var xpubManual: Self { .init(name: ZMQ_XPUB_MANUAL, label: "ZMQ_XPUB_MANUAL") }
    /// `ZMQ_RCVMORE`: more frames of the current message follow (read-only).
    public static var receiveMore: Self { .init(name: ZMQ_RCVMORE, label: "ZMQ_RCVMORE") }
    /// `ZMQ_CURVE_SERVER`: act as the CURVE server.
    public static var curveServer: Self { .init(name: ZMQ_CURVE_SERVER, label: "ZMQ_CURVE_SERVER") }
    /// `ZMQ_CONFLATE`: keep only the last message.
    public static var conflate: Self { .init(name: ZMQ_CONFLATE, label: "ZMQ_CONFLATE") }
}

extension SocketOption where Value == [UInt8] {
    /// `ZMQ_SUBSCRIBE`: a SUB prefix filter to add.
    public static var subscribe: Self { .init(name: ZMQ_SUBSCRIBE, label: "ZMQ_SUBSCRIBE") }
    /// `ZMQ_UNSUBSCRIBE`: a SUB prefix filter to remove.
    public static var unsubscribe: Self { .init(name: ZMQ_UNSUBSCRIBE, label: "ZMQ_UNSUBSCRIBE") }
    /// `ZMQ_ROUTING_ID`: the identity a ROUTER peer sees for this socket (1–255 bytes).
    public static var routingID: Self { .init(name: ZMQ_ROUTING_ID, label: "ZMQ_ROUTING_ID") }
    /// `ZMQ_XPUB_WELCOME_MSG`: a frame an XPUB sends to each new subscriber. libzmq queues it
    /// when the XPUB's owner next polls or reads the socket, so keep reading the XPUB.
    public static var xpubWelcomeMessage: Self { .init(name: ZMQ_XPUB_WELCOME_MSG, label: "ZMQ_XPUB_WELCOME_MSG") }
    /// `ZMQ_CURVE_PUBLICKEY` (32 bytes).
    public static var curvePublicKey: Self { .init(name: ZMQ_CURVE_PUBLICKEY, label: "ZMQ_CURVE_PUBLICKEY") }
    /// `ZMQ_CURVE_SECRETKEY` (32 bytes).
    public static var curveSecretKey: Self { .init(name: ZMQ_CURVE_SECRETKEY, label: "ZMQ_CURVE_SECRETKEY") }
    /// `ZMQ_CURVE_SERVERKEY` (32 bytes): the server's public key, set on a client.
    public static var curveServerKey: Self { .init(name: ZMQ_CURVE_SERVERKEY, label: "ZMQ_CURVE_SERVERKEY") }
}

extension SocketOption where Value == String {
    /// `ZMQ_LAST_ENDPOINT`: the last bound or connected endpoint, wildcards resolved.
    public static var lastEndpoint: Self { .init(name: ZMQ_LAST_ENDPOINT, label: "ZMQ_LAST_ENDPOINT") }
    /// `ZMQ_ZAP_DOMAIN`: the authentication domain passed to the ZAP handler.
    public static var zapDomain: Self { .init(name: ZMQ_ZAP_DOMAIN, label: "ZMQ_ZAP_DOMAIN") }
}
