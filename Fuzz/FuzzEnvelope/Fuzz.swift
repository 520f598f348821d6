import ZincProtocol

/// The message envelope: up to three frames (lengths in the first bytes), topic, header; and
/// the whole input as one packed frame.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 2 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // The first two bytes split the rest into frames, so the fuzzer controls frame boundaries.
    let first = min(Int(bytes[0]), bytes.count - 2)
    let second = min(Int(bytes[1]), bytes.count - 2 - first)
    let body = Array(bytes[2...])
    let frames = [Array(body[0..<first]), Array(body[first..<first + second]), Array(body[(first + second)...])]
    if let message = try? WireMessage(frames: frames, maxPayload: 1 << 20) {
        precondition(message.frames == frames || message.header.payloadLength == UInt32(frames[2].count))
    }
    _ = try? Beacon(frame: bytes)
    _ = try? Topic(decoding: bytes)
    // The whole input as one frame: a packed frame of messages, re-packed exactly.
    if let messages = try? WireMessage.unpacking(bytes, maxPayload: 1 << 20) {
        precondition(!messages.isEmpty && WireMessage.packed(messages) == bytes)
    }
    _ = try? Inbound.decodingAll(frames: [bytes], via: .puller, maxPayload: 1 << 20)
    return 0
}
