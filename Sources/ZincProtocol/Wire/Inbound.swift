package import ZincCore

/// One multipart message as it arrived on a node's SUB or PULL socket, decoded: the framing
/// rule every shell shares (docs/protocol.md, "Framing").
package enum Inbound: Sendable, Hashable {
    /// A welcome beacon: a single frame starting with `W`, only ever from the parent's PUB.
    case beacon(Beacon)
    /// A Zinc message: topic, header, payload.
    case message(WireMessage)

    /// Decodes `frames` that arrived `via` a socket, refusing payloads over `maxPayload`.
    package init(frames: [[UInt8]], via channel: Channel, maxPayload: Int) throws(InboundError) {
        if channel == .subscriber, frames.count == 1, frames[0].first == Topic.welcome.bytes.first {
            do throws(FormatError) {
                self = .beacon(try Beacon(frame: frames[0]))
            } catch {
                throw InboundError(sender: nil, problem: "a malformed welcome beacon: \(error)")
            }
            return
        }
        do throws(FormatError) {
            self = .message(try WireMessage(frames: frames, maxPayload: maxPayload))
        } catch {
            // Named if the header decodes, for the log.
            throw InboundError(sender: frames.count > 1 ? try? MessageHeader(decoding: frames[1]).sender : nil, problem: "\(error)")
        }
    }
}

extension Inbound {
    /// What `frames` carry: a beacon, one message, or the messages of a packed frame (one frame
    /// that is not a beacon; docs/protocol.md §4). A fault anywhere rejects them all.
    package static func decodingAll(frames: [[UInt8]], via channel: Channel, maxPayload: Int) throws(InboundError) -> [Inbound] {
        guard frames.count == 1 else { return [try Inbound(frames: frames, via: channel, maxPayload: maxPayload)] }
        return try withRawBytes(frames[0]) { (frame) throws(InboundError) in try decodingAll(frame: frame, via: channel, maxPayload: maxPayload) }
    }

    /// ``decodingAll(frames:via:maxPayload:)`` of a message of one frame, lent by the
    /// transport: a packed frame is decoded in place, and only its payloads are copied out.
    package static func decodingAll(frame: UnsafeRawBufferPointer, via channel: Channel, maxPayload: Int) throws(InboundError) -> [Inbound] {
        guard let kind = frame.first, kind != Topic.welcome.bytes[0] else {
            return [try Inbound(frames: [[UInt8](frame)], via: channel, maxPayload: maxPayload)]
        }
        do throws(FormatError) {
            return try WireMessage.unpacking(frame, maxPayload: maxPayload) { .message($0) }
        } catch {
            throw InboundError(sender: nil, problem: "a malformed packed frame: \(error)")
        }
    }
}

/// Frames that are not a message: dropped, counted and logged by the shell.
package struct InboundError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Who sent it, if its header could be read.
    package let sender: ReplicaID?
    package let problem: String
    package var description: String { problem }
}
