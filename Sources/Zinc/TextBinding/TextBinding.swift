import DequeModule
import Synchronization
import _RopeModule

/// A local view of one text, kept in step with the endpoint's replica by change deltas, and
/// the way an editor edits it.
///
/// The view (``view``: text, selection, other users' selections) is updated on the endpoint's
/// I/O thread with every change, local or remote, at O(change · log n) cost: never a snapshot
/// per keystroke. Subscribe to ``updates(bufferingNewest:)`` to apply each change to a platform text view, in
/// scalars or UTF-16 units.
///
/// Edits go through the binding and name no index: ``type(_:)`` replaces the selection,
/// ``deleteBackward(by:)`` deletes before the caret, and both are resolved on the I/O thread
/// against the live text, where the binding's selection has already been moved by every
/// remote change. An edit computed from an older view (``replace(_:with:in:)``) is rebased
/// onto the live text first. So what a user types lands where their caret is, even while
/// others type in front of it.
///
/// ```swift
/// let binding = try await notes.textBinding()
/// Task { for await update in binding.updates() { render(update.view) } }
/// try await binding.type("Hello")
/// try await binding.deleteBackward()
/// ```
public final class TextBinding: Sendable {
    /// The document's ID.
    public let document: String
    /// The text in the document.
    public let text: TextRef
    let endpoint: Endpoint
    let token: Int
    private let state: Mutex<State>

    /// How many past updates are kept for rebasing edits made against an older view.
    static let historyLimit = 1024

    struct State {
        var view: TextView
        /// The selection a local edit leaves (applied with the update it makes).
        var pendingSelection: TextSelection?
        /// Recent updates' deltas, oldest first, each with the version it produced.
        var history = Deque<(version: UInt64, delta: TextDelta)>()
        var observers: [Int: AsyncStream<TextUpdate>.Continuation] = [:]
        var nextObserver = 0
        var closed = false
    }

    init(document: String, text: TextRef, endpoint: Endpoint, token: Int, view: TextView) {
        self.document = document
        self.text = text
        self.endpoint = endpoint
        self.token = token
        state = Mutex(State(view: view))
    }

    deinit {
        let (document, token) = (self.document, self.token)
        endpoint.post { listener in listener.removeTextBinding(token, document: document) }
        finishObservers()
    }

    // MARK: - Reading

    /// The view now.
    public var view: TextView { state.withLock { $0.view } }

    /// The updates from now on, in order. The stream ends when the binding is closed or the
    /// endpoint stops.
    public func updates(bufferingNewest limit: Int = 1024) -> AsyncStream<TextUpdate> {
        let (stream, continuation) = AsyncStream<TextUpdate>.makeStream(bufferingPolicy: .bufferingNewest(limit))
        let id = state.withLock { state -> Int? in
            guard !state.closed else { return nil }
            defer { state.nextObserver += 1 }
            state.observers[state.nextObserver] = continuation
            return state.nextObserver
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in self?.state.withLock { _ = $0.observers.removeValue(forKey: id) } }
        return stream
    }

    // MARK: - Editing

    /// Types `string` at the caret, replacing the selection if there is one, and leaves the
    /// caret after it.
    public func type(_ string: String) async throws {
        try await edit { view in
            let range = view.selection.range
            return (range, string, range.lowerBound + string.unicodeScalars.count)
        }
    }

    /// Deletes the selection, or the character (by default a whole grapheme cluster) before
    /// the caret.
    public func deleteBackward(by unit: TextUnit = .grapheme) async throws {
        try await edit { view in
            let selection = view.selection
            guard selection.anchor == selection.head else { return (selection.range, "", selection.range.lowerBound) }
            guard selection.head > 0 else { return nil }
            let start = unit == .grapheme ? view.graphemeBoundary(before: selection.head) : selection.head - 1
            return (start..<selection.head, "", start)
        }
    }

    /// Deletes the selection, or the character (by default a whole grapheme cluster) after
    /// the caret.
    public func deleteForward(by unit: TextUnit = .grapheme) async throws {
        try await edit { view in
            let selection = view.selection
            guard selection.anchor == selection.head else { return (selection.range, "", selection.range.lowerBound) }
            guard selection.head < view.count else { return nil }
            let end = unit == .grapheme ? view.graphemeBoundary(after: selection.head) : selection.head + 1
            return (selection.head..<end, "", selection.head)
        }
    }

    /// Replaces `range` of `view` with `string`, leaving the caret after it. The range is
    /// rebased onto the live text first (through every update since `view`), so it replaces
    /// what the user saw even if others have typed since.
    public func replace(_ range: Range<Int>, with string: String, in view: TextView) async throws {
        let version = view.version
        try await edit { current in
            let rebased = try self.state.withLock { try Self.rebase(range, from: version, history: $0.history, current: current.version) }
            return (rebased, string, rebased.lowerBound + string.unicodeScalars.count)
        }
    }

