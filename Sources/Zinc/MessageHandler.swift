public import ZincCore
public import ZincProtocol

/// An application message delivered to a ``MessageHandler``.
public struct Message: Sendable, Hashable {
    /// The channel it was sent on.
    public var channel: String
    /// The node that sent it.
    public var origin: ReplicaID
    /// Where it was sent.
    public var routing: Routing
    /// What the sender sent.
    public var body: [UInt8]
    /// Unique per origin.
    package var sequence: UInt64
}

/// What an application implements to receive its messages (and, if it wants, document
/// changes). Handlers run on the endpoint's I/O thread, one message at a time, in arrival
/// order: keep them quick, and hand long work to a task.
public protocol MessageHandler: Sendable {
    /// The channels this handler receives, read once when it is registered
    /// (``Endpoint/register(_:)``).
    var channels: Set<String> { get }
    /// A message on one of ``channels``.
    func handle(_ message: Message, context: MessageContext)
    /// A batch of changes to an open document (local or remote). Optional.
    func documentChanged(_ document: String, batch: ChangeBatch, context: MessageContext)
}

extension MessageHandler {
    /// Ignores document changes (the default).
    public func documentChanged(_ document: String, batch: ChangeBatch, context: MessageContext) {}
}

/// What a handler can do in response, from the I/O thread.
public struct MessageContext: Sendable {
    let core: EndpointCore

    /// This node's ID.
    public var node: ReplicaID { core.node }

    /// Sends an application message into the tree (queued; never blocks; dropped if the
    /// endpoint has stopped).
    public func send(channel: String, routing: Routing, body: [UInt8]) {
        core.post(EndpointCore.Command { listener in listener.send(channel: channel, routing: routing, body: body) })
    }
}
