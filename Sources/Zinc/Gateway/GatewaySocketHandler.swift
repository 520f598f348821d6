import NIOCore
import NIOWebSocket

/// One browser's WebSocket on the gateway's event loop: binary messages go to the I/O thread
/// through the ``GatewayInbox``, messages from the I/O thread go out as binary frames, and a
/// ping every second keeps the connection honest: one that sends nothing for
/// ``silenceLimit`` (not even the pong a browser answers with while its tab's timers are
/// throttled) is closed, and the node lets the browser go (docs/protocol.md §23).
final class GatewaySocketHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrameBytes
    typealias OutboundOut = WebSocketFrame

    static let pingInterval: TimeAmount = .seconds(1)
    static let silenceLimit: TimeAmount = .seconds(3)

    private let inbox: GatewayInbox
    private let id: Int
    private var lastHeard = NIODeadline.now()
    private var pinger: RepeatedTask?
    private var closing = false

    init(id: Int, inbox: GatewayInbox) {
        self.id = id
        self.inbox = inbox
    }

    func handlerAdded(context: ChannelHandlerContext) {
        inbox.post(.opened(GatewayConnection(id: id, channel: context.channel)))
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        pinger = context.eventLoop.scheduleRepeatedTask(initialDelay: Self.pingInterval, delay: Self.pingInterval) { _ in
            let (handler, context) = loopBound.value
            handler.keepAlive(context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        pinger?.cancel()
        pinger = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        pinger?.cancel()
        inbox.post(.closed(connection: id))
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        lastHeard = .now()
        switch frame.opcode {
        case .binary:
            var data = frame.unmaskedData
            inbox.post(.frame(connection: id, bytes: data.readBytes(length: data.readableBytes) ?? []))
        case .ping:
            var payload = frame.unmaskedData
            let reply = WebSocketFrame(fin: true, opcode: .pong, data: payload.readSlice(length: payload.readableBytes) ?? ByteBuffer())
            context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
        case .pong:
            break
        case .connectionClose:
            close(context: context, code: .normalClosure)
        case .text:
            inbox.post(.refused(connection: id, reason: "a text frame (Zinc speaks binary frames only)"))
        default:
            break
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let message = unwrapOutboundIn(data)
        var buffer = context.channel.allocator.buffer(capacity: message.bytes.count)
        buffer.writeBytes(message.bytes)
        context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, data: buffer)), promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A frame over the size limit, a protocol violation, a reset: the browser reconnects.
        inbox.post(.refused(connection: id, reason: "\(error)"))
        close(context: context, code: .protocolError)
    }

    private func keepAlive(context: ChannelHandlerContext) {
        if NIODeadline.now() - lastHeard > Self.silenceLimit {
            close(context: context, code: .goingAway)
            return
        }
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer())), promise: nil)
    }

    private func close(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        guard !closing else { return }
        closing = true
        var buffer = context.channel.allocator.buffer(capacity: 2)
        buffer.write(webSocketErrorCode: code)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: buffer)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { _ in bound.value.close(promise: nil) }
    }
}
