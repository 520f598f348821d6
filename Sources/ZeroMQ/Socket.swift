import CZeroMQ

/// One ZeroMQ socket.
///
/// A socket is **not** thread-safe (zmq(7)) and so is deliberately not `Sendable`: create it,
/// use it and close it on one thread. It owns its libzmq handle, closes it on ``close()`` or on
/// deinit, and holds its ``Context`` strongly so the context outlives it.
///
/// Frames are received with `zmq_msg_recv` into a message owned by the socket, so a frame of
/// any size arrives whole (never truncated); ``maximumMessageBytes`` and ``maximumFrames`` bound
/// what one multipart receive accepts, and `ZMQ_MAXMSGSIZE` (``SocketOption/maximumMessageSize``)
/// bounds what a peer may send before libzmq disconnects it.
public final class Socket {
    /// The socket's pattern.
    public let kind: SocketKind
    /// The context the socket belongs to, kept alive by the socket.
    public let context: Context
    /// The most bytes (all frames together) ``receiveMessage(_:)`` accepts; larger messages
    /// are drained and reported as ``ZMQError/Code/messageTooLarge``.
    public var maximumMessageBytes: Int = 256 << 20
    /// The most frames ``receiveMessage(_:)`` accepts in one message.
    public var maximumFrames: Int = 64

    private(set) var handle: UnsafeMutableRawPointer?
    /// The receive slot: a `zmq_msg_t` at a stable heap address, reused for every frame.
    private let slot: UnsafeMutablePointer<zmq_msg_t>

    /// Creates a socket of `kind` in `context`, with the context's bounded linger.
    public init(_ kind: SocketKind, context: Context) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, kind.rawValue) else {
            throw ZMQError.last("zmq_socket(\(kind))")
        }
        self.kind = kind
        self.context = context
        self.handle = handle
        self.slot = .allocate(capacity: 1)
        do {
            try setOption(.linger, .milliseconds(Int64(context.defaultLingerMilliseconds)))
        } catch {
            zmq_close(handle)
            self.handle = nil
            slot.deallocate()
            throw error
        }
    }

    deinit {
        close()
        slot.deallocate()
    }

    /// Closes the socket. Queued outgoing messages get the socket's linger period to leave.
    /// Idempotent; every later call on the socket throws ``ZMQError/Code/notSupported``.
    public func close() {
        guard let handle else { return }
        zmq_close(handle)
        self.handle = nil
    }

    /// True until ``close()``.
    public var isOpen: Bool { handle != nil }

    @inline(__always)
    func openHandle(_ operation: @autoclosure () -> String) throws(ZMQError) -> UnsafeMutableRawPointer {
        guard let handle else {
            throw ZMQError(code: .notSupported, operation: operation(), message: "the socket is closed")
        }
        return handle
    }

    // MARK: Endpoints

    /// Binds to `endpoint` (`tcp://127.0.0.1:*`, `ipc:///tmp/x`, `inproc://name`, ...).
    /// With a wildcard port, read the real one from ``lastEndpoint``.
    public func bind(_ endpoint: String) throws(ZMQError) {
        let handle = try openHandle("zmq_bind(\(endpoint))")
        _ = try zmqCheck("zmq_bind(\(endpoint))") { zmq_bind(handle, endpoint) }
    }

    /// Connects to `endpoint`. libzmq connects in the background and reconnects by itself.
    public func connect(_ endpoint: String) throws(ZMQError) {
        let handle = try openHandle("zmq_connect(\(endpoint))")
        _ = try zmqCheck("zmq_connect(\(endpoint))") { zmq_connect(handle, endpoint) }
    }

    /// Stops listening on `endpoint`, which must be the string given to ``bind(_:)`` or,
    /// for wildcard binds, the resolved ``lastEndpoint``.
    public func unbind(_ endpoint: String) throws(ZMQError) {
        let handle = try openHandle("zmq_unbind(\(endpoint))")
        _ = try zmqCheck("zmq_unbind(\(endpoint))") { zmq_unbind(handle, endpoint) }
    }

    /// Drops the connection to `endpoint` and any messages queued for it.
    public func disconnect(_ endpoint: String) throws(ZMQError) {
        let handle = try openHandle("zmq_disconnect(\(endpoint))")
        _ = try zmqCheck("zmq_disconnect(\(endpoint))") { zmq_disconnect(handle, endpoint) }
    }

    /// The endpoint of the last bind or connect, with wildcards resolved
    /// (`tcp://127.0.0.1:*` becomes `tcp://127.0.0.1:41234`).
    public var lastEndpoint: String {
        get throws(ZMQError) { try option(.lastEndpoint) }
    }

    // MARK: Subscriptions

    /// Subscribes a SUB socket to messages whose first frame starts with `prefix`
    /// (the empty prefix matches everything).
    public func subscribe(_ prefix: [UInt8]) throws(ZMQError) { try setOption(.subscribe, prefix) }
    /// Subscribes to a UTF-8 prefix.
    public func subscribe(_ prefix: String) throws(ZMQError) { try subscribe(Array(prefix.utf8)) }
    /// Removes one earlier subscription to `prefix`.
    public func unsubscribe(_ prefix: [UInt8]) throws(ZMQError) { try setOption(.unsubscribe, prefix) }
    /// Removes one earlier subscription to a UTF-8 prefix.
    public func unsubscribe(_ prefix: String) throws(ZMQError) { try unsubscribe(Array(prefix.utf8)) }
}

