/// The registered ``MessageHandler``s, and which of them take each channel. A handler's
/// ``MessageHandler/channels`` is read once, when it is registered, so a message costs one
/// lookup whatever the number of handlers (none at all for a run of one channel's messages),
/// instead of a set built or hashed per handler.
struct HandlerTable {
    private(set) var all: [any MessageHandler] = []
    private var byChannel: [String: [any MessageHandler]] = [:]
    /// The last channel delivered to and its handlers: a stream stays on one channel.
    private var last: (channel: String, handlers: [any MessageHandler])?

    mutating func register(_ handler: some MessageHandler) {
        all.append(handler)
        for channel in handler.channels { byChannel[channel, default: []].append(handler) }
        last = nil
    }

    /// The handlers of `channel`, in the order they were registered.
    mutating func handlers(for channel: String) -> [any MessageHandler] {
        if let last, last.channel == channel { return last.handlers }
        let handlers = byChannel[channel] ?? []
        last = (channel, handlers)
        return handlers
    }
}
