import NIOCore
import NIOHTTP1

/// Plain HTTP on the gateway's port, for requests that are not a WebSocket upgrade: the web
/// editor page at `/` and the JavaScript client's modules (``WebAssets``), GET and HEAD only.
final class GatewayHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let name = "zinc-gateway-http"

    private let servesPage: Bool
    private var request: HTTPRequestHead?

    init(servesPage: Bool) { self.servesPage = servesPage }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break
        case .end:
            guard let head = request else { return }
            request = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
        let asset = servesPage ? WebAssets.asset(at: path) : nil
        let status: HTTPResponseStatus
        let body: [UInt8]
        var headers = HTTPHeaders()
        if head.method != .GET && head.method != .HEAD {
            (status, body) = (.methodNotAllowed, Array("GET or HEAD only\n".utf8))
            headers.add(name: "Allow", value: "GET, HEAD")
        } else if let asset {
            (status, body) = (.ok, asset.body)
            headers.add(name: "Content-Type", value: asset.contentType)
            headers.add(name: "Cache-Control", value: "no-cache")
        } else if path == WebSocketGateway.path {
            (status, body) = (.upgradeRequired, Array("connect with a WebSocket\n".utf8))
        } else {
            (status, body) = (.notFound, Array("not found\n".utf8))
        }
        if headers["Content-Type"].isEmpty { headers.add(name: "Content-Type", value: "text/plain; charset=utf-8") }
        headers.add(name: "Content-Length", value: "\(body.count)")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            done.whenComplete { _ in bound.value.close(promise: nil) }
        }
    }
}
