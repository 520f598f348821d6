import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import Zinc

/// `zinc node --metrics`: Prometheus text exposition, scraped over HTTP.
@Suite("Metrics", .serialized, .timeLimit(.minutes(2)))
struct MetricsTests {
    let helper = ProcessTests()

    func get(_ url: String) async throws -> (status: Int, body: String) {
        let url = try #require(URL(string: url))
        let (data, response) = try await URLSession.shared.data(from: url)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// The value of the sample `name` (with its labels, as exposed), if present.
    func sample(_ name: String, in body: String) -> Double? {
        body.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test("a root with one child serves every status counter, the role, children and depth gauges, and a histogram of delta apply times")
    func scrape() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let metricsPort = helper.freePort()
        let root = try await helper.startNode("metrics-root", directory: directory, port: helper.freePort(), extra: ["--metrics", "127.0.0.1:\(metricsPort)"])
        let leaf = try await helper.startNode("metrics-leaf", join: [root.publish], directory: directory, port: helper.freePort())
        #expect(await eventually(.seconds(10)) { adminStatus(leaf.admin)?.link.isJoined == true })
        _ = try AdminClient(address: leaf.admin).send(.insert("scraped", at: 0, in: "notes"))
        #expect(await eventually(.seconds(10)) { (try? AdminClient(address: root.admin).document("notes").text) == "scraped" })

        let base = "http://127.0.0.1:\(metricsPort)"
        var body = ""
        // The node reports once a second.
        #expect(await eventually(.seconds(10)) {
            body = (try? await get(base + "/metrics").body) ?? ""
            return (sample("zinc_delta_apply_seconds_count{node=\"metrics-root\"}", in: body) ?? 0) >= 1
                && sample("zinc_children{node=\"metrics-root\"}", in: body) == 1
        }, "\(body)")
        #expect(body.contains("# TYPE zinc_messages_in_total counter"))
        for name in EndpointStatus.Counters.Name.allCases {
            #expect(body.contains("# TYPE \(EndpointMetrics.counterLabel(name)) counter"), "\(name) exported")
        }
        #expect(sample("zinc_role{node=\"metrics-root\",role=\"root\"}", in: body) == 1)
        #expect(sample("zinc_role{node=\"metrics-root\",role=\"client\"}", in: body) == 0)
        #expect(sample("zinc_depth{node=\"metrics-root\"}", in: body) == 0)
        #expect(sample("zinc_documents{node=\"metrics-root\"}", in: body) == 1)
        #expect(body.contains("# TYPE zinc_delta_apply_seconds histogram"))
        #expect(try await get(base + "/elsewhere").status == 404)
        var post = URLRequest(url: try #require(URL(string: base + "/metrics")))
        post.httpMethod = "POST"
        let (_, refused) = try await URLSession.shared.data(for: post)
        #expect((refused as? HTTPURLResponse)?.statusCode == 405)
        for node in [leaf, root] { node.process.signal(SIGTERM) }
        for node in [leaf, root] { _ = await node.process.wait() }
    }
}
