import ZincCore

/// A request to a node's admin socket (docs/protocol.md, "Admin interface"): one JSON object
/// per ZeroMQ message, answered by one ``AdminReply``.
package struct AdminRequest: Codable, Sendable, Hashable {
    /// `status`, `doc` or `edit`.
    package var command: String
    /// The document, for `doc` and `edit`.
    package var doc: String?
    /// For `edit`: `insert`, `delete` or `set`.
    package var action: String?
    /// For `insert` and `delete`: a position in Unicode scalars.
    package var position: Int?
    /// For `delete`: how many Unicode scalars.
    package var length: Int?
    /// For `insert`.
    package var text: String?
    /// For `set`: a key of the document's root map, and its new value.
    package var key: String?
    package var value: JSONValue?
    /// For `doc`: the version to show the document at (as `zinc status` reports versions).
    package var at: VersionVector?

    package init(command: String, doc: String? = nil) {
        self.command = command
        self.doc = doc
    }

    package static let status = AdminRequest(command: "status")

    package static func document(_ id: String, at version: VersionVector? = nil) -> AdminRequest {
        var request = AdminRequest(command: "doc", doc: id)
        request.at = version
        return request
    }

    package static func history(_ id: String) -> AdminRequest { AdminRequest(command: "history", doc: id) }

    package static func trim(_ id: String) -> AdminRequest { AdminRequest(command: "trim", doc: id) }

    package static func insert(_ text: String, at position: Int, in doc: String) -> AdminRequest {
        var request = AdminRequest(command: "edit", doc: doc)
        request.action = "insert"
        request.position = position
        request.text = text
        return request
    }

    package static func delete(at position: Int, length: Int, in doc: String) -> AdminRequest {
        var request = AdminRequest(command: "edit", doc: doc)
        request.action = "delete"
        request.position = position
        request.length = length
        return request
    }

    package static func set(_ key: String, to value: JSONValue, in doc: String) -> AdminRequest {
        var request = AdminRequest(command: "edit", doc: doc)
        request.action = "set"
        request.key = key
        request.value = value
        return request
    }
}

/// The answer to an ``AdminRequest``: `ok` and one result, or `ok: false` and an error line.
package struct AdminReply: Codable, Sendable, Hashable {
    package var ok: Bool
    package var error: String?
    package var status: EndpointStatus?
    package var document: DocumentContent?
    package var edit: EditResult?
    package var history: [HistoryLine]?
    /// For `trim`: whether any history was dropped.
    package var trimmed: Bool?

    package static func failure(_ message: String) -> AdminReply { AdminReply(ok: false, error: message) }
}

/// A document's content as `zinc doc` shows it.
package struct DocumentContent: Codable, Sendable, Hashable {
    package var id: String
    /// The main text.
    package var text: String
    /// Unicode scalars in the main text.
    package var length: Int
    /// Hex SHA-256 of the visible content (``Document/canonicalContent()``).
    package var sha256: String
    package var operations: UInt64
    package var versionVector: [String: UInt64]
    /// The root map's entries, as JSON.
    package var map: [String: JSONValue]
    /// Where each replica's history starts (absent: the whole history is held).
    package var historyFloor: [String: UInt64]?
}

/// One transaction of a document's history, as `zinc history` lists it.
package struct HistoryLine: Codable, Sendable, Hashable {
    /// The version right after it: `zinc doc ADMIN DOC --at` takes it.
    package var version: VersionVector
    package var author: ReplicaID
    /// Its Lamport times, first and last.
    package var lamport: [UInt64]
    /// Its operations (items inserted or deleted, keys set, ...).
    package var size: UInt64

    package init(_ entry: HistoryEntry) {
        version = entry.version
        author = entry.author
        lamport = [entry.lamport.lowerBound, entry.lamport.upperBound]
        size = UInt64(entry.operations.count)
    }
}

/// What an admin edit did.
package struct EditResult: Codable, Sendable, Hashable {
    /// Operations the edit made.
    package var operations: UInt64
    /// The main text's length afterwards.
    package var length: Int
    package var versionVector: [String: UInt64]
    /// The replica the node edits as: its entry in ``versionVector`` counts this node's edits.
    package var replica: String
}
