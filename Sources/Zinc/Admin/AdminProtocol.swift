import ZincCore

/// A request to a node's admin socket (docs/protocol.md, "Admin interface"): one JSON object
/// per ZeroMQ message, answered by one ``AdminReply``.
public struct AdminRequest: Codable, Sendable, Hashable {
    /// `status`, `doc` or `edit`.
    public var command: String
    /// The document, for `doc` and `edit`.
    public var doc: String?
    /// For `edit`: `insert`, `delete` or `set`.
    public var action: String?
    /// For `insert` and `delete`: a position in Unicode scalars.
    public var position: Int?
    /// For `delete`: how many Unicode scalars.
    public var length: Int?
    /// For `insert`.
    public var text: String?
    /// For `set`: a key of the document's root map, and its new value.
    public var key: String?
    public var value: JSONValue?

    public init(command: String, doc: String? = nil) {
        self.command = command
        self.doc = doc
    }

    public static let status = AdminRequest(command: "status")

    public static func document(_ id: String) -> AdminRequest { AdminRequest(command: "doc", doc: id) }

    public static func insert(_ text: String, at position: Int, in doc: String) -> AdminRequest {
        var request = AdminRequest(command: "edit", doc: doc)
        request.action = "insert"
        request.position = position
        request.text = text
        return request
    }

    public static func delete(at position: Int, length: Int, in doc: String) -> AdminRequest {
        var request = AdminRequest(command: "edit", doc: doc)
        request.action = "delete"
        request.position = position
        request.length = length
        return request
    }

    public static func set(_ key: String, to value: JSONValue, in doc: String) -> AdminRequest {
        var request = AdminRequest(command: "edit", doc: doc)
        request.action = "set"
        request.key = key
        request.value = value
        return request
    }
}

/// The answer to an ``AdminRequest``: `ok` and one result, or `ok: false` and an error line.
public struct AdminReply: Codable, Sendable, Hashable {
    public var ok: Bool
    public var error: String?
    public var status: EndpointStatus?
    public var document: DocumentContent?
    public var edit: EditResult?

    public static func failure(_ message: String) -> AdminReply { AdminReply(ok: false, error: message) }
}

/// A document's content as `zinc doc` shows it.
public struct DocumentContent: Codable, Sendable, Hashable {
    public var id: String
    /// The main text.
    public var text: String
    /// Unicode scalars in the main text.
    public var length: Int
    /// Hex SHA-256 of the visible content (``Document/canonicalContent()``).
    public var sha256: String
    public var operations: UInt64
    public var versionVector: [String: UInt64]
    /// The root map's entries, as JSON.
    public var map: [String: JSONValue]
}

/// What an admin edit did.
public struct EditResult: Codable, Sendable, Hashable {
    /// Operations the edit made.
    public var operations: UInt64
    /// The main text's length afterwards.
    public var length: Int
    public var versionVector: [String: UInt64]
    /// The replica the node edits as: its entry in ``versionVector`` counts this node's edits.
    public var replica: String
}
