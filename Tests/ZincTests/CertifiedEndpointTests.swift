import Foundation
import Testing
@testable import Zinc
import ZeroMQ
import ZincCore
import ZincProtocol

/// Certified endpoints in one process, through the public API (`EndpointConfiguration.identity`).
@Suite("certified endpoints", .serialized, .timeLimit(.minutes(1)))
struct CertifiedEndpointTests {
    /// An authority and certificate files in a temporary directory.
    final class Files: @unchecked Sendable {
        // @unchecked: used from one test task.
        let directory: String
        let authority = CertificateAuthority.generate()
        var trust: String { directory + "/authority.pub" }

        init() throws {
            directory = try temporaryDirectory()
            try CertificateFiles.authorityPublicKey(authority.publicKey).write(toFile: trust, atomically: true, encoding: .utf8)
        }
        deinit { try? FileManager.default.removeItem(atPath: directory) }

        func identity(_ name: String, _ role: NodeCertificate.Role, documents: String = "*") throws -> NodeIdentity {
            let keys = try CurveKeyPair.generate()
            let certificate = try authority.issue(nodeKey: keys.publicKey.bytes, role: role, name: name, documents: DocumentPattern.list(documents) ?? [], issued: 1, expires: nil)
            let path = "\(directory)/\(name).cert"
            try CertificateFiles.nodeCertificate(certificate, secretKey: keys.secretKey).write(toFile: path, atomically: true, encoding: .utf8)
            return try NodeIdentity(certificate: path, trusting: [trust])
        }
    }

    @Test("a reader's endpoint receives what it covers, shares its presence, refuses its own edits and undo without changing anything, and cannot open an uncovered document")
    func readerEndpoint() async throws {
        let files = try Files()
        let tree = TestTree()
        let hostIdentity = try files.identity("host", .member), readerIdentity = try files.identity("kiosk", .reader, documents: "pub*")
        let host = try tree.host("ipc://\(files.directory)/host") { $0.identity = hostIdentity }
        let reader = try tree.host(join: [try #require(host.addresses?.publish)], interest: .documents(["pub1"])) {
            $0.bind = nil
            $0.identity = readerIdentity
        }
        let written = try await host.document("pub1")
        try await written.edit { try $0.insert("hello", at: 0) }
        let read = try await reader.document("pub1")
        #expect(try await eventually(.seconds(10)) { try await read.text() == "hello" })
        #expect(reader.configuration.identity?.role == .reader)

        // Its presence is still shared: the host sees the kiosk's name and colour.
        try await read.updatePresence { $0.name = "kiosk"; $0.color = 0x3366_FFFF }
        #expect(try await eventually(.seconds(10)) { try await written.presence().contains { $0.name == "kiosk" && $0.color == 0x3366_FFFF } })

        await #expect(throws: DocumentError.self) { try await read.edit { try $0.insert("x", at: 0) } }
        _ = try? await read.undo()
        #expect(try await read.text() == "hello", "nothing of the refused edit happened")
        do {
            _ = try await reader.document("secret")
            Issue.record("a reader of pub* opened secret")
        } catch {
            #expect(error.code == .notPermitted)
        }
        #expect(try await host.status().certificate?.name == "host")
        #expect(try await reader.status().certificate?.parent == "host")
        await tree.shutdown()
    }

    @Test("a reader cannot bind; a key and a certificate together are refused; a certificate from an untrusted authority does not start")
    func refusedConfigurations() throws {
        let files = try Files()
        var reader = EndpointConfiguration()
        reader.bind = "tcp://127.0.0.1:29990"
        reader.identity = try files.identity("kiosk", .reader)
        #expect(throws: EndpointError.self) { try Endpoint(reader) }
        var both = EndpointConfiguration()
        both.identity = try files.identity("alice", .member)
        both.key = ClusterKey(cluster: try CurveKeyPair.generate())
        #expect(throws: EndpointError.self) { try Endpoint(both) }
        var local = EndpointConfiguration()
        local.bind = "inproc://certified"
        local.identity = try files.identity("carol", .member)
        #expect(throws: EndpointError.self) { try Endpoint(local) }
        var wildcard = EndpointConfiguration()
        wildcard.bind = "tcp://127.0.0.1:*"
        wildcard.identity = try files.identity("bob", .member)
        #expect(throws: EndpointError.self) { try Endpoint(wildcard) }
        let other = try Files()
        let path = "\(other.directory)/stranger.cert"
        let keys = try CurveKeyPair.generate()
        let stranger = try other.authority.issue(nodeKey: keys.publicKey.bytes, role: .member, name: "stranger", documents: [.all], issued: 1, expires: nil)
        try CertificateFiles.nodeCertificate(stranger, secretKey: keys.secretKey).write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: EndpointError.self) { try NodeIdentity(certificate: path, trusting: [files.trust]) }
    }
}
