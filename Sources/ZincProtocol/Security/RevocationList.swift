import ZincCore

/// A revocation list file (docs/security.md, "Revoking a certificate"): the fingerprints of
/// certificates no node of the cluster admits any more. A node re-reads it on SIGHUP.
///
/// ```
/// # Zinc revocation list
/// revoke = <64 hex digits>   # SHA-256 of the certificate, as `zinc cert show` prints it
/// ```
package enum RevocationList {
    /// The most entries a list may hold (a list is read whole on every SIGHUP).
    package static let maxEntries = 100_000

    /// Reads the fingerprints of a list; `source` names it in errors.
    package static func parse(_ text: String, source: String) throws(CertificateFileError) -> Set<[UInt8]> {
        var revoked: Set<[UInt8]> = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            // A fingerprint is hex: whatever follows a '#' is a comment.
            let line = (raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "").trimmingCharacters(in: " \t\r")
            guard !line.isEmpty else { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: " \t") }
            guard parts.count == 2, parts[0] == "revoke", let fingerprint = Hex.decode(parts[1]), fingerprint.count == 32 else {
                throw CertificateFileError("\(source), line \(number + 1): expected revoke = <64 hex digits>")
            }
            revoked.insert(fingerprint)
            guard revoked.count <= maxEntries else { throw CertificateFileError("\(source): more than \(maxEntries) entries") }
        }
        return revoked
    }

    /// One entry, as `zinc cert revoke` appends it.
    package static func entry(_ certificate: NodeCertificate) -> String {
        "revoke = \(Hex.encode(certificate.fingerprint))   # \(certificate.name), \(certificate.role)\n"
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> String {
        let skip = Set(set.utf8)
        let bytes = Array(utf8)
        var start = 0, end = bytes.count
        while start < end, skip.contains(bytes[start]) { start += 1 }
        while end > start, skip.contains(bytes[end - 1]) { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
