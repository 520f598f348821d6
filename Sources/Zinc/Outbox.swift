import DequeModule
import ZeroMQ

/// Messages waiting for room in one socket's libzmq queue. Sends never block the I/O thread:
/// a full queue parks messages here (in order) until the socket polls writable; past the limit
/// the oldest are dropped and counted, and the document digests in the next heartbeats make
/// the peers repair what they missed.
struct Outbox {
    private(set) var queue = Deque<[[UInt8]]>()
    let limit: Int
    private(set) var dropped: UInt64 = 0
    private(set) var parked: UInt64 = 0

    init(limit: Int) { self.limit = limit }

    var isEmpty: Bool { queue.isEmpty }
    var count: Int { queue.count }

    /// Sends now if possible, else parks. Returns false if something had to be dropped.
    mutating func send(_ frames: [[UInt8]], on socket: Socket) -> Bool {
        if queue.isEmpty {
            do throws(ZMQError) {
                try socket.send(message: frames, flags: .dontWait)
                return true
            } catch {
                guard error.isWouldBlock else {
                    dropped += 1
                    return false
                }
            }
        }
        queue.append(frames)
        parked += 1
        if queue.count > limit {
            queue.removeFirst()
            dropped += 1
            return false
        }
        return true
    }

    /// Sends what the socket will take now. Returns how many left the outbox.
    @discardableResult
    mutating func flush(on socket: Socket) -> Int {
        var sent = 0
        while let frames = queue.first {
            do throws(ZMQError) {
                try socket.send(message: frames, flags: .dontWait)
                queue.removeFirst()
                sent += 1
            } catch {
                if !error.isWouldBlock {
                    queue.removeFirst()
                    dropped += 1
                    continue
                }
                break
            }
        }
        return sent
    }

    mutating func clear() {
        dropped += UInt64(queue.count)
        queue.removeAll()
    }
}
