import CZeroMQ

/// The ZeroMQ socket patterns (zmq_socket(3)).
public enum SocketKind: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case pub, sub, xpub, xsub, push, pull, router, dealer, req, rep, pair
    /// Raw TCP: each message is `[peer routing ID, bytes]`; an empty message marks a peer
    /// connecting or (sent) closes it. For plain-TCP protocols such as HTTP.
    case stream

    var rawValue: Int32 {
        switch self {
        case .pub: ZMQ_PUB
        case .sub: ZMQ_SUB
        case .xpub: ZMQ_XPUB
        case .xsub: ZMQ_XSUB
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        case .router: ZMQ_ROUTER
        case .dealer: ZMQ_DEALER
        case .req: ZMQ_REQ
        case .rep: ZMQ_REP
        case .pair: ZMQ_PAIR
        case .stream: ZMQ_STREAM
        }
    }

    public var description: String {
        switch self {
        case .pub: "PUB"
        case .sub: "SUB"
        case .xpub: "XPUB"
        case .xsub: "XSUB"
        case .push: "PUSH"
        case .pull: "PULL"
        case .router: "ROUTER"
        case .dealer: "DEALER"
        case .req: "REQ"
        case .rep: "REP"
        case .pair: "PAIR"
        case .stream: "STREAM"
        }
    }

    /// True for kinds that can receive (everything but PUB and PUSH).
    public var canReceive: Bool { self != .pub && self != .push }
    /// True for kinds that can send (everything but SUB and PULL).
    public var canSend: Bool { self != .sub && self != .pull }
}