// MARK: - Sending

/// Flags for a send.
public struct SendFlags: OptionSet, Sendable, Hashable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// Fail with ``ZMQError/Code/wouldBlock`` instead of waiting for room.
    public static let dontWait = SendFlags(rawValue: ZMQ_DONTWAIT)
    /// More frames of the same message follow.
    public static let more = SendFlags(rawValue: ZMQ_SNDMORE)
}

/// Flags for a receive.
public struct ReceiveFlags: OptionSet, Sendable, Hashable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// Fail with ``ZMQError/Code/wouldBlock`` instead of waiting for a message.
    public static let dontWait = ReceiveFlags(rawValue: ZMQ_DONTWAIT)
}

extension Socket {
    /// Sends one frame, copying `bytes` (libzmq copies; the buffer may be reused at once).
    public func send(_ bytes: UnsafeRawBufferPointer, flags: SendFlags = []) throws(ZMQError) {
        let handle = try openHandle("zmq_send")
        _ = try zmqCheck("zmq_send(\(kind))") {
            zmq_send(handle, bytes.baseAddress, bytes.count, flags.rawValue)
        }
    }

    /// Sends one frame of `bytes`.
    public func send(_ bytes: [UInt8], flags: SendFlags = []) throws(ZMQError) {
        // Typed throws do not cross withUnsafeBytes; rethrow the binding's own error type.
        var failure: ZMQError?
        bytes.withUnsafeBytes { raw in
            do throws(ZMQError) { try send(raw, flags: flags) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Sends one frame holding the UTF-8 bytes of `string`.
    public func send(_ string: String, flags: SendFlags = []) throws(ZMQError) {
        try send(Array(string.utf8), flags: flags)
    }

    /// Sends `frames` as one multipart message. With `.dontWait`, either the whole message is
    /// queued or (on ``ZMQError/Code/wouldBlock``) none of it: libzmq admits the remaining
    /// frames of a message once its first frame is accepted.
    public func send(message frames: [[UInt8]], flags: SendFlags = []) throws(ZMQError) {
        guard !frames.isEmpty else {
            throw ZMQError(code: .invalidArgument, operation: "send(message:)", message: "a message needs at least one frame")
        }
        let last = frames.count - 1
        for index in 0...last {
            var frameFlags = flags.subtracting(.more)
            if index < last { frameFlags.insert(.more) }
            // After the first frame, the rest of an atomic message never blocks.
            if index > 0 { frameFlags.remove(.dontWait) }
            try send(frames[index], flags: frameFlags)
        }
    }

    /// Sends `bytes` without copying them: libzmq reads the array's storage in place and
    /// releases it when the frame has left. Worth it for frames of tens of kilobytes and up.
    public func send(zeroCopy bytes: [UInt8], flags: SendFlags = []) throws(ZMQError) {
        let handle = try openHandle("zmq_msg_send")
        let message = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        defer { message.deallocate() }
        // A native [UInt8] has contiguous storage that does not move while a reference to it is
        // held and nobody mutates it; the box below is that reference, released by libzmq.
        let box = Unmanaged.passRetained(ByteBox(bytes))
        let base = bytes.withUnsafeBytes { UnsafeMutableRawPointer(mutating: $0.baseAddress) }
        let initialized = zmq_msg_init_data(message, base, bytes.count, { _, hint in
            guard let hint else { return }
            Unmanaged<ByteBox>.fromOpaque(hint).release()
        }, box.toOpaque())
        if initialized != 0 {
            box.release()
            throw ZMQError.last("zmq_msg_init_data")
        }
        do {
            _ = try zmqCheck("zmq_msg_send(\(kind))") { zmq_msg_send(message, handle, flags.rawValue) }
        } catch {
            // Not sent: the message still owns the buffer; closing it runs the free callback.
            zmq_msg_close(message)
            throw error
        }
    }
}

/// Keeps a zero-copy frame's bytes alive until libzmq calls back.
private final class ByteBox {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

// MARK: - Receiving

extension Socket {
    /// Receives one frame and lends its bytes to `body` without copying; the bytes are valid only
    /// inside `body`. The second argument tells whether more frames of the message follow.
    public func withReceivedFrame<R>(
        flags: ReceiveFlags = [],
        _ body: (UnsafeRawBufferPointer, _ more: Bool) throws -> R
    ) throws -> R {
        let handle = try openHandle("zmq_msg_recv")
        zmq_msg_init(slot)
        defer { zmq_msg_close(slot) }
        _ = try zmqCheck("zmq_msg_recv(\(kind))") { zmq_msg_recv(slot, handle, flags.rawValue) }
        let bytes = UnsafeRawBufferPointer(start: zmq_msg_data(slot), count: zmq_msg_size(slot))
        return try body(bytes, zmq_msg_more(slot) != 0)
    }

    /// Receives one frame. Check ``hasMoreFrames`` (or use ``receiveMessage(_:)``) for the rest.
    public func receive(_ flags: ReceiveFlags = []) throws(ZMQError) -> [UInt8] {
        let handle = try openHandle("zmq_msg_recv")
        zmq_msg_init(slot)
        defer { zmq_msg_close(slot) }
        _ = try zmqCheck("zmq_msg_recv(\(kind))") { zmq_msg_recv(slot, handle, flags.rawValue) }
        let size = zmq_msg_size(slot)
        guard size > 0, let data = zmq_msg_data(slot) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: data, count: size))
    }

    /// Receives one frame with the connection metadata libzmq attached to it (`zmq_msg_gets`):
    /// `User-Id` (what the ZAP handler named the authenticated peer), `Peer-Address`,
    /// `Socket-Type`. A property the frame does not carry is absent from the dictionary.
    public func receive(_ flags: ReceiveFlags = [], properties names: [String]) throws(ZMQError) -> (bytes: [UInt8], properties: [String: String]) {
        let handle = try openHandle("zmq_msg_recv")
        zmq_msg_init(slot)
        defer { zmq_msg_close(slot) }
        _ = try zmqCheck("zmq_msg_recv(\(kind))") { zmq_msg_recv(slot, handle, flags.rawValue) }
        var properties: [String: String] = [:]
        for name in names {
            if let value = zmq_msg_gets(slot, name) { properties[name] = String(cString: value) }
        }
        let size = zmq_msg_size(slot)
        guard size > 0, let data = zmq_msg_data(slot) else { return ([], properties) }
        return ([UInt8](UnsafeRawBufferPointer(start: data, count: size)), properties)
    }

    private static func peer(of message: UnsafeMutablePointer<zmq_msg_t>) -> Peer {
        let user = zmq_msg_gets(message, "User-Id").map { String(cString: $0) } ?? ""
        let descriptor = zmq_msg_get(message, ZMQ_SRCFD)
        return Peer(userID: user, fileDescriptor: descriptor)
    }

    /// Receives one frame and who sent it (see ``receiveMessage(_:peer:)``).
    public func receive(_ flags: ReceiveFlags = [], peer: inout Peer?) throws(ZMQError) -> [UInt8] {
        let handle = try openHandle("zmq_msg_recv")
        zmq_msg_init(slot)
        defer { zmq_msg_close(slot) }
        _ = try zmqCheck("zmq_msg_recv(\(kind))") { zmq_msg_recv(slot, handle, flags.rawValue) }
        peer = Self.peer(of: slot)
        let size = zmq_msg_size(slot)
        guard size > 0, let data = zmq_msg_data(slot) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: data, count: size))
    }

