import ZincCore

/// Whole-document snapshots: loading arbitrary bytes throws or yields a usable document.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var limits = DocumentLimits.default
    limits.decoding.maxBytes = 1 << 20
    limits.decoding.maxElements = 1 << 16
    guard var document = try? Document(snapshot: bytes, replica: ReplicaID(high: 9, low: 9), limits: limits) else { return 0 }
    _ = document.text()
    _ = document.canonicalContent()
    _ = document.fragment(since: VersionVector())
    try? document.insert("x", at: 0)
    return 0
}