    /// Moves the local selection (given in the coordinates of `view`, the latest by default)
    /// and shares it with the other users. A move that is not where typing left the caret
    /// starts a new undo step.
    public func select(_ selection: TextSelection, in view: TextView? = nil) async throws {
        let version = view?.version
        let (document, text) = (self.document, self.text)
        try await endpoint.perform { listener in
            let moved = try self.state.withLock { state -> Bool in
                var mapped = selection
                if let version {
                    let history = state.history, current = state.view.version
                    let anchor = try Self.rebase(selection.anchor..<selection.anchor, from: version, history: history, current: current)
                    let head = try Self.rebase(selection.head..<selection.head, from: version, history: history, current: current)
                    mapped = TextSelection(anchor: anchor.lowerBound, head: head.lowerBound)
                }
                mapped = mapped.clamped(to: state.view.count)
                guard mapped != state.view.selection else { return false }
                state.view.selection = mapped
                return true
            }
            guard moved else { return }
            _ = listener.machine.peek(document) { $0.stopUndoCapture() }
            listener.shareSelection(of: self, text: text)
            listener.publishSelection(of: self)
        }
    }

    /// Undoes this user's last undo step; false if there was nothing to undo.
    @discardableResult
    public func undo() async throws -> Bool {
        try await reverse(redo: false)
    }

    /// Redoes the last undone step; false if there was nothing to redo.
    @discardableResult
    public func redo() async throws -> Bool {
        try await reverse(redo: true)
    }

    /// Stops updating the view; the update streams end.
    public func close() {
        let (document, token) = (self.document, self.token)
        endpoint.post { listener in listener.removeTextBinding(token, document: document) }
        finishObservers()
    }

    // MARK: - On the I/O thread

    /// An edit planned against the live view: the range to replace, the text, and where the
    /// caret goes after. Nil plans nothing.
    typealias Plan = @Sendable (TextView) throws -> (range: Range<Int>, string: String, caret: Int)?

    private func edit(_ plan: @escaping Plan) async throws {
        let (document, text) = (self.document, self.text)
        try await endpoint.perform { listener in
            // On the I/O thread, every change before this command is in the view: the view is
            // the live text, and the selection has been moved by every remote edit.
            let view = self.state.withLock { $0.view }
            guard let plan = try plan(view) else { return }
            let (_, directives) = try listener.machine.edit(document, now: listener.now) { document in
                if !plan.range.isEmpty { try document.delete(plan.range, in: text) }
                if !plan.string.isEmpty { try document.insert(plan.string, at: plan.range.lowerBound, in: text) }
            }
            self.state.withLock { $0.pendingSelection = TextSelection(caret: plan.caret) }
            listener.commitLocal(document, directives)
            listener.publishChanges(origin: .local)
            listener.shareSelection(of: self, text: text)
        }
    }

    private func reverse(redo: Bool) async throws -> Bool {
        let (document, text) = (self.document, self.text)
        return try await endpoint.perform { listener in
            let (result, directives) = try listener.machine.withDocument(document, now: listener.now) { document in
                let result = try redo ? document.redo() : document.undo()
                return (result, result?.cursor.flatMap { document.position(of: $0) })
            }
            guard result.0 != nil else { return false }
            if let caret = result.1 { self.state.withLock { $0.pendingSelection = TextSelection(caret: caret) } }
            listener.commitLocal(document, directives)
            listener.publishChanges(origin: .undo)
            listener.shareSelection(of: self, text: text)
            return true
        }
    }

    /// Brings the view up to date with a batch of changes to the document (on the I/O thread).
    func apply(_ changes: [DocumentChange], origin: ChangeOrigin, document: Document, presence: [Presence]) {
        var pieces: [TextDelta] = []
        for change in changes {
            switch change {
            case .textInserted(let container, let position, let string) where container == text.id:
                pieces.append(.insert(string, at: position))
            case .textDeleted(let container, let position, let length) where container == text.id:
                pieces.append(.delete(length, at: position))
            default: continue
            }
        }
        let peers = Self.peers(presence, in: document, text: text)
        state.withLock { state in
            let pending = state.pendingSelection
            state.pendingSelection = nil
            guard !pieces.isEmpty || peers != state.view.peers || pending != nil else { return }
            let old = state.view.rope
            var rope = old
            var delta = TextDelta()
            for piece in pieces {
                Self.apply(piece, to: &rope)
                // Composing is O(size of both); past a few hundred pieces a whole replacement
                // is cheaper to build and to apply.
                delta = pieces.count <= 256 ? delta.followed(by: piece) : delta
            }
            let expected = document.length(of: text)
            var utf16Delta: TextDelta
            if rope.unicodeScalars.count != expected || pieces.count > 256 {
                // Out of step (a change that recorded no text events) or a huge batch: replace.
                rope = BigString(document.text(text))
                delta = TextDelta([.delete(old.unicodeScalars.count), .insert(String(rope))])
                utf16Delta = TextDelta([.delete(old.utf16.count), .insert(String(rope))])
            } else {
                utf16Delta = Self.utf16(delta, in: old)
            }
            let selection = (pending ?? state.view.selection.mapped(through: delta)).clamped(to: rope.unicodeScalars.count)
            let view = TextView(version: state.view.version + 1, rope: rope, selection: selection, peers: peers)
            state.view = view
            state.history.append((view.version, delta))
            if state.history.count > Self.historyLimit { state.history.removeFirst() }
            let update = TextUpdate(origin: origin, delta: delta, utf16Delta: utf16Delta, view: view)
            for continuation in state.observers.values { continuation.yield(update) }
        }
    }

