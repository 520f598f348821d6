import ZincProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let certificate = try? NodeCertificate(decoding: bytes) else { return 0 }
    precondition(certificate.encoded == bytes, "a certificate does not re-encode to its bytes")
    // Verification must refuse or accept, never trap, whatever the decoded fields are.
    _ = try? certificate.verify(trusting: [certificate.authority], now: 0)
    return 0
}
