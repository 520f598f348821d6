/// This replica's own changes, grouped by commit, with what is needed to reverse each one.
/// Remote changes are never recorded, so undo reverses only what this replica did.
struct UndoHistory: Sendable {
    enum Step: Sendable {
        /// Items this replica inserted: undo deletes those still visible.
        case insertedSequence(container: UInt32, span: ItemSpan)
        /// Text this replica deleted (the items of `spans`, in document order, with their
        /// content): undo re-inserts it where the first of them was.
        case deletedText(container: UInt32, spans: [ItemSpan], content: [UInt32])
        case deletedList(container: UInt32, spans: [ItemSpan], elements: [ListElement])
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

    /// Where a group's first text or list edit happened (positions as they were then), and
    /// where its caret ended up: what tells typing on from a jump elsewhere.
    struct Touch: Sendable {
        var container: ContainerID
        var range: Range<Int>
    }

    var open: [Step] = []
    var openCursor: Cursor?
    var undoStack: [Group] = []
    var redoStack: [Group] = []
    var mode: Mode = .normal
    /// Whether local steps are recorded at all (off for bulk loads and benchmarks).
    var isEnabled = true
    var maxGroups = 500

    /// Groups closed less than this apart, with no caret jump between them, become one undo
    /// step (Yjs's UndoManager uses 500 ms). Zero keeps every group separate.
    var captureWindow: Duration = .milliseconds(500)
    /// When the last group closed, and where its caret was then.
    var lastClosed: Duration?
    var lastCaret: Cursor?
    /// Set by ``Document/stopUndoCapture()``: the next group starts a new undo step.
    var captureStopped = false
    /// The open group's first sequence edit, and the caret after its latest one.
    var openTouch: Touch?
    var openCaret: Cursor?

    mutating func record(_ step: Step) {
        guard isEnabled else { return }
        open.append(step)
    }

    /// Notes a text or list edit of the open group: the positions it touched and the caret
    /// after it.
    mutating func touch(_ container: ContainerID, range: Range<Int>, caret: Cursor) {
        guard isEnabled, mode == .normal else { return }
        if openTouch == nil { openTouch = Touch(container: container, range: range) }
        openCaret = caret
    }

    /// Closes the open group. `merge` folds it into the previous group (typing bursts).
    mutating func close(merge: Bool, at now: Duration? = nil) {
        defer {
            openTouch = nil
            openCaret = nil
        }
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
            lastClosed = now
            if let openCaret { lastCaret = openCaret }
            captureStopped = false
        case .undoing:
            redoStack.append(group)
            captureStopped = true
        case .redoing:
            undoStack.append(group)
            captureStopped = true
        }
        if undoStack.count > maxGroups { undoStack.removeFirst(undoStack.count - maxGroups) }
    }
}

/// What an undo or redo did.
public struct UndoResult: Sendable, Equatable {
    /// Where to put the editing cursor: the place of the last change undone or redone.
    public var cursor: Cursor?
    /// The number of steps reversed.
    package var steps: Int
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
    package mutating func noteCursor(_ cursor: Cursor) {
        if undoHistory.open.isEmpty { undoHistory.openCursor = cursor }
    }

    /// How close in time consecutive local transactions must be, with no caret jump between
    /// them, to form one undo step (500 ms by default, like Yjs's UndoManager; zero makes every
    /// transaction its own step).
    package var undoCaptureWindow: Duration {
        get { undoHistory.captureWindow }
        set { undoHistory.captureWindow = max(.zero, newValue) }
    }

    /// Makes the next transaction start a new undo step, however soon it follows (an editor
    /// calls this when the user moves the caret, or on a pause it decides on itself).
    package mutating func stopUndoCapture() {
        undoHistory.captureStopped = true
    }

    /// Whether the open group continues the last one: close in time, and starting where the
    /// last one's caret is now (typing on, or deleting next to it).
    func continuesLastUndoGroup(at now: Duration) -> Bool {
        let history = undoHistory
        guard history.mode == .normal, !history.captureStopped, history.captureWindow > .zero,
              let last = history.lastClosed, now - last < history.captureWindow, !history.undoStack.isEmpty
        else { return false }
        guard let touch = history.openTouch else { return true }
        guard let caret = history.lastCaret, caret.container == touch.container, let position = position(of: caret) else { return false }
        return position == touch.range.lowerBound || position == touch.range.upperBound
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
        // Text the group inserted and then deleted (typing, backspacing, typing on) is gone
        // once its insert is undone: restoring it first would bring it back as new text.
        var inserted: [UInt32: [ItemSpan]] = [:]
        for step in group.steps {
            if case .insertedSequence(let container, let span) = step { inserted[container, default: []].append(span) }
        }
        var cursor: Cursor?
        for step in group.steps.reversed() {
            cursor = try reverse(step, insertedByGroup: inserted) ?? cursor
        }
        if mode == .undoing, let before = group.cursorBefore { cursor = before }
        return UndoResult(cursor: cursor, steps: group.steps.count)
    }

    /// Performs the inverse of one step; returns a cursor at the place it changed.
    private mutating func reverse(_ step: UndoHistory.Step, insertedByGroup inserted: [UInt32: [ItemSpan]]) throws(DocumentError) -> Cursor? {
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
        case .deletedText(let container, let spans, let content):
            let (first, kept) = Self.outside(inserted[container] ?? [], spans: spans, content: content)
            guard let first else { return nil }
            let slot = slot(of: container)
            let position = sequences[slot].visibleIndex(of: first) ?? sequences[slot].visibleCount
            try insertScalars(kept, at: position, in: container)
            return cursor(at: position + kept.count, in: containers.ids[Int(container)])
        case .deletedList(let container, let spans, let elements):
            let (first, kept) = Self.outside(inserted[container] ?? [], spans: spans, content: elements)
            guard let first else { return nil }
            let slot = slot(of: container)
            let position = sequences[slot].visibleIndex(of: first) ?? sequences[slot].visibleCount
            _ = try insertElements(kept, at: position, in: container)
            return cursor(at: position + kept.count, in: containers.ids[Int(container)])
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

    /// The deleted items (and their content) that the group did not insert itself, and the
    /// first of them.
    private static func outside<Element>(_ inserted: [ItemSpan], spans: [ItemSpan], content: [Element]) -> (first: ItemID?, kept: [Element]) {
        guard !inserted.isEmpty else { return (spans.first?.start, content) }
        var first: ItemID?
        var kept: [Element] = []
        var index = 0
        for span in spans {
            for offset in 0..<span.length where index < content.count {
                let item = span.start.advanced(by: offset)
                if !inserted.contains(where: { $0.start.replica == item.replica && $0.start.raw <= item.raw && item.raw < $0.end.raw }) {
                    if first == nil { first = item }
                    kept.append(content[index])
                }
                index += 1
            }
        }
        return (first, kept)
    }
}
