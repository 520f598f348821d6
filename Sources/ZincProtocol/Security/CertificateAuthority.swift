import Crypto

/// A cluster authority (docs/security.md, "Node certificates"): an Ed25519 key pair that signs
/// node certificates. Ed25519 (RFC 8032, through swift-crypto): deterministic signatures, so
/// no nonce to get wrong; 32-byte keys and 64-byte signatures; fast verification on every
/// handshake; and the same curve family as CurveZMQ, whose keys the certificates carry.
package struct CertificateAuthority: Sendable {
    private let key: Curve25519.Signing.PrivateKey

    /// A new authority with a fresh random key.
    package static func generate() -> CertificateAuthority {
        CertificateAuthority(key: Curve25519.Signing.PrivateKey())
    }

    /// The authority whose 32-byte secret seed is `seed`; nil if it is not one.
    package init?(seed: [UInt8]) {
        guard seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else { return nil }
        self.key = key
    }

    private init(key: Curve25519.Signing.PrivateKey) { self.key = key }

    /// The 32-byte secret seed (what the authority key file keeps).
    package var seed: [UInt8] { Array(key.rawRepresentation) }
    /// The 32-byte public key verifiers trust.
    package var publicKey: [UInt8] { Array(key.publicKey.rawRepresentation) }

    /// Issues a certificate for the node whose CURVE public key is `nodeKey`.
    package func issue(nodeKey: [UInt8], role: NodeCertificate.Role, name: String, documents: [DocumentPattern], issued: UInt64, expires: UInt64?) throws(CertificateError) -> NodeCertificate {
        try NodeCertificate(nodeKey: nodeKey, role: role, name: name, documents: documents, issued: issued, expires: expires, signedBy: key)
    }
}
