import Synchronization
import ZeroMQ
import ZincProtocol

/// What other threads share with the I/O thread: the command queue with its waker, whether
/// the loop still runs, and the event subscribers. Everything else stays on the I/O thread.
///
/// Every command posted either runs on the I/O thread or fails with the reason the loop
/// stopped, so no caller ever waits for ever: a post after the stop fails at once, and the
/// loop fails whatever is still queued when it ends, however it ends.
final class EndpointCore: Sendable {
    /// A unit of work for the I/O thread, and what to do instead if it can never run.
    struct Command: Sendable {
        let run: @Sendable (ChannelListener) -> Void
        let fail: @Sendable (EndpointError) -> Void

        /// A command whose failure needs no answer (fire and forget).
        init(_ run: @escaping @Sendable (ChannelListener) -> Void) {
            self.run = run
            fail = { _ in }
        }

        init(run: @escaping @Sendable (ChannelListener) -> Void, fail: @escaping @Sendable (EndpointError) -> Void) {
            self.run = run
            self.fail = fail
        }
    }

    private struct Queue {
        var commands: [Command] = []
        /// Set once the loop will run no more commands.
        var stopped: EndpointError?
    }

    let waker: Waker
    /// The node's ID, for handlers (no reference to the ``Endpoint`` itself: the loop must be
    /// able to outlive a released endpoint while it stops).
    let node: ReplicaID
    private let queue = Mutex(Queue())
    private let eventObservers = Mutex<(streams: [Int: AsyncStream<MembershipEvent>.Continuation], finished: Bool)>(([:], false))
    private let nextObserver = Atomic<Int>(0)

    init(node: ReplicaID) throws(ZMQError) {
        self.node = node
        waker = try Waker()
    }

    /// Queues `command` for the I/O thread; if the loop has stopped, fails it at once.
    func post(_ command: Command) {
        let refused: EndpointError? = queue.withLock { queue in
            if let stopped = queue.stopped { return stopped }
            queue.commands.append(command)
            return nil
        }
        if let refused {
            command.fail(refused)
        } else {
            waker.wake()
        }
    }

    /// The commands queued since the last call (on the I/O thread).
    func takeCommands() -> [Command] {
        queue.withLock { queue in
            defer { queue.commands.removeAll(keepingCapacity: true) }
            return queue.commands
        }
    }

    /// Why the loop stopped, once it has.
    var stopReason: EndpointError? { queue.withLock { $0.stopped } }

    /// Marks the loop stopped with `reason` (the first reason wins) and fails every command
    /// still queued. Called by the loop as it ends, whatever ended it.
    func stop(_ reason: EndpointError) {
        let (pending, final) = queue.withLock { queue -> ([Command], EndpointError) in
            if queue.stopped == nil { queue.stopped = reason }
            defer { queue.commands.removeAll() }
            return (queue.commands, queue.stopped ?? reason)
        }
        for command in pending { command.fail(final) }
    }

    // MARK: - Membership events

    func events() -> AsyncStream<MembershipEvent> {
        let (stream, continuation) = AsyncStream<MembershipEvent>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        let id = nextObserver.add(1, ordering: .relaxed).oldValue
        let registered = eventObservers.withLock { observers -> Bool in
            guard !observers.finished else { return false }
            observers.streams[id] = continuation
            return true
        }
        guard registered else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in self?.eventObservers.withLock { _ = $0.streams.removeValue(forKey: id) } }
        return stream
    }

    func emit(_ event: MembershipEvent) {
        let continuations = eventObservers.withLock { Array($0.streams.values) }
        for continuation in continuations { continuation.yield(event) }
    }

    func finishEvents() {
        // Finish outside the lock: termination handlers take it again.
        let continuations = eventObservers.withLock { observers in
            defer {
                observers.streams.removeAll()
                observers.finished = true
            }
            return Array(observers.streams.values)
        }
        for continuation in continuations { continuation.finish() }
    }
}
