import Foundation
import Testing
@testable import Zinc
import ZeroMQ
import ZincProtocol

/// `zinc authority init`, `zinc cert issue`, `zinc cert show` as scripts use them.
@Suite("certificate commands", .timeLimit(.minutes(2)))
struct CertificateCommandTests {
    @Test("an authority issues a reader certificate that verifies against it and no other; files are 0600 and never overwritten")
    func issueAndShow() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ca = directory + "/ca", other = directory + "/other", cert = directory + "/kiosk.cert"
        #expect(try await runZinc(["authority", "init", "--out", ca]).status == 0)
        #expect(try await runZinc(["authority", "init", "--out", other]).status == 0)
        #expect(try permissions(ca + "/authority.key") == 0o600 && permissions(ca + "/authority.pub") == 0o644)
        let issued = try await runZinc(["cert", "issue", "--authority", ca, "--name", "kiosk", "--role", "reader", "--documents", "pub*,notes", "--expires", "2099-01-01", "--out", cert])
        #expect(issued.status == 0, "\(issued.output)")
        #expect(try permissions(cert) == 0o600)

        let file = try CertificateFiles.readNodeCertificate(String(contentsOfFile: cert, encoding: .utf8), source: cert)
        let trusted = try CertificateFiles.readAuthorityPublicKey(String(contentsOfFile: ca + "/authority.pub", encoding: .utf8), source: "pub")
        #expect(file.certificate.name == "kiosk" && file.certificate.role == .reader)
        #expect(file.certificate.documents.map(\.text) == ["pub*", "notes"])
        #expect(file.certificate.expires == 4_070_908_800)
        #expect(file.keys.publicKey.bytes == file.certificate.nodeKey)
        try file.certificate.verify(trusting: [trusted], now: UInt64(Date().timeIntervalSince1970))

        let shown = try await runZinc(["cert", "show", cert, "--trust", ca + "/authority.pub"])
        #expect(shown.status == 0 && shown.output.contains("role       reader") && shown.output.contains("valid      signed by a trusted authority"), "\(shown.output)")
        let untrusted = try await runZinc(["cert", "show", cert, "--trust", other + "/authority.pub"])
        #expect(untrusted.status != 0 && untrusted.output.contains("does not trust"), "\(untrusted.output)")
        let again = try await runZinc(["cert", "issue", "--authority", ca, "--name", "kiosk", "--role", "reader", "--out", cert])
        #expect(again.status != 0 && again.output.contains("refusing to overwrite"), "\(again.output)")
        let badRole = try await runZinc(["cert", "issue", "--authority", ca, "--name", "x", "--role", "admin", "--out", directory + "/x.cert"])
        #expect(badRole.status != 0 && badRole.output.contains("'reader' and 'member'"), "\(badRole.output)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/x.cert"))
    }

    private func permissions(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }
}