    /// Tells observers the local selection moved (on the I/O thread).
    func selectionMoved() {
        state.withLock { state in
            let view = TextView(version: state.view.version + 1, rope: state.view.rope, selection: state.view.selection, peers: state.view.peers)
            state.view = view
            state.history.append((view.version, TextDelta()))
            if state.history.count > Self.historyLimit { state.history.removeFirst() }
            let update = TextUpdate(origin: .local, delta: TextDelta(), utf16Delta: TextDelta(), view: view)
            for continuation in state.observers.values { continuation.yield(update) }
        }
    }

    /// The selection now, for sharing (on the I/O thread).
    var currentSelection: TextSelection { state.withLock { $0.view.selection } }

    func finishObservers() {
        let continuations = state.withLock { state in
            state.closed = true
            defer { state.observers.removeAll() }
            return Array(state.observers.values)
        }
        for continuation in continuations { continuation.finish() }
    }

    // MARK: - Helpers

    private static func apply(_ piece: TextDelta, to rope: inout BigString) {
        var position = 0
        for operation in piece.operations {
            switch operation {
            case .retain(let count): position += count
            case .insert(let string):
                let index = rope.unicodeScalars.index(rope.startIndex, offsetBy: position)
                rope.unicodeScalars.insert(contentsOf: string.unicodeScalars, at: index)
                position += string.unicodeScalars.count
            case .delete(let count):
                let start = rope.unicodeScalars.index(rope.startIndex, offsetBy: position)
                let end = rope.unicodeScalars.index(start, offsetBy: count)
                rope.unicodeScalars.removeSubrange(start..<end)
            }
        }
    }

    /// `delta` (scalars, against `old`) counted in UTF-16 units.
    private static func utf16(_ delta: TextDelta, in old: BigString) -> TextDelta {
        var result = TextDelta()
        var index = old.startIndex
        for operation in delta.operations {
            switch operation {
            case .retain(let count), .delete(let count):
                let end = old.unicodeScalars.index(index, offsetBy: count)
                let units = old.utf16.distance(from: index, to: end)
                if case .retain = operation { result.append(.retain(units)) } else { result.append(.delete(units)) }
                index = end
            case .insert(let string):
                result.append(.insert(string))
            }
        }
        return result
    }

    /// `range` of the view at `version`, moved through every update since.
    static func rebase(_ range: Range<Int>, from version: UInt64, history: Deque<(version: UInt64, delta: TextDelta)>, current: UInt64) throws -> Range<Int> {
        guard version < current else { return range }
        guard let oldest = history.first, oldest.version <= version + 1 else {
            throw DocumentError(.outOfRange, "the view (version \(version)) is older than the \(historyLimit) updates a binding keeps")
        }
        var lower = range.lowerBound, upper = range.upperBound
        for entry in history where entry.version > version {
            lower = entry.delta.map(lower)
            upper = max(lower, entry.delta.map(upper))
        }
        return lower..<upper
    }

    /// The other users' selections, resolved against the live document.
    static func peers(_ presence: [Presence], in document: Document, text: TextRef) -> [PeerSelection] {
        presence.compactMap { peer -> PeerSelection? in
            guard !peer.isLeaving, peer.replica != document.replica else { return nil }
            let selection: TextSelection
            if let chosen = peer.selection, chosen.head.container == text.id,
               let anchor = document.position(of: chosen.anchor), let head = document.position(of: chosen.head) {
                selection = TextSelection(anchor: anchor, head: head)
            } else if let cursor = peer.cursor, cursor.container == text.id, let head = document.position(of: cursor) {
                selection = TextSelection(caret: head)
            } else {
                return nil
            }
            return PeerSelection(replica: peer.replica, name: peer.name, color: peer.color, selection: selection)
        }
    }
}
