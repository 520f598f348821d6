import Synchronization
import ZeroMQ
import ZincProtocol

/// What other threads share with the I/O thread: a command queue with its waker, and the
/// event subscribers. Everything else stays on the I/O thread.
final class EndpointCore: Sendable {
    typealias Command = @Sendable (ChannelListener) -> Void

    let waker: Waker
    private let commands = Mutex<[Command]>([])
    private let eventObservers = Mutex<[Int: AsyncStream<NodeEvent>.Continuation]>([:])
    private let nextObserver = Atomic<Int>(0)
    // unowned(unsafe) is not available for Sendable storage; a Mutex'd weak box is.
    private let ownerBox = Mutex<WeakEndpoint>(WeakEndpoint())

    init() throws(ZMQError) {
        waker = try Waker()
    }

    var owner: Endpoint {
        // Set in Endpoint.init before the thread starts; the endpoint outlives its thread.
        ownerBox.withLock { $0.endpoint! }
    }

    func setOwner(_ endpoint: Endpoint) {
        ownerBox.withLock { $0.endpoint = endpoint }
    }

    func post(_ command: @escaping Command) {
        commands.withLock { $0.append(command) }
        waker.wake()
    }

    func takeCommands() -> [Command] {
        commands.withLock { queue in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
    }

    func events() -> AsyncStream<NodeEvent> {
        let (stream, continuation) = AsyncStream<NodeEvent>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        let id = nextObserver.add(1, ordering: .relaxed).oldValue
        eventObservers.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in self?.eventObservers.withLock { _ = $0.removeValue(forKey: id) } }
        return stream
    }

    func emit(_ event: NodeEvent) {
        let continuations = eventObservers.withLock { Array($0.values) }
        for continuation in continuations { continuation.yield(event) }
    }

    func finishEvents() {
        // Finish outside the lock: termination handlers take it again.
        let continuations = eventObservers.withLock { observers in
            defer { observers.removeAll() }
            return Array(observers.values)
        }
        for continuation in continuations { continuation.finish() }
    }
}

struct WeakEndpoint: @unchecked Sendable {
    // @unchecked: only read and written under EndpointCore's Mutex; Endpoint is Sendable.
    weak var endpoint: Endpoint?
}
