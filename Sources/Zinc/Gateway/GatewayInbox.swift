import NIOCore
import Synchronization
import ZeroMQ

/// What the gateway's event loop hands the endpoint's I/O thread: connections opening and
/// closing, and the binary messages they carry, in the order each connection produced them.
enum GatewayEvent: Sendable {
    case opened(GatewayConnection)
    case frame(connection: Int, bytes: [UInt8])
    /// A frame no browser should send (text, or over the size limit): counted and logged.
    case refused(connection: Int, reason: String)
    case closed(connection: Int)
}

/// The queue from the gateway's event loop to the I/O thread. Posting wakes the I/O thread's
/// poller; the thread takes everything queued at once.
final class GatewayInbox: Sendable {
    private let events = Mutex<[GatewayEvent]>([])
    private let waker: Waker

    init(waker: Waker) { self.waker = waker }

    func post(_ event: GatewayEvent) {
        events.withLock { $0.append(event) }
        waker.wake()
    }

    func take() -> [GatewayEvent] {
        events.withLock { events in
            defer { events.removeAll(keepingCapacity: true) }
            return events
        }
    }
}

/// One browser's connection, as the I/O thread sends to it: writes go to the connection's event
/// loop, and what is written but not yet flushed to the socket is counted so that a browser that
/// does not read cannot make the node buffer without bound (it loses messages instead, as a
/// PUB socket drops at its high-water mark, and digests repair it).
final class GatewayConnection: Sendable {
    let id: Int
    let channel: any NIOCore.Channel
    private let pendingBytes = Atomic<Int>(0)
    /// Bytes written and not yet on the wire past which messages are dropped.
    static let pendingLimit = 16 << 20

    init(id: Int, channel: any NIOCore.Channel) {
        self.id = id
        self.channel = channel
    }

    /// Sends one binary message; false if it was dropped because the browser is not reading.
    func send(_ bytes: [UInt8]) -> Bool {
        let size = bytes.count
        guard pendingBytes.add(size, ordering: .relaxed).newValue <= Self.pendingLimit else {
            pendingBytes.subtract(size, ordering: .relaxed)
            return false
        }
        let frame = WebSocketFrameBytes(bytes: bytes)
        let promise = channel.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { [connection = self] _ in connection.released(size) }
        channel.writeAndFlush(frame, promise: promise)
        return true
    }

    private func released(_ size: Int) { pendingBytes.subtract(size, ordering: .relaxed) }

    /// Closes the connection (the browser sees a close and reconnects elsewhere).
    func close() {
        channel.close(promise: nil)
    }
}

/// The bytes of one binary WebSocket message on their way to the socket handler, which frames
/// them (the handler owns the allocator and the masking rules).
struct WebSocketFrameBytes: Sendable {
    let bytes: [UInt8]
}
