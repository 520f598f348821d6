import Testing
@testable import ZincCore
@testable import ZincProtocol
@testable import ZincSimulator

@Suite("Node certificates")
struct CertificateTests {
    let authority = CertificateAuthority.generate()
    let nodeKey = [UInt8](repeating: 7, count: 32)

    func issue(role: NodeCertificate.Role = .member, documents: [String] = ["*"], expires: UInt64? = nil) throws -> NodeCertificate {
        try authority.issue(nodeKey: nodeKey, role: role, name: "alice", documents: documents.compactMap(DocumentPattern.init), issued: 1_000, expires: expires)
    }

    @Test("a certificate round-trips through its encoding and verifies against its authority")
    func roundTrip() throws {
        let certificate = try issue(role: .reader, documents: ["notes", "wiki/*"], expires: 2_000)
        let decoded = try NodeCertificate(decoding: certificate.encoded)
        #expect(decoded == certificate)
        #expect(decoded.encoded == certificate.encoded)
        try decoded.verify(trusting: [authority.publicKey], now: 1_500)
        #expect(decoded.role == .reader && decoded.name == "alice" && decoded.expires == 2_000)
        #expect(decoded.covers("notes") && decoded.covers("wiki/home") && decoded.covers("wiki/"))
        #expect(!decoded.covers("notes2") && !decoded.covers("secret") && !decoded.covers("wik"))
    }

    @Test("every single-byte change to a certificate is refused")
    func tampering() throws {
        let bytes = try issue(documents: ["pub*"], expires: 5_000).encoded
        for index in bytes.indices {
            var tampered = bytes
            tampered[index] ^= 0x01
            let refused: Bool
            do {
                try NodeCertificate(decoding: tampered).verify(trusting: [authority.publicKey], now: 1_500)
                refused = false
            } catch {
                refused = true
            }
            #expect(refused, "byte \(index) changed and the certificate still verified")
        }
    }

    @Test("another authority, an expired certificate: refused with the reason")
    func refusals() throws {
        let certificate = try issue(expires: 2_000)
        let other = CertificateAuthority.generate()
        #expect(throws: CertificateError.self) { try certificate.verify(trusting: [other.publicKey], now: 1_500) }
        do {
            try certificate.verify(trusting: [other.publicKey], now: 1_500)
        } catch {
            #expect(error.reason == .untrustedAuthority)
        }
        do {
            try certificate.verify(trusting: [authority.publicKey], now: 2_000)
            Issue.record("an expired certificate verified")
        } catch {
            #expect(error.reason == .expired)
        }
        // Trusting two authorities at once (rotation): either's certificates verify.
        try certificate.verify(trusting: [other.publicKey, authority.publicKey], now: 1_999)
    }

    @Test("patterns: an ID, or a prefix with one * at the end")
    func patterns() {
        #expect(DocumentPattern("*")?.matches("anything") == true)
        #expect(DocumentPattern("pub*")?.matches("pub") == true && DocumentPattern("pub*")?.matches("public") == true)
        #expect(DocumentPattern("pub*")?.matches("secret") == false)
        #expect(DocumentPattern("a*b") == nil && DocumentPattern("") == nil && DocumentPattern("x\u{0}") == nil)
        #expect(DocumentPattern.list("notes, wiki/*")?.map(\.text) == ["notes", "wiki/*"])
        #expect(DocumentPattern.list("notes,,x") == nil)
    }

    @Test("out-of-range fields cannot be issued")
    func issuingLimits() {
        #expect(throws: CertificateError.self) { try authority.issue(nodeKey: [1, 2], role: .member, name: "x", documents: [.all], issued: 0, expires: nil) }
        #expect(throws: CertificateError.self) { try authority.issue(nodeKey: nodeKey, role: .member, name: "", documents: [.all], issued: 0, expires: nil) }
        #expect(throws: CertificateError.self) { try authority.issue(nodeKey: nodeKey, role: .member, name: String(repeating: "n", count: 65), documents: [.all], issued: 0, expires: nil) }
        #expect(throws: CertificateError.self) { try authority.issue(nodeKey: nodeKey, role: .member, name: "x", documents: [], issued: 0, expires: nil) }
    }

    @Test("hostile input: random and truncated bytes are refused, never trap")
    func hostile() throws {
        let valid = try issue(documents: ["a", "b*"], expires: 9_000).encoded
        for length in 0..<valid.count {
            #expect(throws: CertificateError.self) { try NodeCertificate(decoding: Array(valid.prefix(length))) }
        }
        #expect(throws: CertificateError.self) { try NodeCertificate(decoding: valid + [0]) }
        var random = SimulationRandom(seed: 99)
        for _ in 0..<2_000 {
            var bytes = valid
            for _ in 0..<random.int(1..<8) { bytes[random.int(0..<bytes.count)] = UInt8.random(in: 0...255, using: &random) }
            _ = try? NodeCertificate(decoding: bytes)
            _ = try? NodeCertificate(decoding: (0..<random.int(0..<300)).map { _ in UInt8.random(in: 0...255, using: &random) })
        }
    }
}
