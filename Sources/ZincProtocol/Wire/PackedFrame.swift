package import ZincCore

/// Several messages of one topic in one frame (docs/protocol.md §4): the topic, then each
/// message's header and payload. Receivers accept it now; a node sends it only when batching,
/// which waits for a cluster whose every node accepts it.
extension WireMessage {
    /// The packed frame of `messages`, which share one topic (the first one's).
    package static func packed(_ messages: [WireMessage]) -> [UInt8] {
        guard let topic = messages.first?.topic.bytes else { return [] }
        var frame: [UInt8] = []
        frame.reserveCapacity(topic.count + messages.reduce(0) { $0 + MessageHeader.size + $1.payload.count })
        frame.append(contentsOf: topic)
        for message in messages {
            frame.append(contentsOf: message.header.encoded)
            frame.append(contentsOf: message.payload)
        }
        return frame
    }

    /// The messages of a packed frame. Every part is validated, and any fault rejects the whole
    /// frame: a topic that is not a message topic, a header that does not decode, a payload over
    /// `maxPayload` or past the end, no message at all.
    package static func unpacking(_ frame: [UInt8], maxPayload: Int) throws(FormatError) -> [WireMessage] {
        let topicLength = try Topic.encodedLength(atStartOf: frame)
        let topic = try Topic(decoding: Array(frame[..<topicLength]))
        var messages: [WireMessage] = []
        var offset = topicLength
        repeat {
            guard frame.count - offset >= MessageHeader.size else {
                throw FormatError(.truncated, "packed frame: a header of \(frame.count - offset) bytes after \(messages.count) messages")
            }
            let header = try MessageHeader(decoding: Array(frame[offset..<offset + MessageHeader.size]))
            offset += MessageHeader.size
            let length = Int(header.payloadLength)
            guard length <= maxPayload else { throw FormatError(.limitExceeded, "packed frame: a payload of \(length) bytes exceeds \(maxPayload)") }
            guard length <= frame.count - offset else { throw FormatError(.truncated, "packed frame: a payload of \(length) bytes, \(frame.count - offset) left") }
            messages.append(WireMessage(topic: topic, header: header, payload: Array(frame[offset..<offset + length])))
            offset += length
        } while offset < frame.count
        return messages
    }
}

extension Topic {
    /// How many bytes at the start of `frame` are a message topic (§4.1): through the
    /// terminator of a document or channel name, 17 for a node, 1 for the tree. A beacon's `W`
    /// starts no message.
    static func encodedLength(atStartOf frame: [UInt8]) throws(FormatError) -> Int {
        guard let kind = frame.first else { throw FormatError(.truncated, "empty topic") }
        switch kind {
        case 0x44, 0x41:
            guard let terminator = frame.prefix(Self.maxNameBytes + 2).firstIndex(of: 0) else {
                throw FormatError(.invalid, "topic name not terminated within \(Self.maxNameBytes) bytes")
            }
            return terminator + 1
        case 0x4E:
            guard frame.count >= 17 else { throw FormatError(.truncated, "node topic of \(frame.count) bytes") }
            return 17
        case 0x54:
            return 1
        default:
            throw FormatError(.invalid, "a packed frame cannot start with topic kind \(kind)")
        }
    }
}
