import ZincProtocol

/// A WebSocket gateway frame (docs/protocol.md §23): decoded; what decodes re-encodes to the
/// same bytes, and a message's envelope is decoded as the gateway would.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let frame = try? GatewayFrame(decoding: bytes, maxMessage: 1 << 20) else { return 0 }
    precondition(frame.encoded == bytes, "a gateway frame re-encodes to other bytes")
    if case .message(let frames) = frame {
        _ = try? Inbound(frames: frames, via: .gateway, maxPayload: 1 << 20)
    }
    return 0
}
