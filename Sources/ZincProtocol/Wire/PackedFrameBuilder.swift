import ZincCore

/// Consecutive messages of one topic on their way into one packed frame (docs/protocol.md §4).
/// A batching shell appends what its node sends on a socket and sends the frame when the topic
/// changes, when it reaches `limit` bytes, or at the end of the turn of its loop; order on the
/// socket is kept, since a frame holds only a run of consecutive messages.
package struct PackedFrameBuilder: Sendable {
    /// A frame that is finished, and how many messages it holds.
    package struct Packed: Sendable, Hashable {
        package let frame: [UInt8]
        package let messages: Int
    }

    /// The size at which a frame is sent without waiting for more: large enough that a burst
    /// of small messages costs one libzmq message per 64 KiB, small enough to stay out of the
    /// way of the messages behind it.
    package static let defaultLimit = 64 << 10

    package let limit: Int
    private var topic: Topic?
    private var writer = ByteWriter(capacity: 0)
    private var messages = 0

    package init(limit: Int = Self.defaultLimit) { self.limit = limit }

    package var isEmpty: Bool { messages == 0 }

    /// Adds `message`. Returns the frame that had to be finished first (another topic, or no
    /// room left under the limit), to be sent before anything else.
    package mutating func append(_ message: WireMessage) -> Packed? {
        var finished: Packed?
        let size = MessageHeader.size + message.payload.count
        if let topic, topic != message.topic || writer.count + size > limit { finished = finish() }
        if topic == nil {
            let topicBytes = message.topic.bytes
            writer = ByteWriter(capacity: min(limit, topicBytes.count + size))
            writer.write(topicBytes)
            topic = message.topic
        } else if messages == 1 {
            // A second message means a burst: room for the whole frame at once, rather than
            // doubling (and copying) the buffer six times on the way to the limit. (Not beyond
            // the default: `packed` builds without a limit.)
            writer.reserveCapacity(min(limit, Self.defaultLimit))
        }
        message.header.write(to: &writer)
        writer.write(message.payload)
        messages += 1
        return finished
    }

    /// The frame so far, if it holds a message; the builder starts afresh.
    package mutating func finish() -> Packed? {
        guard messages > 0 else { return nil }
        defer {
            topic = nil
            messages = 0
            writer = ByteWriter(capacity: 0)
        }
        return Packed(frame: writer.bytes, messages: messages)
    }
}
