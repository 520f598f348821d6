#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZeroMQ

/// An error raised by libzmq or by the binding's own checks.
///
/// Every error keeps the `errno` value libzmq reported, libzmq's own message for it, and the
/// operation that failed, so a log line says what went wrong and where. Match on ``code``:
///
/// ```swift
/// do { try socket.send(bytes, flags: .dontWait) }
/// catch let error as ZMQError where error.code == .wouldBlock { /* queue it */ }
/// ```
public struct ZMQError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The `errno` value, wrapped so callers can match well-known cases by name.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The raw `errno` value.
        public let rawValue: Int32

        public init(_ rawValue: Int32) { self.rawValue = rawValue }

        /// `EAGAIN`: a non-blocking call would block, or a timeout expired.
        public static let wouldBlock = Code(EAGAIN)
        /// `ETERM`: the socket's context was shut down.
        public static let terminated = Code(czmq_errno_eterm())
        /// `EINTR`: a signal interrupted the call.
        public static let interrupted = Code(EINTR)
        /// `EINVAL`: an invalid argument (bad option value, bad endpoint syntax, ...).
        public static let invalidArgument = Code(EINVAL)
        /// `EADDRINUSE`: the address is already bound.
        public static let addressInUse = Code(EADDRINUSE)
        /// `EADDRNOTAVAIL`: the address is not local.
        public static let addressNotAvailable = Code(EADDRNOTAVAIL)
        /// `EPROTONOSUPPORT`: the transport is not supported.
        public static let protocolNotSupported = Code(EPROTONOSUPPORT)
        /// `ENOENT`: no such endpoint (for example, when unbinding an unknown address).
        public static let noSuchEndpoint = Code(ENOENT)
        /// `EHOSTUNREACH`: a ROUTER with router-mandatory set has no peer with that routing id.
        public static let hostUnreachable = Code(EHOSTUNREACH)
        /// `EFSM`: the operation is not valid in the socket's current state (REQ/REP lock-step).
        public static let invalidState = Code(czmq_errno_efsm())
        /// `ENOTSUP`: the operation is not supported by this socket type.
        public static let notSupported = Code(ENOTSUP)
        /// `EMSGSIZE`: a message or frame exceeded a configured maximum.
        public static let messageTooLarge = Code(EMSGSIZE)
        /// `EMFILE`: the context or process ran out of sockets or file descriptors.
        public static let tooManySockets = Code(EMFILE)

        public var description: String {
            switch self {
            case .wouldBlock: "EAGAIN"
            case .terminated: "ETERM"
            case .interrupted: "EINTR"
            case .invalidArgument: "EINVAL"
            case .addressInUse: "EADDRINUSE"
            case .addressNotAvailable: "EADDRNOTAVAIL"
            case .protocolNotSupported: "EPROTONOSUPPORT"
            case .noSuchEndpoint: "ENOENT"
            case .hostUnreachable: "EHOSTUNREACH"
            case .invalidState: "EFSM"
            case .notSupported: "ENOTSUP"
            case .messageTooLarge: "EMSGSIZE"
            case .tooManySockets: "EMFILE"
            default: "errno \(rawValue)"
            }
        }
    }

    /// What went wrong, as an `errno` value.
    public let code: Code
    /// The call that failed, with its argument where that helps (`"zmq_bind(tcp://127.0.0.1:5555)"`).
    public let operation: String
    /// libzmq's text for ``code`` (`zmq_strerror`), or the binding's own explanation.
    public let message: String

    /// An error with an explicit message (used by the binding's own limit checks).
    public init(code: Code, operation: String, message: String) {
        self.code = code
        self.operation = operation
        self.message = message
    }

    /// An error for `code`, with libzmq's text for it.
    public init(code: Code, operation: String) {
        self.init(code: code, operation: operation, message: String(cString: zmq_strerror(code.rawValue)))
    }

    /// The error libzmq reports for the calling thread right now (`zmq_errno`).
    static func last(_ operation: @autoclosure () -> String) -> ZMQError {
        ZMQError(code: Code(zmq_errno()), operation: operation())
    }

    /// True for `EAGAIN`: nothing to receive, no room to send, or a timeout.
    public var isWouldBlock: Bool { code == .wouldBlock }
    /// True for `ETERM`: the context is shutting down; the socket should be closed.
    public var isTerminated: Bool { code == .terminated }
    /// True for `EINTR`: a signal arrived; the binding retries blocking calls itself.
    public var isInterrupted: Bool { code == .interrupted }

    public var description: String { "\(operation) failed: \(message) (\(code))" }
}
