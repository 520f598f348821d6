import CZeroMQ

/// Readiness events for ``Poller`` and ``Socket/poll(_:timeout:)``.
public struct PollEvents: OptionSet, Sendable, Hashable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// A message (or, for a file descriptor, data) can be read without blocking.
    public static let readable = PollEvents(rawValue: Int32(ZMQ_POLLIN))
    /// A message can be sent without blocking.
    public static let writable = PollEvents(rawValue: Int32(ZMQ_POLLOUT))
    /// An error condition on a file descriptor.
    public static let error = PollEvents(rawValue: Int32(ZMQ_POLLERR))
}

/// Waits on several sockets and file descriptors at once (`zmq_poll`).
///
/// Like the sockets it polls, a poller belongs to one thread. Register items once with
/// ``add(_:events:)`` or ``add(fileDescriptor:events:)``; each returns a token whose readiness
/// ``events(for:)`` reports after ``poll(timeout:)``. A ``Waker`` registered here lets another
/// thread interrupt a poll.
public final class Poller {
    /// Identifies a registered socket or file descriptor.
    public struct Token: Hashable, Sendable {
        fileprivate let id: Int
    }

    private struct Entry {
        let token: Token
        let socket: Socket?
        let fileDescriptor: Int32
        var events: PollEvents
    }

    private var entries: [Entry] = []
    private var items: [zmq_pollitem_t] = []
    private var indexOfToken: [Int: Int] = [:]
    private var nextToken = 0
    private var dirty = false

    public init() {}

    /// Registers a socket (kept alive while registered).
    @discardableResult
    public func add(_ socket: Socket, events: PollEvents = .readable) -> Token {
        append(Entry(token: makeToken(), socket: socket, fileDescriptor: 0, events: events))
    }

    /// Registers a plain file descriptor (for instance ``Waker/fileDescriptor``).
    @discardableResult
    public func add(fileDescriptor: Int32, events: PollEvents = .readable) -> Token {
        append(Entry(token: makeToken(), socket: nil, fileDescriptor: fileDescriptor, events: events))
    }

    /// Registers a waker, so ``Waker/wake()`` from any thread ends a poll.
    @discardableResult
    public func add(_ waker: Waker) -> Token {
        add(fileDescriptor: waker.fileDescriptor, events: .readable)
    }

    /// Changes the events polled for an item.
    public func setEvents(_ events: PollEvents, for token: Token) {
        guard let index = indexOfToken[token.id], entries[index].events != events else { return }
        entries[index].events = events
        dirty = true
    }

    /// Unregisters an item; its token becomes invalid.
    public func remove(_ token: Token) {
        guard let index = indexOfToken.removeValue(forKey: token.id) else { return }
        entries.remove(at: index)
        for position in index..<entries.count { indexOfToken[entries[position].token.id] = position }
        dirty = true
    }

    /// The number of registered items.
    public var count: Int { entries.count }

    /// Waits until an item is ready or `timeout` passes (`nil`: forever; `.zero`: just check).
    /// Returns how many items are ready. `EINTR` is retried with the time that is left.
    @discardableResult
    public func poll(timeout: Duration?) throws(ZMQError) -> Int {
        if dirty || items.count != entries.count { rebuild() }
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now.advanced(by: $0) }
        while true {
            let waitMs = deadline.map { Int(clamping: clock.now.duration(to: $0).roundedUpMilliseconds) } ?? -1
            let result = items.withUnsafeMutableBufferPointer { buffer in
                zmq_poll(buffer.baseAddress, Int32(buffer.count), waitMs)
            }
            if result >= 0 { return Int(result) }
            let code = zmq_errno()
            if code == EINTR { continue }
            throw ZMQError(code: ZMQError.Code(code), operation: "zmq_poll(\(items.count) items)")
        }
    }

    /// The events that were ready for `token` at the last ``poll(timeout:)``.
    public func events(for token: Token) -> PollEvents {
        guard let index = indexOfToken[token.id], index < items.count else { return [] }
        return PollEvents(rawValue: Int32(items[index].revents))
    }

    /// True if `token` was readable at the last poll.
    public func isReadable(_ token: Token) -> Bool { events(for: token).contains(.readable) }

    private func makeToken() -> Token {
        defer { nextToken += 1 }
        return Token(id: nextToken)
    }

    private func append(_ entry: Entry) -> Token {
        indexOfToken[entry.token.id] = entries.count
        entries.append(entry)
        dirty = true
        return entry.token
    }

    private func rebuild() {
        items = entries.map { entry in
            zmq_pollitem_t(
                socket: entry.socket?.handle, fd: entry.fileDescriptor,
                events: Int16(truncatingIfNeeded: entry.events.rawValue), revents: 0)
        }
        dirty = false
    }
}
