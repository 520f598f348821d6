import CZeroMQ
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A libzmq context: the owner of libzmq's I/O threads and of every socket made from it.
///
/// A context is thread-safe and `Sendable`. Each ``Socket`` keeps its context alive, so a
/// context is terminated only after its last socket is closed; that ordering is what keeps
/// `zmq_ctx_term` from blocking forever. Every socket is created with a bounded linger
/// (``Configuration/linger``), so terminating never waits for unreachable peers.
///
/// Call ``shutdown()`` to make blocking calls on every socket of the context fail with
/// ``ZMQError/Code/terminated`` — the way to stop threads that are blocked in `receive`.
// @unchecked Sendable: libzmq documents contexts as thread-safe (zmq(7)); the only stored
// state is the immutable handle, an immutable linger value and an atomic flag.
public final class Context: @unchecked Sendable {
    /// Settings applied when the context and its sockets are created.
    public struct Configuration: Sendable {
        /// libzmq I/O threads (`ZMQ_IO_THREADS`). One is plenty below ~1 GB/s.
        public var ioThreads: Int = 1
        /// The most sockets the context allows (`ZMQ_MAX_SOCKETS`).
        public var maxSockets: Int = 4096
        /// How long a closed socket may keep trying to deliver queued messages.
        /// libzmq's default is forever; Zinc's is bounded so shutdown cannot hang.
        public var linger: Duration = .milliseconds(200)

        public init() {}
    }

    /// The raw `void *` handle. Valid until the context is deinitialised.
    let handle: UnsafeMutableRawPointer
    /// The linger new sockets get, in milliseconds.
    let defaultLingerMilliseconds: Int32
    private let shutDown = Atomic<Bool>(false)
    /// Set when ``terminate(waitingAtMost:)`` starts `zmq_ctx_term` (it runs once).
    private let terminating = Atomic<Bool>(false)
    /// Set once `zmq_ctx_term` has returned (then deinit must not call it again).
    private let terminated = Atomic<Bool>(false)
    /// Signalled when `zmq_ctx_term` has returned.
    private let termination = DispatchSemaphore(value: 0)

    /// Creates a context.
    public init(_ configuration: Configuration = Configuration()) throws(ZMQError) {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
        self.defaultLingerMilliseconds = Int32(clamping: configuration.linger.milliseconds)
        do {
            _ = try zmqCheck("zmq_ctx_set(ZMQ_IO_THREADS)") {
                zmq_ctx_set(handle, ZMQ_IO_THREADS, Int32(clamping: configuration.ioThreads))
            }
            _ = try zmqCheck("zmq_ctx_set(ZMQ_MAX_SOCKETS)") {
                zmq_ctx_set(handle, ZMQ_MAX_SOCKETS, Int32(clamping: configuration.maxSockets))
            }
        } catch {
            zmq_ctx_term(handle)
            throw error
        }
    }

    /// Makes every blocking call on this context's sockets return ``ZMQError/Code/terminated``
    /// and every later call fail the same way. Idempotent and safe from any thread.
    /// Sockets must still be closed (or released) for the context to be freed.
    public func shutdown() {
        if shutDown.exchange(true, ordering: .acquiringAndReleasing) { return }
        zmq_ctx_shutdown(handle)
    }

    /// True once ``shutdown()`` has been called.
    public var isShutDown: Bool { shutDown.load(ordering: .acquiring) }

    /// Waits, at most `timeout`, for every socket of the context to be closed and for the
    /// messages they queued to leave (each socket's linger bounds how long libzmq tries), then
    /// terminates the context: no socket can be made from it afterwards. Call it before a
    /// process exits, once its sockets are closed: libzmq sends from its own I/O threads, and
    /// a process that exits first loses what they had not written yet (a last goodbye).
    ///
    /// Returns true if the context terminated in time. False leaves the wait to a background
    /// thread (a socket is still open), which the process's exit ends.
    @discardableResult
    public func terminate(waitingAtMost timeout: Duration) -> Bool {
        if !terminating.exchange(true, ordering: .acquiringAndReleasing) {
            // On its own thread: zmq_ctx_term blocks until every socket is closed, which no
            // timeout bounds. The thread holds the context, so deinit cannot run meanwhile.
            IOThread(name: "zmq-terminate") { [self] in
                while zmq_ctx_term(handle) == -1 && zmq_errno() == EINTR {}
                terminated.store(true, ordering: .releasing)
                termination.signal()
            }.detach()
        }
        if terminated.load(ordering: .acquiring) { return true }
        let milliseconds = Int(clamping: timeout.milliseconds)
        guard termination.wait(timeout: .now() + .milliseconds(milliseconds)) == .success else { return false }
        // Another caller may wait too: pass the signal on.
        termination.signal()
        return true
    }

    deinit {
        // Every socket holds this context strongly, so none is open here and
        // zmq_ctx_term returns promptly. EINTR is retried as the man page asks.
        guard !terminated.load(ordering: .acquiring) else { return }
        while zmq_ctx_term(handle) == -1 && zmq_errno() == EINTR {}
    }
}

extension Duration {
    /// Whole milliseconds, rounded towards zero; saturates instead of trapping.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (ms, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? Int64.min : Int64.max }
        return ms.addingReportingOverflow(attoseconds / 1_000_000_000_000_000).partialValue
    }
}
