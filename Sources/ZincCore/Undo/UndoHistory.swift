/// This replica's own changes, grouped by commit, with what is needed to reverse each one.
/// Remote changes are never recorded, so undo reverses only what this replica did.
struct UndoHistory: Sendable {
    enum Step: Sendable {
        /// Items this replica inserted: undo deletes those still visible.
        case insertedSequence(container: UInt32, span: ItemSpan)
        /// Text this replica deleted, starting at item `first`: undo re-inserts it there.
        case deletedText(container: UInt32, first: ItemID, content: [UInt32])
        case deletedList(container: UInt32, first: ItemID, elements: [ListElement])
        case mapSet(container: UInt32, key: String, previous: MapValue?)
        case registerSet(container: UInt32, previous: [Value])
        case counterAdd(container: UInt32, delta: Int64)
        case setAdd(container: UInt32, value: Value, tag: ItemID)
        case setRemove(container: UInt32, value: Value)
    }

    struct Group: Sendable {
        var steps: [Step]
        /// Where the editing cursor was before the group (restored by undo).
        var cursorBefore: Cursor?
    }

    enum Mode: Sendable { case normal, undoing, redoing }

    var open: [Step] = []
    var openCursor: Cursor?
    var undoStack: [Group] = []
    var redoStack: [Group] = []
    var mode: Mode = .normal
    /// Whether local steps are recorded at all (off for bulk loads and benchmarks).
    var isEnabled = true
    var maxGroups = 500

    mutating func record(_ step: Step) {
        guard isEnabled else { return }
        open.append(step)
    }

    /// Closes the open group. `merge` folds it into the previous group (typing bursts).
    mutating func close(merge: Bool) {
        guard !open.isEmpty else { return }
        let group = Group(steps: open, cursorBefore: openCursor)
        open.removeAll()
        openCursor = nil
        switch mode {
        case .normal:
            redoStack.removeAll()
            if merge, !undoStack.isEmpty {
                undoStack[undoStack.count - 1].steps.append(contentsOf: group.steps)
            } else {
                undoStack.append(group)
            }
        case .undoing: redoStack.append(group)
        case .redoing: undoStack.append(group)
        }
        if undoStack.count > maxGroups { undoStack.removeFirst(undoStack.count - maxGroups) }
    }
}

/// What an undo or redo did.
public struct UndoResult: Sendable, Equatable {
    /// Where to put the editing cursor: the place of the last change undone or redone.
    public var cursor: Cursor?
    /// The number of steps reversed.
    public var steps: Int
}

extension Document {
    /// True if there is a change of this replica's to undo.
    public var canUndo: Bool { !undoHistory.undoStack.isEmpty || !undoHistory.open.isEmpty }
    /// True if there is an undone change to redo.
    public var canRedo: Bool { !undoHistory.redoStack.isEmpty }

    /// Turns undo recording on or off (off keeps bulk imports lean).
    public mutating func setUndoEnabled(_ enabled: Bool) {
        undoHistory.isEnabled = enabled
        if !enabled {
            undoHistory.open.removeAll()
            undoHistory.undoStack.removeAll()
            undoHistory.redoStack.removeAll()
        }
    }

    /// Remembers where the editing cursor is, so undoing the current group brings it back.
    public mutating func noteCursor(_ cursor: Cursor) {
        if undoHistory.open.isEmpty { undoHistory.openCursor = cursor }
    }

    /// Reverses this replica's last committed group of changes as new local operations (other
    /// replicas' changes are untouched). Returns nil if there is nothing to undo.
    @discardableResult
    public mutating func undo() throws(DocumentError) -> UndoResult? {
        commit()
        guard let group = undoHistory.undoStack.popLast() else { return nil }
        return try reverse(group, mode: .undoing)
    }

    /// Re-applies the last undone group. Returns nil if there is nothing to redo.
    @discardableResult
    public mutating func redo() throws(DocumentError) -> UndoResult? {
        commit()
        guard let group = undoHistory.redoStack.popLast() else { return nil }
        return try reverse(group, mode: .redoing)
    }

    private mutating func reverse(_ group: UndoHistory.Group, mode: UndoHistory.Mode) throws(DocumentError) -> UndoResult {
        undoHistory.mode = mode
        defer {
            undoHistory.close(merge: false)
            undoHistory.mode = .normal
        }
        var cursor: Cursor?
        for step in group.steps.reversed() {
            cursor = try reverse(step) ?? cursor
        }
        if mode == .undoing, let before = group.cursorBefore { cursor = before }
        return UndoResult(cursor: cursor, steps: group.steps.count)
    }

    /// Performs the inverse of one step; returns a cursor at the place it changed.
    private mutating func reverse(_ step: UndoHistory.Step) throws(DocumentError) -> Cursor? {
        switch step {
        case .insertedSequence(let container, let span):
            let id = containers.ids[Int(container)]
            let slot = slot(of: container)
            var visible: [ItemSpan] = []
            var position: Int?
            for k in 0..<span.length {
                let item = span.start.advanced(by: k)
                let location = id.type == .text ? sequences[slot].locate(item) : sequences[slot].locate(item)
                guard let location else { continue }
                let deleted = id.type == .text
                    ? sequences[slot].leaves[Int(location.leaf)].runs[location.run].isDeleted
                    : sequences[slot].leaves[Int(location.leaf)].runs[location.run].isDeleted
                if deleted { continue }
                if position == nil { position = id.type == .text ? sequences[slot].visibleIndex(of: item) : sequences[slot].visibleIndex(of: item) }
                if let last = visible.last, last.end == item { visible[visible.count - 1].length += 1 } else { visible.append(ItemSpan(start: item, length: 1)) }
            }
            try deleteItems(visible, in: container)
            return position.map { cursor(at: $0, in: id) }
        case .deletedText(let container, let first, let content):
            let slot = slot(of: container)
            let position = sequences[slot].visibleIndex(of: first) ?? sequences[slot].visibleCount
            try insertScalars(content, at: position, in: container)
            return cursor(at: position + content.count, in: containers.ids[Int(container)])
        case .deletedList(let container, let first, let elements):
            let slot = slot(of: container)
            let position = sequences[slot].visibleIndex(of: first) ?? sequences[slot].visibleCount
            _ = try insertElements(elements, at: position, in: container)
            return cursor(at: position + elements.count, in: containers.ids[Int(container)])
        case .mapSet(let container, let key, let previous):
            try setMapValue(key, previous ?? .deleted, in: container)
        case .registerSet(let container, let previous):
            try setRegister(previous.last ?? .null, in: container)
        case .counterAdd(let container, let delta):
            try addToCounter(0 &- delta, in: container)
        case .setAdd(let container, let value, let tag):
            try removeFromSet(value, observed: [tag], in: container)
        case .setRemove(let container, let value):
            try addToSet(value, in: container)
        }
        return nil
    }
}
