import Foundation
package import ZeroMQ
package import ZincProtocol

/// The text files of node certificates (docs/security.md, "Node certificates"), written by
/// `zinc authority init` and `zinc cert issue`. Lines are `NAME = VALUE`; lines starting with
/// `#` are comments (whole lines only: Z85 uses `#` and `=`).
package enum CertificateFiles {
    /// `authority.key`: the authority's public key and secret seed (mode 0600).
    package static func authorityKey(_ authority: CertificateAuthority) -> String {
        """
        # Zinc cluster authority (Ed25519, Z85). Keep it secret: it issues node certificates.
        authority-public-key = \(Z85.encode(authority.publicKey) ?? "")
        authority-secret-key = \(Z85.encode(authority.seed) ?? "")

        """
    }

    /// `authority.pub`: what nodes trust (`--trust`).
    package static func authorityPublicKey(_ publicKey: [UInt8]) -> String {
        """
        # Zinc cluster authority's public key (Ed25519, Z85): nodes given it with --trust admit the certificates it issues.
        authority-public-key = \(Z85.encode(publicKey) ?? "")

        """
    }

    /// A node certificate file: the signed certificate and the node's CURVE secret key (mode 0600).
    package static func nodeCertificate(_ certificate: NodeCertificate, secretKey: CurveKey) -> String {
        let expiry = certificate.expires.map { "expires \(Date(timeIntervalSince1970: TimeInterval($0)).formatted(.iso8601))" } ?? "never expires"
        return """
        # Zinc node certificate: \(certificate.name), \(certificate.role), documents \(certificate.documents.map(\.text).joined(separator: ",")), \(expiry).
        # Keep it secret: it holds the node's CURVE secret key.
        certificate = \(Data(certificate.encoded).base64EncodedString())
        node-secret-key = \(secretKey.z85)

        """
    }

    /// Reads an authority key file (the secret one).
    package static func readAuthority(_ text: String, source: String) throws(CertificateFileError) -> CertificateAuthority {
        let fields = try parse(text, source: source, allowed: ["authority-public-key", "authority-secret-key"])
        guard let seedText = fields["authority-secret-key"], let seed = Z85.decode(seedText), let authority = CertificateAuthority(seed: seed) else {
            throw CertificateFileError("\(source): no valid authority-secret-key (is this the authority.key written by zinc authority init?)")
        }
        if let publicText = fields["authority-public-key"], Z85.decode(publicText) != authority.publicKey {
            throw CertificateFileError("\(source): authority-public-key does not match authority-secret-key")
        }
        return authority
    }

    /// Reads an authority's public key (`authority.pub`, or the secret file: both name it).
    package static func readAuthorityPublicKey(_ text: String, source: String) throws(CertificateFileError) -> [UInt8] {
        let fields = try parse(text, source: source, allowed: ["authority-public-key", "authority-secret-key"])
        guard let publicText = fields["authority-public-key"], let key = Z85.decode(publicText), key.count == 32 else {
            throw CertificateFileError("\(source): no valid authority-public-key")
        }
        return key
    }

    /// Reads a node certificate file, checking that its secret key is the certified node key's.
    package static func readNodeCertificate(_ text: String, source: String) throws(CertificateFileError) -> (certificate: NodeCertificate, keys: CurveKeyPair) {
        let fields = try parse(text, source: source, allowed: ["certificate", "node-secret-key"])
        guard let encoded = fields["certificate"], let bytes = Data(base64Encoded: encoded) else {
            throw CertificateFileError("\(source): no certificate (base64)")
        }
        let certificate: NodeCertificate
        do {
            certificate = try NodeCertificate(decoding: Array(bytes))
        } catch {
            throw CertificateFileError("\(source): \(error)")
        }
        guard let secretText = fields["node-secret-key"], let secret = CurveKey(z85: secretText), let keys = try? CurveKeyPair(secretKey: secret) else {
            throw CertificateFileError("\(source): no valid node-secret-key")
        }
        guard keys.publicKey.bytes == certificate.nodeKey else {
            throw CertificateFileError("\(source): node-secret-key is not the key the certificate names")
        }
        return (certificate, keys)
    }

    private static func parse(_ text: String, source: String, allowed: Set<String>) throws(CertificateFileError) -> [String: String] {
        var fields: [String: String] = [:]
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, allowed.contains(parts[0]) else {
                throw CertificateFileError("\(source), line \(number + 1): expected one of \(allowed.sorted().joined(separator: ", ")) = VALUE")
            }
            guard fields.updateValue(parts[1], forKey: parts[0]) == nil else {
                throw CertificateFileError("\(source), line \(number + 1): \(parts[0]) given twice")
            }
        }
        return fields
    }
}
