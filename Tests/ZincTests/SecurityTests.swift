import Foundation
import Testing
@testable import Zinc
import ZeroMQ
import ZincCore
import ZincProtocol

@Suite("cluster keys (CURVE + ZAP)", .serialized, .timeLimit(.minutes(2)))
struct ClusterKeyTests {
    func key() throws -> ClusterKey { ClusterKey(cluster: try CurveKeyPair.generate()) }

    func keyed(_ tree: TestTree, key: ClusterKey?, join: [String] = [], name: String) throws -> Endpoint {
        try tree.host(join: join, name: name) { $0.key = key }
    }

    @Test("with the same key a keyed tree converges")
    func rightKey() async throws {
        let tree = TestTree()
        let key = try key()
        let host = try keyed(tree, key: key, name: "k-host")
        let client = try keyed(tree, key: key, join: [try #require(host.addresses?.publish)], name: "k-client")
        #expect(try await eventually { try await host.status().children.count == 1 })
        try await client.document("secret").edit { try $0.insert("classified", at: 0) }
        #expect(await eventually { (try? await host.document("secret").text()) == "classified" })
        await tree.shutdown()
    }

    @Test("with a wrong key or none, nothing is delivered either way, and the refusals are counted", arguments: ["wrong key", "no key"])
    func refused(_ variant: String) async throws {
        let tree = TestTree()
        let host = try keyed(tree, key: try key(), name: "guarded-host")
        let intruder = try keyed(tree, key: variant == "wrong key" ? try key() : nil, join: [try #require(host.addresses?.publish)], name: "intruder")
        try await host.document("vault").edit { try $0.insert("host secret", at: 0) }
        try await intruder.document("vault").edit { try $0.insert("injected", at: 0) }
        // Wait for the evidence that the intruder tried and was refused (it reconnects every
        // 50–500 ms); then nothing may have crossed either way.
        #expect(try await eventually {
            let counters = try await host.status().counters
            return (counters[.handshakeFailures]) + (counters[.peersRefused]) > 0
        })
        #expect(try await host.status().children.isEmpty)
        #expect(try await host.document("vault").text() == "host secret", "nothing got in")
        #expect(try await intruder.document("vault").text() == "injected", "nothing got out")
        let hostCounters = try await host.status().counters
        let intruderCounters = try await intruder.status().counters
        #expect(hostCounters[.handshakeFailures] + hostCounters[.peersRefused] > 0, "the host counted the refusals: \(hostCounters)")
        #expect(intruderCounters[.handshakeFailures] > 0 || variant == "no key", "the intruder saw its handshakes fail")
        await tree.shutdown()
    }

    @Test("a capture of a keyed cluster's loopback traffic holds no plaintext; an unkeyed one does (the capture works)",
          .enabled(if: LoopbackCapture.available, "needs raw sockets (CAP_NET_RAW) to capture loopback traffic"))
    func noPlaintextOnTheWire() async throws {
        for keyed in [true, false] {
            let marker = "ZINC-MARKER-\(UUID().uuidString)"
            let capture = try #require(LoopbackCapture())
            let tree = TestTree()
            let key = keyed ? try key() : nil
            let host = try self.keyed(tree, key: key, name: "cap-host-\(keyed)")
            let client = try self.keyed(tree, key: key, join: [try #require(host.addresses?.publish)], name: "cap-client-\(keyed)")
            #expect(try await eventually { try await host.status().children.count == 1 })
            try await client.document("doc").edit { try $0.insert(marker, at: 0) }
            #expect(await eventually { (try? await host.document("doc").text()) == marker })
            await tree.shutdown()
            let captured = capture.finish()
            #expect(captured.count > 1000, "the capture saw the traffic")
            #expect(captured.contains(subsequence: Array(marker.utf8)) == !keyed, keyed ? "plaintext leaked from a keyed cluster" : "the unkeyed control should show the marker")
        }
    }

    @Test("key files: round trip, mismatched halves, garbage, allow-lists")
    func keyFiles() throws {
        let pair = try CurveKeyPair.generate()
        let text = "# comment\n  # indented comment\npublic-key = \(pair.publicKey.z85)\nsecret-key = \(pair.secretKey.z85)\n"
        let key = try ClusterKey(parsing: text)
        #expect(key.cluster == pair && key.client == pair && key.allowed == [pair.publicKey])
        let other = try CurveKeyPair.generate()
        #expect(throws: ClusterKeyError.self) { try ClusterKey(parsing: "public-key = \(other.publicKey.z85)\nsecret-key = \(pair.secretKey.z85)") }
        #expect(throws: ClusterKeyError.self) { try ClusterKey(parsing: "secret-key = not-a-key") }
        #expect(throws: ClusterKeyError.self) { try ClusterKey(parsing: "public-key = \(pair.publicKey.z85)") }
        let withAllow = try ClusterKey(parsing: text + "allow = \(other.publicKey.z85)\n")
        #expect(withAllow.allowed == [pair.publicKey, other.publicKey])
    }
}
