public import ZincCore
public import ZincProtocol

/// A document replicated by an ``Endpoint``. Every call runs on the endpoint's I/O thread, so
/// edits, merges and reads of one document are serialised.
public struct DocumentHandle: Sendable {
    public let id: String
    let endpoint: Endpoint

    /// Edits the document as one local transaction, sends it to the tree, and returns the
    /// fragment (it has already been applied locally when this returns).
    @discardableResult
    public func edit(mergingUndo: Bool = false, _ body: @escaping @Sendable (inout Document) throws -> Void) async throws -> DocumentFragment {
        let id = self.id
        return try await endpoint.perform { listener in
            let (fragment, directives) = try listener.machine.edit(id, now: listener.now, mergingUndo: mergingUndo, body)
            listener.commitLocal(id, directives)
            listener.publishChanges(origin: .local)
            return fragment
        }
    }

    /// Makes `count` local transactions in one trip to the I/O thread: `body` runs once per
    /// transaction (with its index), and each becomes its own delta. For producers of many
    /// small changes, where a trip per change would dominate.
    public func editBatch(_ count: Int, _ body: @escaping @Sendable (inout Document, Int) throws -> Void) async throws {
        let id = self.id
        try await endpoint.perform { listener in
            for index in 0..<count {
                let (_, directives) = try listener.machine.edit(id, now: listener.now, mergingUndo: false) { try body(&$0, index) }
                listener.commitLocal(id, directives)
            }
            listener.publishChanges(origin: .local)
        }
    }

    /// The operations held, per replica (cheaper than ``snapshot()`` for progress checks: no
    /// copy of the document outlives the call).
    public func versionVector() async throws -> VersionVector {
        let id = self.id
        return try await endpoint.perform { listener in
            guard let sync = listener.machine.documents[id] else { throw EndpointError.unknownDocument(id) }
            return sync.document.versionVector
        }
    }

    /// A copy of the document as it is now (cheap: copy-on-write; while the caller keeps it,
    /// the next local or remote change copies the document once).
    public func snapshot() async throws -> Document {
        let id = self.id
        return try await endpoint.perform { listener in
            guard let document = listener.machine.documents[id]?.document else { throw EndpointError.unknownDocument(id) }
            return document
        }
    }

    /// Reads the document in place on the I/O thread and returns what `body` computes: no
    /// copy of the document is made (unlike ``snapshot()``, whose copy makes the next change
    /// copy the whole document once).
    public func read<Result: Sendable>(_ body: @escaping @Sendable (borrowing Document) throws -> Result) async throws -> Result {
        let id = self.id
        return try await endpoint.perform { listener in
            guard let sync = listener.machine.documents[id] else { throw EndpointError.unknownDocument(id) }
            return try body(sync.document)
        }
    }

    /// The main text's content.
    public func text(_ text: TextRef = .main) async throws -> String {
        try await snapshot().text(text)
    }

    /// Undoes this replica's last change group.
    @discardableResult
    public func undo() async throws -> UndoResult? {
        try await reverse(redo: false)
    }

    /// Redoes the last undone change group.
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

    /// Shares this replica's presence (cursor, selection, name, colour) in the document.
    public func updatePresence(_ update: @escaping @Sendable (inout Presence) -> Void) async throws {
        let id = self.id
        try await endpoint.perform { listener in
            listener.execute(listener.machine.updatePresence(id, now: listener.now, update))
        }
    }

    /// The other replicas' presences.
    public func presence() async throws -> [Presence] {
        let id = self.id
        return try await endpoint.perform { listener in listener.machine.documents[id]?.presence.peers ?? [] }
    }

    /// The sync counters of this document (applied, duplicates, repairs, ...).
    public func counters() async throws -> SyncCounters {
        let id = self.id
        return try await endpoint.perform { listener in listener.machine.documents[id]?.counters ?? SyncCounters() }
    }

    /// Change batches from now on, local and remote alike.
    public func changes(bufferingNewest limit: Int = 4096) async throws -> AsyncStream<ChangeBatch> {
        let id = self.id
        let (stream, continuation) = AsyncStream<ChangeBatch>.makeStream(bufferingPolicy: .bufferingNewest(limit))
        let token = try await endpoint.perform { listener -> Int in
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
