package import ZincCore

/// One binary WebSocket message between a browser and a node's gateway (docs/protocol.md §23):
/// a ZeroMQ message of the tree carried whole, or a SUB socket's subscription change.
///
/// ```
/// gatewayFrame = u8 0, varint n (1 or 3), bytes × n     a message: a beacon (down only) or an envelope
///              | u8 1, prefix                           subscribe (up only): the rest of the frame
///              | u8 2, prefix                           unsubscribe (up only)
/// ```
package enum GatewayFrame: Sendable, Hashable {
    case message([[UInt8]])
    case subscribe([UInt8])
    case unsubscribe([UInt8])

    /// The longest subscription prefix: a topic's first byte, a name of up to 255 bytes, its
    /// terminator.
    package static let maxPrefix = 257

    package var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 64)
        switch self {
        case .message(let frames):
            writer.write(UInt8(0))
            writer.write(varint: UInt64(frames.count))
            for frame in frames { writer.write(lengthPrefixed: frame) }
        case .subscribe(let prefix):
            writer.write(UInt8(1))
            writer.write(prefix)
        case .unsubscribe(let prefix):
            writer.write(UInt8(2))
            writer.write(prefix)
        }
        return writer.bytes
    }

    /// Decodes one WebSocket message's bytes. `maxMessage` bounds the frames' total size.
    package init(decoding bytes: [UInt8], maxMessage: Int) throws(FormatError) {
        var limits = DecodingLimits()
        limits.maxBytes = maxMessage
        self = try withReader(bytes, limits: limits) { (reader) throws(FormatError) -> GatewayFrame in
            switch try reader.readByte("gateway frame kind") {
            case 0:
                let count = try reader.readVarint(max: 3, "gateway frame count")
                guard count == 1 || count == 3 else { throw FormatError(.invalid, "a gateway message of \(count) frames") }
                var frames: [[UInt8]] = []
                for _ in 0..<count { frames.append(try reader.readLengthPrefixed("gateway frame")) }
                try reader.expectEnd("gateway message")
                return .message(frames)
            case let kind where kind == 1 || kind == 2:
                let prefix = try reader.readBytes(reader.remaining, "subscription prefix")
                guard prefix.count <= Self.maxPrefix else { throw FormatError(.limitExceeded, "a subscription prefix of \(prefix.count) bytes") }
                return kind == 1 ? .subscribe(prefix) : .unsubscribe(prefix)
            case let kind:
                throw FormatError(.invalid, "gateway frame kind \(kind)")
            }
        }
    }
}
