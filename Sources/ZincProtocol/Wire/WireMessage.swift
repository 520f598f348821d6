package import ZincCore

/// One Zinc message as it travels: three frames, topic, header, payload.
package struct WireMessage: Hashable, Sendable {
    package var topic: Topic
    package var header: MessageHeader
    package var payload: [UInt8]

    package init(topic: Topic, header: MessageHeader, payload: [UInt8]) {
        self.topic = topic
        var header = header
        header.payloadLength = UInt32(truncatingIfNeeded: payload.count)
        self.header = header
        self.payload = payload
    }

    /// The frames to send.
    package var frames: [[UInt8]] { [topic.bytes, header.encoded, payload] }

    /// Decodes received frames, checking everything the header promises.
    package init(frames: [[UInt8]], maxPayload: Int) throws(FormatError) {
        guard frames.count == 3 else { throw FormatError(.invalid, "\(frames.count) frames, expected 3") }
        topic = try Topic(decoding: frames[0])
        header = try MessageHeader(decoding: frames[1])
        payload = frames[2]
        guard Int(header.payloadLength) == payload.count else {
            throw FormatError(.invalid, "payload of \(payload.count) bytes, header says \(header.payloadLength)")
        }
        guard payload.count <= maxPayload else {
            throw FormatError(.limitExceeded, "payload of \(payload.count) bytes exceeds \(maxPayload)")
        }
    }
}
