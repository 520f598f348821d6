public import ZincCore

/// One Zinc message as it travels: three frames, topic, header, payload.
public struct WireMessage: Hashable, Sendable {
    public var topic: Topic
    public var header: MessageHeader
    public var payload: [UInt8]

    public init(topic: Topic, header: MessageHeader, payload: [UInt8]) {
        self.topic = topic
        var header = header
        header.payloadLength = UInt32(truncatingIfNeeded: payload.count)
        self.header = header
        self.payload = payload
    }

    /// The frames to send.
    public var frames: [[UInt8]] { [topic.bytes, header.encoded, payload] }

    /// Decodes received frames, checking everything the header promises.
    public init(frames: [[UInt8]], maxPayload: Int) throws(DecodingError) {
        guard frames.count == 3 else { throw DecodingError(.invalid, "\(frames.count) frames, expected 3") }
        topic = try Topic(decoding: frames[0])
        header = try MessageHeader(decoding: frames[1])
        payload = frames[2]
        guard Int(header.payloadLength) == payload.count else {
            throw DecodingError(.invalid, "payload of \(payload.count) bytes, header says \(header.payloadLength)")
        }
        guard payload.count <= maxPayload else {
            throw DecodingError(.limitExceeded, "payload of \(payload.count) bytes exceeds \(maxPayload)")
        }
    }
}
