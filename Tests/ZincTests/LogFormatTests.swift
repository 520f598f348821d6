import Foundation
import Testing
import ZeroMQ
@testable import Zinc

/// `zinc node --log-format json` and the handshake messages.
@Suite("Logs")
struct LogFormatTests {
    @Test("--log-format json writes one JSON object per line, with level, message and metadata")
    func jsonLines() async throws {
        let helper = ProcessTests()
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = helper.freePort()
        let node = try ZincProcess(["node", "--id", "json-logger", "--bind", "tcp://127.0.0.1:\(port)", "--log-format", "json", "--admin", "ipc://\(directory)/admin"])
        #expect(await eventually(.seconds(10)) { adminStatus("ipc://\(directory)/admin") != nil })
        node.signal(SIGTERM)
        _ = await node.wait()
        // Standard output carries the banner; every log line (standard error) is JSON.
        let all = node.output.split(separator: "\n").filter { !$0.isEmpty }
        #expect(all.allSatisfy { $0.hasPrefix("{") || $0.hasPrefix("zinc node ") }, "\(all)")
        let lines = all.filter { $0.hasPrefix("{") }
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] is String && object?["message"] is String && object?["time"] is String && object?["label"] as? String == "zinc", "\(line)")
        }
        #expect(lines.contains { $0.contains("\"node\":\"json-logger\"") }, "metadata carried: \(lines)")
    }

    @Test("a failed handshake blames the cluster key only when keys are in play and libzmq says authentication failed")
    func handshakeMessages() {
        let unkeyed = HandshakeFailure.describe(.handshakeFailedNoDetail, keyed: false, side: .toParent)
        #expect(!unkeyed.contains("cluster key") && unkeyed.contains("may have died"), "\(unkeyed)")
        #expect(HandshakeFailure.describe(.handshakeFailedAuth, keyed: true, side: .fromPeer).contains("same cluster key"))
        #expect(HandshakeFailure.describe(.handshakeFailedProtocol, keyed: true, side: .toParent).contains("without the cluster key"))
        #expect(HandshakeFailure.describe(.handshakeFailedNoDetail, keyed: true, side: .toParent).contains("closed midway"))
    }
}
