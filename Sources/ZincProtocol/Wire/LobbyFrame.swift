package import ZincCore

/// The one exchange before a certified connection (docs/protocol.md §24): a node about to
/// connect presents its certificate to the host's lobby, and learns the host's certificate,
/// whose CURVE key it then connects with. Carried in one frame each way, in plaintext over
/// ZeroMQ (DEALER to ROUTER); a certificate is public, and proves nothing until the CURVE
/// handshake shows its holder has the secret key.
///
/// ```
/// lobbyFrame = "ZLBY" u8 1 (version), then
///              u8 1, u16 n, certificate (n bytes)             hello: the connecting node's certificate
///            | u8 2, u16 n, certificate (n bytes)             admitted: the host's certificate
///            | u8 3, u8 reason, u8 n, text (n bytes UTF-8)    refused, and why
/// ```
package enum LobbyFrame: Sendable, Hashable {
    case hello(certificate: [UInt8])
    case admitted(certificate: [UInt8])
    case refused(LobbyRefusal, reason: String)

    package static let magic: [UInt8] = Array("ZLBY".utf8)
    package static let version: UInt8 = 1
    /// The largest frame: a hello or admitted frame with the largest certificate.
    package static let maxBytes = magic.count + 2 + 2 + NodeCertificate.maxEncodedBytes

    package var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 256)
        writer.write(Self.magic)
        writer.write(Self.version)
        switch self {
        case .hello(let certificate), .admitted(let certificate):
            writer.write(UInt8(isHello ? 1 : 2))
            writer.write(uint16: UInt16(clamping: certificate.count))
            writer.write(certificate.prefix(Int(UInt16.max)))
        case .refused(let refusal, let reason):
            let text = Array(reason.utf8.prefix(255))
            writer.write(UInt8(3))
            writer.write(refusal.rawValue)
            writer.write(UInt8(text.count))
            writer.write(text)
        }
        return writer.bytes
    }

    private var isHello: Bool {
        if case .hello = self { return true }
        return false
    }

    /// Decodes one lobby frame, refusing anything malformed or oversized.
    package init(decoding bytes: [UInt8]) throws(FormatError) {
        guard bytes.count <= Self.maxBytes else { throw FormatError(.limitExceeded, "a lobby frame of \(bytes.count) bytes") }
        self = try withReader(bytes) { (reader) throws(FormatError) -> LobbyFrame in
            guard try reader.readBytes(4, "lobby magic") == Self.magic else { throw FormatError(.invalid, "not a lobby frame") }
            let version = try reader.readByte("lobby version")
            guard version == Self.version else { throw FormatError(.unsupportedVersion, "lobby version \(version)") }
            let frame: LobbyFrame
            switch try reader.readByte("lobby kind") {
            case let kind where kind == 1 || kind == 2:
                let count = Int(try reader.readUInt16("certificate length"))
                guard count <= NodeCertificate.maxEncodedBytes else { throw FormatError(.limitExceeded, "a certificate of \(count) bytes") }
                let certificate = try reader.readBytes(count, "certificate")
                frame = kind == 1 ? .hello(certificate: certificate) : .admitted(certificate: certificate)
            case 3:
                guard let refusal = LobbyRefusal(rawValue: try reader.readByte("refusal")) else { throw FormatError(.invalid, "unknown refusal") }
                let count = Int(try reader.readByte("reason length"))
                let text = try reader.readBytes(count, "reason")
                guard text.withUnsafeBytes({ isValidUTF8($0) }) else { throw FormatError(.invalid, "reason is not UTF-8") }
                frame = .refused(refusal, reason: String(decoding: text, as: UTF8.self))
            case let kind:
                throw FormatError(.invalid, "lobby kind \(kind)")
            }
            try reader.expectEnd("lobby frame")
            return frame
        }
    }
}

/// Why a lobby refused a certificate (docs/protocol.md §24).
package enum LobbyRefusal: UInt8, Sendable, Hashable, CaseIterable {
    case malformed = 1
    case untrustedAuthority = 2
    case badSignature = 3
    case expired = 4
    case revoked = 5
    /// The host admits no more peers now (its table is full, or too many hellos a second).
    case busy = 6

    package init(_ reason: CertificateError.Reason) {
        switch reason {
        case .malformed: self = .malformed
        case .untrustedAuthority: self = .untrustedAuthority
        case .badSignature: self = .badSignature
        case .expired: self = .expired
        case .revoked: self = .revoked
        }
    }
}
