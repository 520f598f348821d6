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
/// peers repair what they missed. An entry is one libzmq message, which holds one Zinc message
/// or a packed frame of several; the limit and the counters count Zinc messages.
package struct Outbox: Sendable {
    private var queue = Deque<(frames: [[UInt8]], messages: Int)>()
    package let limit: Int
    /// Zinc messages parked now.
    package private(set) var count = 0
    package private(set) var dropped: UInt64 = 0
    package private(set) var parked: UInt64 = 0

    package init(limit: Int) { self.limit = limit }

    package var isEmpty: Bool { queue.isEmpty }

    /// Sends now through `send` if nothing is parked, else parks. `frames` hold `messages`
    /// Zinc messages (more than one in a packed frame). Returns false if something had to be
    /// dropped.
    package mutating func send(_ frames: [[UInt8]], messages: Int = 1, _ send: ([[UInt8]]) -> SendOutcome) -> Bool {
        if queue.isEmpty {
            switch send(frames) {
            case .sent: return true
            case .failed:
                dropped += UInt64(messages)
                return false
            case .wouldBlock: break
            }
        }
        queue.append((frames, messages))
        count += messages
        parked += UInt64(messages)
        var keptAll = true
        while count > limit, queue.count > 1, let oldest = queue.popFirst() {
            count -= oldest.messages
            dropped += UInt64(oldest.messages)
            keptAll = false
        }
        return keptAll
    }

    /// Sends what `send` will take now, oldest first. Returns how many messages left the outbox.
    @discardableResult
    package mutating func flush(_ send: ([[UInt8]]) -> SendOutcome) -> Int {
        var sent = 0
        while let entry = queue.first {
            let outcome = send(entry.frames)
            guard outcome != .wouldBlock else { return sent }
            queue.removeFirst()
            count -= entry.messages
            if outcome == .sent { sent += entry.messages } else { dropped += UInt64(entry.messages) }
        }
        return sent
    }

    /// Forgets everything parked (the connection it was for is gone), counting it dropped.
    package mutating func clear() {
        dropped += UInt64(count)
        queue.removeAll()
        count = 0
    }
}
