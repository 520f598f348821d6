import Crypto

/// What a certified node accepts (docs/security.md, "Node certificates"): certificates signed
/// by one of `authorities`, unexpired, and not on the revocation list. Trusting two
/// authorities at once is how a cluster moves from one to the other.
package struct TrustPolicy: Sendable, Hashable {
    /// Ed25519 public keys of the trusted authorities.
    package var authorities: Set<[UInt8]>
    /// Fingerprints (``NodeCertificate/fingerprint``) of revoked certificates.
    package var revoked: Set<[UInt8]>

    package init(authorities: Set<[UInt8]>, revoked: Set<[UInt8]> = []) {
        self.authorities = authorities
        self.revoked = revoked
    }

    /// Throws why `certificate` is not acceptable at `now` (Unix seconds).
    package func check(_ certificate: NodeCertificate, now: UInt64) throws(CertificateError) {
        try certificate.verify(trusting: authorities, now: now)
        guard !revoked.contains(certificate.fingerprint) else {
            throw CertificateError(.revoked, "certificate of \(certificate.name) is revoked")
        }
    }
}

extension NodeCertificate {
    /// SHA-256 of the signed encoding: what a revocation list names.
    package var fingerprint: [UInt8] { Array(SHA256.hash(data: encoded)) }
}
