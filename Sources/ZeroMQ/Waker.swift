import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file descriptor that another thread can make readable to interrupt a ``Poller``.
///
/// On Linux it is an `eventfd`; elsewhere a non-blocking pipe. ``wake()`` is safe from any
/// thread and coalesces: many wakes before a ``drain()`` produce one readiness.
public final class Waker: Sendable {
    /// Poll this descriptor for ``PollEvents/readable``.
    public let fileDescriptor: Int32
    private let writeDescriptor: Int32

    /// Creates a waker.
    public init() throws(ZMQError) {
        #if os(Linux)
        let fd = czmq_eventfd()
        guard fd >= 0 else { throw ZMQError(code: .init(errno), operation: "eventfd") }
        fileDescriptor = fd
        writeDescriptor = fd
        #else
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ZMQError(code: .init(errno), operation: "pipe") }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        fileDescriptor = fds[0]
        writeDescriptor = fds[1]
        #endif
    }

    deinit {
        close(fileDescriptor)
        if writeDescriptor != fileDescriptor { close(writeDescriptor) }
    }

    /// Makes ``fileDescriptor`` readable until the next ``drain()``. Thread-safe.
    public func wake() {
        #if os(Linux)
        var one: UInt64 = 1
        while write(writeDescriptor, &one, 8) < 0 && errno == EINTR {}
        #else
        var one: UInt8 = 1
        while write(writeDescriptor, &one, 1) < 0 && errno == EINTR {}
        #endif
    }

    /// Consumes pending wake-ups; call it on the polling thread after the waker fired.
    public func drain() {
        var buffer: UInt64 = 0
        while read(fileDescriptor, &buffer, 8) > 0 {
            #if os(Linux)
            return
            #endif
        }
    }
}
