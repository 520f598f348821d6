import ZincCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let vector = try? VersionVector(decoding: bytes) else { return 0 }
    precondition((try? VersionVector(decoding: vector.encoded)) == vector, "version vector does not round-trip")
    _ = vector.digest
    return 0
}
