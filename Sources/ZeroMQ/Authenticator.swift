import Synchronization

/// One ZAP authentication request (RFC 27/ZAP), as libzmq asks it.
public struct ZAPRequest: Sendable, Hashable {
    /// The socket's `ZMQ_ZAP_DOMAIN` (empty unless set).
    public let domain: String
    /// The peer's transport address (an IP for TCP).
    public let address: String
    /// The peer socket's routing id, if any.
    public let routingID: [UInt8]
    /// `"NULL"`, `"PLAIN"` or `"CURVE"`.
    public let mechanism: String
    /// The mechanism's credentials: for CURVE, one 32-byte client public key.
    public let credentials: [[UInt8]]

    /// For CURVE, the client's long-term public key.
    public var clientPublicKey: CurveKey? {
        guard mechanism == "CURVE", let first = credentials.first else { return nil }
        return CurveKey(bytes: first)
    }
}

/// The answer to a ``ZAPRequest``.
public enum ZAPDecision: Sendable, Hashable {
    /// Admit the peer; `userID` becomes the `User-Id` metadata of its messages.
    case allow(userID: String = "")
    /// Refuse the peer; the handshake fails with `reason`.
    case deny(reason: String)
}

/// A ZAP handler: answers authentication requests for every secure socket of one context on
/// the inproc endpoint `zeromq.zap.01`, by calling a Swift closure.
///
/// At most one authenticator can run per context. Start it before the sockets it guards
/// bind or connect; ``stop()`` ends it (deinit is only a safety net).
public final class Authenticator: Sendable {
    /// The endpoint libzmq sends ZAP requests to (RFC 27).
    public static let endpoint = "inproc://zeromq.zap.01"

    private let waker: Waker
    private let thread: IOThread
    private let stopped = Atomic<Bool>(false)

    /// Starts answering requests with `decide`. Fails if another authenticator already serves
    /// the context (``ZMQError/Code/addressInUse``).
    public init(context: Context, decide: @escaping @Sendable (ZAPRequest) -> ZAPDecision) throws(ZMQError) {
        let socket = try Socket(.rep, context: context)
        try socket.setOption(.linger, .zero)
        try socket.bind(Self.endpoint)
        let waker = try Waker()
        self.waker = waker
        let owned = HandOver(socket)
        let box = CountsBox()
        self.thread = IOThread(name: "zinc-zap") { [waker] in
            Authenticator.serve(socket: owned.take(), waker: waker, decide: decide, counts: box)
        }
        self.box = box
    }

    private let box: CountsBox

    /// How many requests were allowed and denied so far.
    public var decisions: (allowed: Int, denied: Int) { box.value.withLock { $0 } }

    /// Stops serving and waits for the handler thread to finish. Idempotent.
    public func stop() {
        if stopped.exchange(true, ordering: .acquiringAndReleasing) { return }
        waker.wake()
        thread.join()
    }

    deinit { stop() }

    private static func serve(
        socket: Socket, waker: Waker,
        decide: @Sendable (ZAPRequest) -> ZAPDecision, counts: CountsBox
    ) {
        defer { socket.close() }
        let poller = Poller()
        let requests = poller.add(socket)
        let wake = poller.add(waker)
        while true {
            do {
                try poller.poll(timeout: nil)
            } catch {
                return
            }
            if poller.isReadable(wake) { return }
            guard poller.isReadable(requests) else { continue }
            do {
                let frames = try socket.receiveMessage(.dontWait)
                try socket.send(message: reply(to: frames, decide: decide, counts: counts))
            } catch let error where error.isWouldBlock {
                continue
            } catch {
                return
            }
        }
    }

    /// Builds the reply frames: version, request id, status code, status text, user id, metadata.
    static func reply(
        to frames: [[UInt8]], decide: (ZAPRequest) -> ZAPDecision, counts: CountsBox
    ) -> [[UInt8]] {
        let version = Array("1.0".utf8)
        guard frames.count >= 6, frames[0] == version else {
            let requestID = frames.count > 1 ? frames[1] : []
            return [version, requestID, Array("500".utf8), Array("malformed ZAP request".utf8), [], []]
        }
        let text = { (bytes: [UInt8]) in String(decoding: bytes, as: UTF8.self) }
        let request = ZAPRequest(
            domain: text(frames[2]), address: text(frames[3]), routingID: frames[4],
            mechanism: text(frames[5]), credentials: Array(frames.dropFirst(6)))
        switch decide(request) {
        case .allow(let userID):
            counts.value.withLock { $0.allowed += 1 }
            return [version, frames[1], Array("200".utf8), Array("OK".utf8), Array(userID.utf8), []]
        case .deny(let reason):
            counts.value.withLock { $0.denied += 1 }
            return [version, frames[1], Array("400".utf8), Array(reason.utf8), [], []]
        }
    }
}

/// The allow/deny tallies, shared between the handler thread and readers.
final class CountsBox: Sendable {
    let value = Mutex<(allowed: Int, denied: Int)>((0, 0))
}
