import ZincCore

/// Whole-document snapshots: loading arbitrary bytes throws or yields a usable document, whose
/// history decodes (or fails its check) when first read, and which saves to a snapshot that loads.
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
    // The logs are decoded here, when first read, not at load: a defect must show as lost
    // history, never as a trap or a fragment missing operations.
    _ = document.lacksHistory(since: VersionVector())
    _ = document.fragment(since: VersionVector())
    _ = document.history()
    _ = try? document.at(VersionVector())
    try? document.insert("x", at: 0)
    let saved = try? Document(snapshot: document.encodedSnapshot(), replica: ReplicaID(high: 9, low: 9), limits: limits)
    precondition(saved?.canonicalContent() == document.canonicalContent(), "a loaded document does not save to a snapshot that loads")
    return 0
}
