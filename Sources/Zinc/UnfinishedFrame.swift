import ZeroMQ
import ZincProtocol

/// The messages of a packed frame (docs/protocol.md §4) that one read budget did not reach: a
/// frame can carry hundreds of messages, and a node handling them slowly must still run its
/// timers (heartbeats above all) between them. The socket's next read hands them to the
/// machine first, in order, before taking anything newer from libzmq.
struct UnfinishedFrame {
    let inbounds: [Inbound]
    /// The first message not yet handed on.
    var next = 0
    /// The certified link it came on, when the socket identifies peers.
    let peer: Socket.Peer?

    /// How many messages are handed on between two looks at the clock: it is read per frame
    /// on the hot path, and a frame's messages are small.
    static let messagesPerClockReading = 8

    var isFinished: Bool { next == inbounds.count }
}
