package import ZincCore

/// Several messages of one topic in one frame (docs/protocol.md §4): the topic, then each
/// message's header and payload. Every node accepts it; a node sends it when batching
/// (``PackedFrameBuilder``).
extension WireMessage {
    /// The packed frame of `messages`, which share one topic (the first one's).
    package static func packed(_ messages: [WireMessage]) -> [UInt8] {
        var builder = PackedFrameBuilder(limit: .max)
        for message in messages { _ = builder.append(message) }
        return builder.finish()?.frame ?? []
    }

    /// The messages of a packed frame. Every part is validated, and any fault rejects the whole
    /// frame: a topic that is not a message topic, a header that does not decode, a payload over
    /// `maxPayload` or past the end, no message at all.
    package static func unpacking(_ frame: [UInt8], maxPayload: Int) throws(FormatError) -> [WireMessage] {
        try withRawBytes(frame) { (raw) throws(FormatError) in try unpacking(raw, maxPayload: maxPayload) }
    }

    /// ``unpacking(_:maxPayload:)`` of a frame lent by the transport: only the payloads are
    /// copied out.
    package static func unpacking(_ frame: UnsafeRawBufferPointer, maxPayload: Int) throws(FormatError) -> [WireMessage] {
        try unpacking(frame, maxPayload: maxPayload) { $0 }
    }

    /// ``unpacking(_:maxPayload:)``, each message handed to `wrap` as it is read: the caller's
    /// array is built at once, instead of copying every message out of a second one.
    package static func unpacking<T>(_ frame: UnsafeRawBufferPointer, maxPayload: Int, _ wrap: (WireMessage) -> T) throws(FormatError) -> [T] {
        let (topic, topicLength) = try Topic.decodingPrefix(of: frame)
        guard topic != .welcome else { throw FormatError(.invalid, "a packed frame cannot start with a beacon") }
        var reader = ByteReader(frame)
        try reader.withBytes(topicLength, "topic") { _ in }
        var messages: [T] = []
        repeat {
            guard reader.remaining >= MessageHeader.size else {
                throw FormatError(.truncated, "packed frame: a header of \(reader.remaining) bytes after \(messages.count) messages")
            }
            let header = try MessageHeader(reading: &reader)
            let length = Int(header.payloadLength)
            guard length <= maxPayload else { throw FormatError(.limitExceeded, "packed frame: a payload of \(length) bytes exceeds \(maxPayload)") }
            guard length <= reader.remaining else { throw FormatError(.truncated, "packed frame: a payload of \(length) bytes, \(reader.remaining) left") }
            messages.append(wrap(WireMessage(topic: topic, header: header, payload: try reader.readBytes(length, "payload"))))
        } while !reader.isAtEnd
        return messages
    }
}
