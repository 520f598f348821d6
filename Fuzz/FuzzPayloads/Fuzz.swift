import ZincCore
import ZincProtocol

/// Every control payload; the first byte picks the type.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 1 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 13 {
    case 0: roundTrip(Beacon.self, bytes)
    case 1: roundTrip(JoinRequest.self, bytes)
    case 2: roundTrip(Welcome.self, bytes)
    case 3: roundTrip(Redirect.self, bytes)
    case 4: roundTrip(Heartbeat.self, bytes)
    case 5: roundTrip(SyncRequest.self, bytes)
    case 6: roundTrip(SyncReply.self, bytes)
    case 7: roundTrip(TransferChunk.self, bytes)
    case 8: roundTrip(TransferAck.self, bytes)
    case 9: roundTrip(ApplicationMessage.self, bytes)
    case 10: roundTrip(Leave.self, bytes)
    case 11: roundTrip(MergeInvitation.self, bytes)
    default: roundTrip(HeldVersion.self, bytes)
    }
    return 0
}

/// Decoding either fails or gives a value that encodes and decodes to itself.
func roundTrip<P: WirePayload>(_ type: P.Type, _ bytes: [UInt8]) {
    guard let value = try? P(decoding: bytes) else { return }
    let again = try? P(decoding: value.encoded)
    precondition(again == value, "\(P.self) does not round-trip")
}
