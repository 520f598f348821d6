import ZincCore

/// A document with some state, built once; each input starts from a copy (copy-on-write).
let base: Document = {
    var limits = DocumentLimits.default
    limits.decoding.maxBytes = 1 << 20
    limits.decoding.maxElements = 1 << 16
    var document = Document(replica: ReplicaID(high: 3, low: 4), limits: limits)
    try? document.insert("seed text", at: 0)
    document.commit()
    return document
}()

/// Fragment decoding and applying: a decoded fragment is applied to a document holding some
/// state, which must stay consistent (never trap, never corrupt).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let author = ReplicaID(high: 1, low: 2)
    var document = base
    let report: ApplyReport
    do {
        report = try document.apply(encoded: bytes, author: author)
    } catch {
        precondition(document.text() == base.text(), "a rejected fragment changed the document")
        return 0
    }
    // Whatever was applied, the document still encodes and reloads to the same text.
    if report.applied > 0 {
        let reloaded = try? Document(snapshot: document.encodedSnapshot(), replica: document.replica, limits: document.limits)
        precondition(reloaded?.text() == document.text(), "snapshot round trip diverged")
    }
    return 0
}
