/// A WebSocket gateway for browsers (docs/web.md): the endpoint accepts WebSocket connections
/// at `ws://HOST:PORT/zinc`, and each browser joins the tree as a child of this node, speaking
/// the same messages as any node (docs/protocol.md §23). The endpoint also serves the web
/// editor page at `/` and the JavaScript client at `/zinc.mjs`.
///
/// ```swift
/// var configuration = EndpointConfiguration()
/// configuration.webSocket = WebSocketGateway(host: "127.0.0.1", port: 8080)
/// ```
public struct WebSocketGateway: Sendable, Hashable {
    /// The address to listen on. Anything but a loopback address needs ``isPublic``.
    public var host: String
    /// The TCP port; 0 picks a free one (``EndpointStatus/webSocket`` tells which).
    public var port: Int
    /// Listen on an address other than loopback. Browsers are not authenticated yet: anyone
    /// who can reach the port can read and edit every document (docs/security.md).
    public var isPublic: Bool
    /// Serve the web editor page at `/` and the client modules beside it.
    public var servesPage: Bool = true

    /// A gateway on `host:port`.
    public init(host: String = "127.0.0.1", port: Int, isPublic: Bool = false) {
        self.host = host
        self.port = port
        self.isPublic = isPublic
    }

    /// The path browsers connect to.
    public static let path = "/zinc"

    /// True for `localhost` and loopback addresses (127.0.0.0/8, ::1).
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
