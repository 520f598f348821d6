/// A document replicated by an ``Endpoint``. Every call runs on the endpoint's I/O thread, so
/// edits, merges and reads of one document are serialised; each completes or throws (an
/// ``EndpointError`` once the endpoint has shut down or stopped).
///
/// Edit at stable positions rather than at indices computed earlier: remote edits move text
/// between the moment an index was computed and the moment an edit runs. A ``Cursor`` (or a
/// ``TextBinding``, for editors) is resolved inside the transaction, against the live document.
///
/// ```swift
/// let cursor = try await notes.cursor(at: 5)
/// // … remote edits arrive …
/// try await notes.edit { try $0.insert("!", at: cursor) }   // lands where the cursor is now
/// ```
public struct DocumentHandle: Sendable {
    /// The document's ID.
    public let id: String
    let endpoint: Endpoint

    /// Edits the document as one local transaction, sends it to the tree, and returns what
    /// `body` returns (the edit is applied locally when this returns).
    ///
    /// The transaction is atomic: if `body` throws, the document is left exactly as it was and
    /// nothing is sent. Edits that follow each other within the configured
    /// ``EndpointConfiguration/undoCaptureWindow``, with no caret jump, form one undo step.
    ///
    /// An edit may wait before it runs: while a child of this node is 10,000 of this document's
    /// deltas behind (flow control, docs/protocol.md §18), for at most a second per slow child.
    @discardableResult
    public func edit<Result: Sendable>(_ body: @escaping @Sendable (inout Document) throws -> Result) async throws -> Result {
        let id = self.id
        return try await endpoint.performPaced(id) { listener in
            var result: Result?
            let (_, directives) = try listener.machine.edit(id, now: listener.now) { result = try body(&$0) }
            listener.commitLocal(id, directives)
            listener.publishChanges(origin: .local)
            guard let result else { throw EndpointError.unknownDocument(id) }
            return result
        }
    }

    /// Makes `count` local transactions in one trip to the I/O thread: `body` runs once per
    /// transaction (with its index), and each becomes its own delta. For producers of many
    /// small changes, where a trip per change would dominate.
    package func editBatch(_ count: Int, _ body: @escaping @Sendable (inout Document, Int) throws -> Void) async throws {
        let id = self.id
        try await endpoint.performPaced(id) { listener in
            for index in 0..<count {
                let (_, directives) = try listener.machine.edit(id, now: listener.now) { try body(&$0, index) }
                listener.commitLocal(id, directives)
            }
            listener.publishChanges(origin: .local)
        }
    }

    /// The operations held, per replica (cheaper than ``snapshot()`` for progress checks: no
    /// copy of the document outlives the call).
    package func versionVector() async throws(EndpointError) -> VersionVector {
        let id = self.id
        return try await endpoint.performTyped { listener throws(EndpointError) in
            guard let sync = listener.machine.documents[id] else { throw .unknownDocument(id) }
            return sync.document.versionVector
        }
    }

    /// A copy of the document as it is now (cheap: copy-on-write; while the caller keeps it,
    /// the next local or remote change copies the document once).
    public func snapshot() async throws(EndpointError) -> Document {
        let id = self.id
        return try await endpoint.performTyped { listener throws(EndpointError) in
            guard let document = listener.machine.documents[id]?.document else { throw .unknownDocument(id) }
            return document
        }
    }

    /// Reads the document in place on the I/O thread and returns what `body` computes: no
    /// copy of the document is made (unlike ``snapshot()``).
    public func read<Result: Sendable>(_ body: @escaping @Sendable (borrowing Document) throws -> Result) async throws -> Result {
        let id = self.id
        return try await endpoint.perform { listener in
            guard let sync = listener.machine.documents[id] else { throw EndpointError.unknownDocument(id) }
            return try body(sync.document)
        }
    }

    /// A text's content now.
    public func text(_ text: TextRef = .main) async throws -> String {
        try await read { $0.text(text) }
    }

    /// A cursor at scalar `position` of a text as it is now; it then follows the text it is
    /// next to, wherever remote edits move it.
    public func cursor(at position: Int, in text: TextRef = .main, side: Cursor.Side = .left) async throws -> Cursor {
        try await read { $0.cursor(at: position, in: text, side: side) }
    }

    /// Undoes this replica's last undo step (its own changes only; other replicas' stand).
    @discardableResult
    public func undo() async throws -> UndoResult? {
        try await reverse(redo: false)
    }

    /// Redoes the last undone step.
    @discardableResult
    public func redo() async throws -> UndoResult? {
        try await reverse(redo: true)
    }

    private func reverse(redo: Bool) async throws -> UndoResult? {
        let id = self.id
        return try await endpoint.perform { listener in
            let (result, directives) = try listener.machine.withDocument(id, now: listener.now) { document in
                try redo ? document.redo() : document.undo()
            }
            listener.commitLocal(id, directives)
            listener.publishChanges(origin: .undo)
            return result
        }
    }

    /// Makes the next edit start a new undo step, however soon it follows.
    public func stopUndoCapture() async throws(EndpointError) {
        let id = self.id
        try await endpoint.performTyped { listener in
            _ = listener.machine.peek(id) { $0.stopUndoCapture() }
        }
    }

    /// Shares this replica's presence (cursor, selection, name, colour) in the document.
    public func updatePresence(_ update: @escaping @Sendable (inout Presence) -> Void) async throws(EndpointError) {
        let id = self.id
        try await endpoint.performTyped { listener in
            listener.execute(listener.machine.updatePresence(id, now: listener.now, update))
        }
    }

    /// The other replicas' presences, ordered by replica.
    public func presence() async throws(EndpointError) -> [Presence] {
        let id = self.id
        return try await endpoint.performTyped { listener in listener.machine.documents[id]?.presence.peers ?? [] }
    }

    /// The sync counters of this document (applied, duplicates, repairs, ...).
    package func counters() async throws -> SyncCounters {
        let id = self.id
        return try await endpoint.perform { listener in listener.machine.documents[id]?.counters ?? SyncCounters() }
    }

    /// A binding of a text for an editor: a local view kept in step with every change, and the
    /// way to edit at the user's caret (see ``TextBinding``). The view starts as the text is
    /// now, with the caret at the start.
    public func textBinding(_ text: TextRef = .main) async throws(EndpointError) -> TextBinding {
        let (id, endpoint) = (self.id, self.endpoint)
        return try await endpoint.performTyped { listener throws(EndpointError) in
            try listener.makeTextBinding(id, text: text, endpoint: endpoint)
        }
    }

    /// Change batches from now on, local and remote alike, in the order they happened. The
    /// stream ends when the endpoint stops.
    public func changes(bufferingNewest limit: Int = 4096) async throws(EndpointError) -> AsyncStream<ChangeBatch> {
        let id = self.id
        let (stream, continuation) = AsyncStream<ChangeBatch>.makeStream(bufferingPolicy: .bufferingNewest(limit))
        let token = try await endpoint.performTyped { listener -> Int in
            _ = listener.machine.peek(id) { $0.setRecordsChanges(true) }
            let token = listener.nextObserver
            listener.nextObserver += 1
            listener.observers[id, default: [:]][token] = continuation
            return token
        }
        let endpoint = self.endpoint
        continuation.onTermination = { _ in
            endpoint.post { listener in listener.observers[id]?[token] = nil }
        }
        return stream
    }
}