    /// True if the frame just received is followed by more frames of the same message.
    public var hasMoreFrames: Bool {
        get throws(ZMQError) { try option(.receiveMore) }
    }

    /// Receives one whole multipart message. Frames after the first are already queued
    /// (libzmq delivers messages atomically), so only the first can block or time out.
    ///
    /// A message larger than ``maximumMessageBytes`` or with more than ``maximumFrames``
    /// frames is drained and reported as ``ZMQError/Code/messageTooLarge``; the socket stays
    /// in step and the next call receives the next message.
    public func receiveMessage(_ flags: ReceiveFlags = []) throws(ZMQError) -> [[UInt8]] {
        var ignored: Peer?
        return try receiveFrames(flags, peer: &ignored, wantsPeer: false)
    }

    /// Who sent a received message, from the connection metadata libzmq attaches to it.
    public struct Peer: Sendable, Hashable {
        /// What the ZAP handler named the authenticated peer (`User-Id`); empty without one.
        public let userID: String
        /// The file descriptor of the connection it arrived on (`ZMQ_SRCFD`), or -1.
        public let fileDescriptor: Int32
    }

    /// ``receiveMessage(_:)``, also reporting who sent the message (`peer`, read from its
    /// last frame).
    public func receiveMessage(_ flags: ReceiveFlags = [], peer: inout Peer?) throws(ZMQError) -> [[UInt8]] {
        try receiveFrames(flags, peer: &peer, wantsPeer: true)
    }

