import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import Zinc

/// The WebSocket gateway in an endpoint: what it serves over plain HTTP (the page and the
/// client, byte for byte the sources in Clients/), and where it refuses to listen. The client
/// side, with browsers in the tree, is tested by Clients/js/test/gateway.test.mjs against real
/// `zinc node` processes.
@Suite("WebSocket gateway endpoint")
struct GatewayEndpointTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("the embedded page and modules are the files in Clients/ (run scripts/embed-web after changing them)")
    func assetsMatchSources() throws {
        #expect(WebAssets.sources.count == WebAssets.assets.count)
        let modules = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("Clients/js").path).filter { $0.hasSuffix(".mjs") }
        #expect(Set(modules.map { "/" + $0 }).isSubset(of: Set(WebAssets.sources.keys)), "every module of Clients/js is served")
        for (path, file) in WebAssets.sources {
            let source = try [UInt8](Data(contentsOf: Self.root.appendingPathComponent(file)))
            #expect(WebAssets.asset(at: path)?.body == source, "\(path) differs from \(file): run scripts/embed-web")
        }
    }

    @Test("an endpoint serves the page, the client and nothing else over HTTP, and tells where browsers connect")
    func servesPage() async throws {
        var configuration = EndpointConfiguration()
        configuration.webSocket = WebSocketGateway(host: "127.0.0.1", port: 0)
        let endpoint = try Endpoint(configuration)
        let url = try #require(endpoint.webSocket)
        #expect(url.hasPrefix("ws://127.0.0.1:") && url.hasSuffix("/zinc"))
        let base = url.replacingOccurrences(of: "ws://", with: "http://").replacingOccurrences(of: "/zinc", with: "")
        for (path, expected) in [("/", 200), ("/zinc.mjs", 200), ("/missing", 404), ("/zinc", 426)] {
            let (data, response) = try await URLSession.shared.data(from: try #require(URL(string: base + path)))
            let status = (response as? HTTPURLResponse)?.statusCode
            #expect(status == expected, "\(path)")
            if path == "/zinc.mjs" { #expect(Array(data) == WebAssets.asset(at: path)?.body) }
        }
        let status = try await endpoint.status()
        #expect(status.webSocket == url)
        await endpoint.shutdown()
    }

    @Test("a gateway on an address other than loopback needs isPublic")
    func loopbackOnly() {
        var configuration = EndpointConfiguration()
        configuration.webSocket = WebSocketGateway(host: "0.0.0.0", port: 0)
        #expect(throws: EndpointError.self) { try Endpoint(configuration) }
    }
}
