import Synchronization

/// A document shared between threads, whose changes — local edits and merged remote
/// fragments alike — can be observed as an `AsyncSequence` of ``ChangeBatch``es.
///
/// Every access is serialised by a lock, so a UI thread, a network thread and tasks can use
/// one `LiveDocument` safely. Keep closures short: they run under the lock.
///
/// ```swift
/// let live = LiveDocument(Document(replica: id))
/// Task { for await batch in live.changes() { render(batch.changes) } }
/// let fragment = try live.edit { try $0.insert("hi", at: 0) }
/// ```
package final class LiveDocument: Sendable {
    private struct State {
        var document: Document
        var observers: [Int: AsyncStream<ChangeBatch>.Continuation] = [:]
        var nextObserver = 0
    }

    private let state: Mutex<State>

    package init(_ document: Document) {
        var document = document
        document.setRecordsChanges(true)
        state = Mutex(State(document: document))
    }

    /// Reads the document under the lock.
    package func read<R>(_ body: (borrowing Document) throws -> R) rethrows -> R {
        try state.withLock { try body($0.document) }
    }

    /// A copy of the document (cheap until either side changes).
    package var snapshot: Document { state.withLock { $0.document } }

    /// Edits the document as one local transaction; returns the fragment to send to others.
    @discardableResult
    package func edit(mergingUndo: Bool = false, _ body: (inout Document) throws -> Void) rethrows -> DocumentFragment {
        try state.withLock { state in
            state.document.commit()
            do {
                try body(&state.document)
            } catch {
                // The edits made before the error stand (each is a complete operation); report
                // them and commit them before rethrowing.
                Self.publish(&state, origin: .local)
                state.document.commit(mergingUndo: mergingUndo)
                throw error
            }
            let fragment = state.document.commitFragment(mergingUndo: mergingUndo)
            Self.publish(&state, origin: .local)
            return fragment
        }
    }

    /// Undoes this replica's last change; returns what to send to others (nil: nothing to undo).
    package func undo() throws -> (fragment: DocumentFragment, result: UndoResult)? {
        try reverse(redo: false)
    }

    /// Redoes the last undone change.
    package func redo() throws -> (fragment: DocumentFragment, result: UndoResult)? {
        try reverse(redo: true)
    }

    private func reverse(redo: Bool) throws -> (fragment: DocumentFragment, result: UndoResult)? {
        try state.withLock { state in
            let before = state.document.localOperationCount
            guard let result = try (redo ? state.document.redo() : state.document.undo()) else { return nil }
            let fragment = state.document.fragment(of: state.document.replica, counters: before..<state.document.localOperationCount)
            state.document.commit()
            Self.publish(&state, origin: .undo)
            return (fragment, result)
        }
    }

    /// Merges a fragment from another replica.
    @discardableResult
    package func apply(_ fragment: DocumentFragment) throws -> ApplyReport {
        try state.withLock { state in
            let report = try state.document.apply(fragment, trusting: nil)
            Self.publish(&state, origin: .remote)
            return report
        }
    }

    /// Decodes and merges an encoded fragment.
    @discardableResult
    package func apply(encoded bytes: [UInt8], author: ReplicaID?) throws -> ApplyReport {
        try state.withLock { state in
            let report = try state.document.apply(encoded: bytes, author: author)
            Self.publish(&state, origin: .remote)
            return report
        }
    }

    /// A new stream of the change batches from now on. Each call makes an independent
    /// subscriber; the stream ends when the document is released or the consumer stops.
    package func changes(bufferingNewest limit: Int = 4096) -> AsyncStream<ChangeBatch> {
        let (stream, continuation) = AsyncStream<ChangeBatch>.makeStream(bufferingPolicy: .bufferingNewest(limit))
        let id = state.withLock { state in
            defer { state.nextObserver += 1 }
            state.observers[state.nextObserver] = continuation
            return state.nextObserver
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.observers.removeValue(forKey: id) }
        }
        return stream
    }

    deinit {
        // Finish outside the lock: termination handlers take it again.
        let continuations = state.withLock { Array($0.observers.values) }
        for continuation in continuations { continuation.finish() }
    }

    private static func publish(_ state: inout State, origin: ChangeOrigin) {
        let changes = state.document.takeChanges()
        guard !changes.isEmpty, !state.observers.isEmpty else { return }
        let batch = ChangeBatch(origin: origin, changes: changes, version: state.document.versionVector)
        for continuation in state.observers.values { continuation.yield(batch) }
    }
}
