import DequeModule

/// What one non-blocking send did.
package enum SendOutcome: Sendable, Hashable {
    case sent
    /// The transport's queue is full: try again when it is writable.
    case wouldBlock
    /// The message cannot be sent (it is lost).
    case failed
}

/// Messages waiting for room in one socket's queue. Sends never block the I/O thread: a full
/// queue parks messages here (in order) until the socket polls writable; past the limit the
/// oldest are dropped and counted, and the document digests in the next heartbeats make the
/// peers repair what they missed.
package struct Outbox: Sendable {
    private var queue = Deque<[[UInt8]]>()
    package let limit: Int
    package private(set) var dropped: UInt64 = 0
    package private(set) var parked: UInt64 = 0

    package init(limit: Int) { self.limit = limit }

    package var isEmpty: Bool { queue.isEmpty }
    package var count: Int { queue.count }

    /// Sends now through `send` if nothing is parked, else parks. Returns false if something
    /// had to be dropped.
    package mutating func send(_ frames: [[UInt8]], _ send: ([[UInt8]]) -> SendOutcome) -> Bool {
        if queue.isEmpty {
            switch send(frames) {
            case .sent: return true
            case .failed:
                dropped += 1
                return false
            case .wouldBlock: break
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

    /// Sends what `send` will take now, oldest first. Returns how many left the outbox.
    @discardableResult
    package mutating func flush(_ send: ([[UInt8]]) -> SendOutcome) -> Int {
        var sent = 0
        while let frames = queue.first {
            switch send(frames) {
            case .sent:
                queue.removeFirst()
                sent += 1
            case .failed:
                queue.removeFirst()
                dropped += 1
            case .wouldBlock:
                return sent
            }
        }
        return sent
    }

    /// Forgets everything parked (the connection it was for is gone), counting it dropped.
    package mutating func clear() {
        dropped += UInt64(queue.count)
        queue.removeAll()
    }
}
