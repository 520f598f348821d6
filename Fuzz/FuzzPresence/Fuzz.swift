import ZincCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let presence = try? Presence(decoding: bytes) else { return 0 }
    precondition((try? Presence(decoding: presence.encoded())) == presence, "presence does not round-trip")
    return 0
}
