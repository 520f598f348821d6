import ZeroMQ

/// Why an endpoint could not start, or an operation on it failed.
///
/// Match on ``code``; ``message`` says what happened in words, with the address, document or
/// reason involved:
///
/// ```swift
/// do {
///     try await handle.edit { try $0.insert("x", at: 0) }
/// } catch let error as EndpointError where error.code == .shutDown {
///     // the endpoint was shut down
/// }
/// ```
public struct EndpointError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure. New codes may be added; compare with `==`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidAddress, cannotBind, storeFailed, securityFailed, transportFailed
            case invalidName, unknownDocument, shutDown, stopped, notPermitted
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A bind, join or admin address is malformed or not allowed.
        public static let invalidAddress = Code(.invalidAddress)
        /// An address is in use or cannot be bound.
        public static let cannotBind = Code(.cannotBind)
        /// The data directory's store could not be opened or read.
        public static let storeFailed = Code(.storeFailed)
        /// The cluster key or the node's certificate could not be put into force.
        public static let securityFailed = Code(.securityFailed)
        /// libzmq refused to make or configure a socket.
        public static let transportFailed = Code(.transportFailed)
        /// A document ID or channel name is not 1–255 bytes of UTF-8 without NUL.
        public static let invalidName = Code(.invalidName)
        /// The endpoint does not replicate the document.
        public static let unknownDocument = Code(.unknownDocument)
        /// The node's certificate does not allow it (a document outside its patterns).
        public static let notPermitted = Code(.notPermitted)
        /// ``Endpoint/shutdown()`` was called (or the endpoint was released).
        public static let shutDown = Code(.shutDown)
        /// The endpoint's I/O loop stopped on an error; ``EndpointError/message`` says which.
        public static let stopped = Code(.stopped)

        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// What happened, for people.
    public let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    static func cannotBind(_ address: String, _ error: ZMQError) -> EndpointError {
        EndpointError(.cannotBind, error.code == .addressInUse
            ? "cannot bind \(address): the address is already in use"
            : "cannot bind \(address): \(error.message)")
    }

    static func invalidName(_ kind: String, _ name: String) -> EndpointError {
        EndpointError(.invalidName, "invalid \(kind) \"\(name)\": use 1–255 bytes of UTF-8 without NUL")
    }

    static func unknownDocument(_ id: String) -> EndpointError {
        EndpointError(.unknownDocument, "this node holds no document \"\(id)\"")
    }

    static let shutDown = EndpointError(.shutDown, "the endpoint has shut down")
}
