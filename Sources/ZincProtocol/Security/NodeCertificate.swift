import Crypto
import ZincCore

/// A node's certificate (docs/security.md, "Node certificates"): its CURVE public key, name,
/// role and the documents it may receive, until an expiry, signed by a cluster authority with
/// Ed25519. The authority's key travels in the certificate; a verifier decides whether it
/// trusts that key (``verify(trusting:now:)``).
///
/// Encoding (every integer big-endian), exactly these fields in this order:
/// ```
/// "ZCRT"  version(1) = 1
/// node CURVE public key (32)
/// role (1): 0 reader, 1 member
/// name: length (1, 1–64) + UTF-8
/// documents: count (1, 1–32), each length (1, 1–255) + UTF-8 pattern
/// issued (8), expires (8): Unix seconds; expires 0 = never
/// authority Ed25519 public key (32)
/// signature (64): Ed25519 over every byte before it
/// ```
package struct NodeCertificate: Sendable, Hashable {
    /// What a certified node may do.
    package enum Role: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// Receives the documents its certificate covers; never writes, never hosts members.
        case reader = 0
        /// Writes the documents its certificate covers, and may host.
        case member = 1

        package var description: String { self == .reader ? "reader" : "member" }
    }

    package static let magic: [UInt8] = Array("ZCRT".utf8)
    package static let version: UInt8 = 1
    package static let maxNameBytes = 64
    package static let maxPatterns = 32
    /// The largest encoding: 32 patterns of 255 bytes and a 64-byte name.
    package static let maxEncodedBytes = 4 + 1 + 32 + 1 + 1 + maxNameBytes + 1 + maxPatterns * 256 + 8 + 8 + 32 + 64

    package let nodeKey: [UInt8]
    package let role: Role
    package let name: String
    package let documents: [DocumentPattern]
    package let issued: UInt64
    /// Nil: never expires.
    package let expires: UInt64?
    package let authority: [UInt8]
    package private(set) var signature: [UInt8]

    /// Signs a certificate with `authority`'s key (``CertificateAuthority/issue``). Throws if a
    /// field is out of range.
    init(
        nodeKey: [UInt8], role: Role, name: String, documents: [DocumentPattern], issued: UInt64, expires: UInt64?,
        signedBy authority: Curve25519.Signing.PrivateKey
    ) throws(CertificateError) {
        try Self.check(nodeKey: nodeKey, name: name, documents: documents, expires: expires)
        self.init(
            nodeKey: nodeKey, role: role, name: name, documents: documents, issued: issued, expires: expires,
            authority: Array(authority.publicKey.rawRepresentation), signature: [])
        do {
            signature = Array(try authority.signature(for: signedBody))
        } catch {
            throw CertificateError(.malformed, "cannot sign: \(error)")
        }
    }

    /// Decodes a certificate, checking its form (not its signature: ``verify(trusting:now:)``).
    package init(decoding bytes: [UInt8]) throws(CertificateError) {
        guard bytes.count <= Self.maxEncodedBytes else { throw CertificateError(.malformed, "\(bytes.count) bytes, more than a certificate can hold") }
        do throws(FormatError) {
            self = try withReader(bytes) { (reader) throws(FormatError) -> NodeCertificate in
                guard try reader.readBytes(4, "certificate magic") == Self.magic else { throw FormatError(.invalid, "not a Zinc certificate") }
                let version = try reader.readByte("certificate version")
                guard version == Self.version else { throw FormatError(.unsupportedVersion, "certificate version \(version)") }
                let nodeKey = try reader.readBytes(32, "node key")
                guard let role = Role(rawValue: try reader.readByte("role")) else { throw FormatError(.invalid, "unknown role") }
                let name = try Self.readName(&reader, max: Self.maxNameBytes, "name")
                let count = Int(try reader.readByte("document count"))
                guard (1...Self.maxPatterns).contains(count) else { throw FormatError(.invalid, "\(count) document patterns") }
                var documents: [DocumentPattern] = []
                for _ in 0..<count {
                    let text = try Self.readName(&reader, max: 255, "document pattern")
                    guard let pattern = DocumentPattern(text) else { throw FormatError(.invalid, "document pattern \(text)") }
                    documents.append(pattern)
                }
                let issued = try reader.readUInt64("issued")
                let expires = try reader.readUInt64("expires")
                let authority = try reader.readBytes(32, "authority key")
                let signature = try reader.readBytes(64, "signature")
                try reader.expectEnd("certificate")
                return NodeCertificate(
                    nodeKey: nodeKey, role: role, name: name, documents: documents, issued: issued,
                    expires: expires == 0 ? nil : expires, authority: authority, signature: signature)
            }
        } catch {
            throw CertificateError(.malformed, "\(error)")
        }
        try Self.check(nodeKey: nodeKey, name: name, documents: documents, expires: expires)
    }

    private init(nodeKey: [UInt8], role: Role, name: String, documents: [DocumentPattern], issued: UInt64, expires: UInt64?, authority: [UInt8], signature: [UInt8]) {
        self.nodeKey = nodeKey
        self.role = role
        self.name = name
        self.documents = documents
        self.issued = issued
        self.expires = expires
        self.authority = authority
        self.signature = signature
    }

    /// The signed encoding.
    package var encoded: [UInt8] {
        signedBody + signature
    }

    /// Checks the signature, that `trusted` holds the issuing authority, and that the
    /// certificate is valid at `now` (Unix seconds).
    package func verify(trusting trusted: Set<[UInt8]>, now: UInt64) throws(CertificateError) {
        guard trusted.contains(authority) else { throw CertificateError(.untrustedAuthority, "issued by an authority this node does not trust") }
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: authority), key.isValidSignature(signature, for: signedBody) else {
            throw CertificateError(.badSignature, "the signature does not match the certificate")
        }
        if let expires, now >= expires { throw CertificateError(.expired, "expired at \(expires) (Unix seconds)") }
    }

    /// True if the certificate lets its node receive `document`.
    package func covers(_ document: String) -> Bool {
        documents.contains { $0.matches(document) }
    }

    /// True if the certificate covers every document (the pattern `*`): its holder may hear
    /// what names them all, such as tree heartbeats and a node's whole status.
    package var coversEveryDocument: Bool { documents.contains(DocumentPattern.all) }

    // MARK: - Encoding

    /// Every field before the signature, encoded: what the authority signs.
    private var signedBody: [UInt8] {
        var writer = ByteWriter()
        writer.write(Self.magic)
        writer.write(Self.version)
        writer.write(nodeKey)
        writer.write(role.rawValue)
        writer.write(UInt8(name.utf8.count))
        writer.write(name.utf8)
        writer.write(UInt8(documents.count))
        for pattern in documents {
            writer.write(UInt8(pattern.text.utf8.count))
            writer.write(pattern.text.utf8)
        }
        writer.write(uint64: issued)
        writer.write(uint64: expires ?? 0)
        writer.write(authority)
        return writer.bytes
    }

    private static func readName(_ reader: inout ByteReader, max: Int, _ context: String) throws(FormatError) -> String {
        let count = Int(try reader.readByte(context + " length"))
        guard (1...max).contains(count) else { throw FormatError(.invalid, "\(context) of \(count) bytes") }
        return try reader.withBytes(count, context) { (raw) throws(FormatError) -> String in
            guard isValidUTF8(raw), !raw.contains(0) else { throw FormatError(.invalid, context + " is not valid UTF-8 without NUL") }
            return String(decoding: raw, as: UTF8.self)
        }
    }

    private static func check(nodeKey: [UInt8], name: String, documents: [DocumentPattern], expires: UInt64?) throws(CertificateError) {
        guard nodeKey.count == 32 else { throw CertificateError(.malformed, "a node key has 32 bytes") }
        let nameBytes = name.utf8.count
        guard (1...maxNameBytes).contains(nameBytes), !name.utf8.contains(0) else { throw CertificateError(.malformed, "a name has 1–\(maxNameBytes) bytes of UTF-8 without NUL") }
        guard (1...maxPatterns).contains(documents.count) else { throw CertificateError(.malformed, "a certificate names 1–\(maxPatterns) document patterns") }
        guard expires != 0 else { throw CertificateError(.malformed, "expiry 0 is written for a certificate that never expires") }
    }
}

/// Why a certificate was refused.
package struct CertificateError: Error, Sendable, Hashable, CustomStringConvertible {
    package enum Reason: Sendable, Hashable {
        case malformed, untrustedAuthority, badSignature, expired, revoked
    }

    package let reason: Reason
    package let message: String

    package init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    package var description: String { message }
}
