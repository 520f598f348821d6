import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// The gateway's listening socket and event loop (SwiftNIO: HTTP/1.1, the WebSocket upgrade at
/// ``WebSocketGateway/path``, binary frames). Bound on the caller's thread, so a port in use
/// fails the endpoint's start; everything a connection carries goes to the endpoint's I/O thread
/// through the ``GatewayInbox``.
final class GatewayServer: Sendable {
    let inbox: GatewayInbox
    /// The address actually bound (its port when 0 was asked for).
    let boundPort: Int
    let host: String
    private let group: MultiThreadedEventLoopGroup
    private let channel: any NIOCore.Channel

    /// Binds `configuration.host:port`. `maxMessage` bounds one WebSocket message.
    init(_ configuration: WebSocketGateway, maxMessage: Int, inbox: GatewayInbox) throws(EndpointError) {
        guard configuration.isLoopback || configuration.isPublic else {
            throw EndpointError(.cannotBind, "the WebSocket gateway listens on loopback only unless made public (--websocket-public): \(configuration.host) is not a loopback address")
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let connections = Atomic<Int>(0)
        let maxFrame = maxMessage + 1024
        let servesPage = configuration.servesPage
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let id = connections.add(1, ordering: .relaxed).newValue
                let upgrader = NIOWebSocketServerUpgrader(
                    maxFrameSize: maxFrame,
                    shouldUpgrade: { channel, head in
                        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init)
                        return channel.eventLoop.makeSucceededFuture(path == WebSocketGateway.path ? HTTPHeaders() : nil)
                    },
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(
                                NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1024, maxAccumulatedFrameSize: maxFrame))
                            try channel.pipeline.syncOperations.addHandler(GatewaySocketHandler(id: id, inbox: inbox))
                        }
                    })
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                            context.pipeline.removeHandler(name: GatewayHTTPHandler.name, promise: nil)
                        }))
                    try channel.pipeline.syncOperations.addHandler(GatewayHTTPHandler(servesPage: servesPage), name: GatewayHTTPHandler.name)
                }
            }
        do {
            channel = try bootstrap.bind(host: configuration.host, port: configuration.port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw EndpointError(.cannotBind, "cannot listen for WebSocket connections on \(configuration.host):\(configuration.port): \(error)")
        }
        self.group = group
        self.inbox = inbox
        self.host = configuration.host
        boundPort = channel.localAddress?.port ?? configuration.port
    }

    /// `ws://HOST:PORT/zinc`.
    var url: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "ws://\(host):\(boundPort)\(WebSocketGateway.path)"
    }

    /// Stops listening and closes every connection.
    func close() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}