    private func receiveFrames(_ flags: ReceiveFlags, peer: inout Peer?, wantsPeer: Bool) throws(ZMQError) -> [[UInt8]] {
        try withReceivedMessage(flags, peer: &peer, wantsPeer: wantsPeer) { received in
            switch received {
            case .single(let frame): [[UInt8](frame)]
            case .multipart(let frames): frames
            }
        }
    }

    /// A message as ``withReceivedMessage(_:peer:wantsPeer:_:)`` lends it.
    public enum ReceivedFrames {
        /// A message of one frame, in libzmq's own buffer: valid only during the call.
        case single(UnsafeRawBufferPointer)
        /// The frames of a multipart message, copied out.
        case multipart([[UInt8]])
    }

    /// Receives one whole message, as ``receiveMessage(_:)`` does, and hands it to `body`. A
    /// message of one frame is lent without copying it, so a caller that decodes it (a packed
    /// frame of many messages, say) copies out only what it keeps. `peer` is set, when
    /// `wantsPeer`, to who sent it.
    public func withReceivedMessage<R>(_ flags: ReceiveFlags = [], peer: inout Peer?, wantsPeer: Bool = false, _ body: (ReceivedFrames) -> R) throws(ZMQError) -> R {
        let handle = try openHandle("zmq_msg_recv")
        var frames: [[UInt8]] = []
        var total = 0
        var frameCount = 0
        var oversized = false
        var more = true
        var frameFlags = flags.rawValue
        while more {
            zmq_msg_init(slot)
            defer { zmq_msg_close(slot) }
            _ = try zmqCheck("zmq_msg_recv(\(kind))") { zmq_msg_recv(slot, handle, frameFlags) }
            frameFlags = 0
            more = zmq_msg_more(slot) != 0
            // The last frame came from the peer (a ROUTER makes up the first, without metadata).
            if wantsPeer && !more { peer = Self.peer(of: slot) }
            let size = zmq_msg_size(slot)
            frameCount += 1
            total += size
            if oversized || total > maximumMessageBytes || frameCount > maximumFrames {
                oversized = true
                frames.removeAll()
                continue
            }
            let frame = zmq_msg_data(slot).map { UnsafeRawBufferPointer(start: $0, count: size) } ?? UnsafeRawBufferPointer(start: nil, count: 0)
            if frameCount == 1 && !more { return body(.single(frame)) }
            if frameCount == 1 { frames.reserveCapacity(4) }  // Zinc's messages are three frames
            frames.append([UInt8](frame))
        }
        if oversized {
            throw ZMQError(
                code: .messageTooLarge, operation: "receiveMessage(\(kind))",
                message: "message of \(frameCount) frames and \(total) bytes exceeds the limit of \(maximumFrames) frames / \(maximumMessageBytes) bytes; dropped")
        }
        return body(.multipart(frames))
    }

