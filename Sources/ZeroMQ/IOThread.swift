import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A dedicated OS thread, joined explicitly. Sockets are created and used on exactly one
/// thread, so the binding's long-lived services (the ZAP handler, an Endpoint's listener) each
/// get one of these rather than a slot in a shared pool.
package final class IOThread: Sendable {
    private let thread: pthread_t

    /// Starts a thread named `name` (at most 15 bytes are kept) running `body`.
    package init(name: String, _ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(ThreadBody(name: name, body: body))
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t?
        #endif
        let result = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let payload = Unmanaged<ThreadBody>.fromOpaque(raw).takeRetainedValue()
            #if canImport(Glibc)
            czmq_set_thread_name(String(payload.name.utf8.prefix(15)) ?? "")
            #else
            _ = pthread_setname_np(String(payload.name.utf8.prefix(15)) ?? "")
            #endif
            payload.body()
            return nil
        }, box.toOpaque())
        // Out of threads is not a state any part of Zinc can run in: stop loudly.
        guard result == 0 else { fatalError("pthread_create failed with \(result)") }
        #if canImport(Glibc)
        self.thread = thread
        #else
        guard let thread else { fatalError("pthread_create returned no thread") }
        self.thread = thread
        #endif
    }

    /// Waits for the thread's body to return. Call once, and not after ``detach()``.
    package func join() {
        pthread_join(thread, nil)
    }

    /// Lets the thread end on its own, its resources freed when it does. Call once, and not
    /// after ``join()``.
    package func detach() {
        pthread_detach(thread)
    }

    /// True when called on this thread.
    package var isCurrent: Bool { pthread_equal(thread, pthread_self()) != 0 }
}

private final class ThreadBody: Sendable {
    let name: String
    let body: @Sendable () -> Void
    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}

/// Moves a non-`Sendable` value to another thread that becomes its only user.
///
/// `@unchecked Sendable` is sound only under that hand-over discipline: the sending thread must
/// not touch the value after passing it. Used to give a socket, created and bound on the
/// caller's thread so errors surface synchronously, to the thread that will own it.
package struct HandOver<Value>: @unchecked Sendable {
    private let value: Value
    package init(_ value: Value) { self.value = value }
    package func take() -> Value { value }
}