    /// Receives one multipart message, waiting at most `timeout`; `nil` if none arrived.
    public func receiveMessage(timeout: Duration) throws(ZMQError) -> [[UInt8]]? {
        guard try poll(.readable, timeout: timeout).contains(.readable) else { return nil }
        do {
            return try receiveMessage(.dontWait)
        } catch where error.isWouldBlock {
            return nil
        }
    }

    /// Receives one frame, waiting at most `timeout`; `nil` if none arrived.
    public func receive(timeout: Duration) throws(ZMQError) -> [UInt8]? {
        guard try poll(.readable, timeout: timeout).contains(.readable) else { return nil }
        do {
            return try receive(.dontWait)
        } catch where error.isWouldBlock {
            return nil
        }
    }

    /// Waits until the socket is ready for `events` or `timeout` passes (`nil`: forever),
    /// and returns the events that are ready (empty on timeout).
    public func poll(_ events: PollEvents, timeout: Duration?) throws(ZMQError) -> PollEvents {
        let handle = try openHandle("zmq_poll")
        var item = zmq_pollitem_t(socket: handle, fd: 0, events: Int16(events.rawValue), revents: 0)
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now.advanced(by: $0) }
        while true {
            let waitMs: Int = deadline.map { max(0, Int(clamping: clock.now.duration(to: $0).roundedUpMilliseconds)) } ?? -1
            let result = zmq_poll(&item, 1, waitMs)
            if result >= 0 { return PollEvents(rawValue: Int32(item.revents)) }
            let code = zmq_errno()
            // A signal interrupted the wait: wait again for whatever time is left.
            if code == EINTR { continue }
            throw ZMQError(code: ZMQError.Code(code), operation: "zmq_poll(\(kind))")
        }
    }
}

extension Duration {
    /// Milliseconds rounded up, so a poll never returns before its deadline.
    var roundedUpMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 0 }
        let wholeMs = milliseconds
        let remainder = attoseconds % 1_000_000_000_000_000
        return remainder > 0 ? wholeMs &+ 1 : wholeMs
    }
}
