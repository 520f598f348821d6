/// Text: positions are in Unicode scalars; see the UTF-16 and grapheme conversions below for
/// editors that count differently.
extension Document {
    /// Inserts `string` so that it starts at scalar offset `position`.
    public mutating func insert(_ string: String, at position: Int, in text: TextRef = .main) throws(DocumentError) {
        let container = containerIndex(text.id)
        var iterator = string.unicodeScalars.makeIterator()
        guard let first = iterator.next() else { return }
        guard let second = iterator.next() else {
            // A keystroke: no array needed.
            try insertScalars(CollectionOfOne(first.value), at: position, in: container)
            return
        }
        var scalars: [UInt32] = [first.value, second.value]
        scalars.reserveCapacity(string.utf8.count)
        while let scalar = iterator.next() { scalars.append(scalar.value) }
        try insertScalars(scalars, at: position, in: container)
    }

    /// Deletes the scalars in `range`.
    public mutating func delete(_ range: Range<Int>, in text: TextRef = .main) throws(DocumentError) {
        try deleteSequence(range, in: containerIndex(text.id))
    }

    /// Replaces the scalars in `range` with `string`.
    public mutating func replace(_ range: Range<Int>, with string: String, in text: TextRef = .main) throws(DocumentError) {
        try delete(range, in: text)
        try insert(string, at: range.lowerBound, in: text)
    }

    /// The text's content.
    public func text(_ text: TextRef = .main) -> String {
        guard let slot = existingSlot(text.id) else { return "" }
        return Self.string(fromScalars: sequences[slot].elements())
    }

    /// The scalars in `range` of the text, as a string (clamped to the text).
    public func text(_ text: TextRef = .main, in range: Range<Int>) -> String {
        guard let slot = existingSlot(text.id) else { return "" }
        let count = sequences[slot].visibleCount
        let clamped = max(0, min(range.lowerBound, count))..<max(0, min(range.upperBound, count))
        return Self.string(fromScalars: sequences[slot].elements(in: clamped))
    }

    /// The text's length in Unicode scalars.
    public func length(of text: TextRef = .main) -> Int {
        existingSlot(text.id).map { sequences[$0].visibleCount } ?? 0
    }

    /// The text's length in UTF-16 code units.
    public func utf16Length(of text: TextRef = .main) -> Int {
        existingSlot(text.id).map { sequences[$0].measureCount } ?? 0
    }

    /// The UTF-16 offset of scalar offset `scalarOffset`. O(log n).
    public func utf16Offset(ofScalar scalarOffset: Int, in text: TextRef = .main) -> Int {
        existingSlot(text.id).map { sequences[$0].measure(before: scalarOffset) } ?? 0
    }

    /// The scalar offset of UTF-16 offset `utf16Offset` (inside a surrogate pair: the pair's
    /// start). O(log n).
    public func scalarOffset(ofUTF16 utf16Offset: Int, in text: TextRef = .main) -> Int {
        existingSlot(text.id).map { sequences[$0].visiblePosition(atMeasure: utf16Offset) } ?? 0
    }

    /// The scalar offset where grapheme cluster `graphemeOffset` starts. O(n).
    public func scalarOffset(ofGrapheme graphemeOffset: Int, in text: TextRef = .main) -> Int {
        let string = self.text(text)
        let index = string.index(string.startIndex, offsetBy: max(0, graphemeOffset), limitedBy: string.endIndex) ?? string.endIndex
        return string.unicodeScalars.distance(from: string.unicodeScalars.startIndex, to: index)
    }

    /// The grapheme cluster offset of scalar offset `scalarOffset` (rounded down to the start
    /// of the cluster it falls in). O(n).
    public func graphemeOffset(ofScalar scalarOffset: Int, in text: TextRef = .main) -> Int {
        let string = self.text(text)
        let scalars = string.unicodeScalars
        let scalarIndex = scalars.index(scalars.startIndex, offsetBy: max(0, scalarOffset), limitedBy: scalars.endIndex) ?? scalars.endIndex
        var index = scalarIndex
        while index > string.startIndex && !string.indices.contains(index) {
            index = scalars.index(before: index)
        }
        return string.distance(from: string.startIndex, to: index)
    }

    /// Inserts at a UTF-16 offset.
    public mutating func insert(_ string: String, atUTF16 offset: Int, in text: TextRef = .main) throws(DocumentError) {
        try insert(string, at: scalarOffset(ofUTF16: offset, in: text), in: text)
    }

    /// Deletes a range given in UTF-16 offsets.
    public mutating func delete(utf16 range: Range<Int>, in text: TextRef = .main) throws(DocumentError) {
        let lower = scalarOffset(ofUTF16: range.lowerBound, in: text)
        let upper = scalarOffset(ofUTF16: range.upperBound, in: text)
        try delete(lower..<upper, in: text)
    }

    // MARK: - Shared sequence operations (text and lists)

    mutating func insertScalars(_ scalars: some Collection<UInt32>, at position: Int, in container: UInt32) throws(DocumentError) {
        guard !scalars.isEmpty else { return }
        let slot = slot(of: container)
        guard position >= 0 && position <= sequences[slot].visibleCount else {
            throw DocumentError(.outOfRange, "insert at \(position) in a text of length \(sequences[slot].visibleCount)")
        }
        let (counter, lamport) = try reserveLocal(scalars.count)
        let item = ItemID(replica: selfIndex, counter: counter)
        sequences[slot].insertLocal(scalars, at: position, id: item)
        journal(.inserted(container: container, span: ItemSpan(start: item, length: scalars.count), listValues: nil))
        logs[Int(selfIndex)].append(LogRun(counter: counter, lamport: lamport, length: UInt32(scalars.count), container: container, kind: .insert, payload: 0))
        undoHistory.record(.insertedSequence(container: container, span: ItemSpan(start: item, length: scalars.count)))
        noteUndoTouch(container, range: position..<position, lastInserted: item.advanced(by: scalars.count - 1))
        if recordsChanges {
            record(.textInserted(containers.ids[Int(container)], position: position, text: Self.string(fromScalars: Array(scalars))))
        }
    }

    mutating func insertElements(_ elements: [ListElement], at position: Int, in container: UInt32) throws(DocumentError) -> ItemID? {
        guard !elements.isEmpty else { return nil }
        let slot = slot(of: container)
        guard position >= 0 && position <= sequences[slot].visibleCount else {
            throw DocumentError(.outOfRange, "insert at \(position) in a list of length \(sequences[slot].visibleCount)")
        }
        let (counter, lamport) = try reserveLocal(elements.count)
        let item = ItemID(replica: selfIndex, counter: counter)
        journal(.inserted(container: container, span: ItemSpan(start: item, length: elements.count), listValues: listValues[slot].count))
        sequences[slot].insertLocal(storeListValues(elements, slot: slot), at: position, id: item)
        logs[Int(selfIndex)].append(LogRun(counter: counter, lamport: lamport, length: UInt32(elements.count), container: container, kind: .insert, payload: 0))
        undoHistory.record(.insertedSequence(container: container, span: ItemSpan(start: item, length: elements.count)))
        noteUndoTouch(container, range: position..<position, lastInserted: item.advanced(by: elements.count - 1))
        record(.listInserted(containers.ids[Int(container)], position: position, elements: elements))
        return item
    }

    /// Deletes the visible items of a text or list in `range` as local operations.
    mutating func deleteSequence(_ range: Range<Int>, in container: UInt32) throws(DocumentError) {
        let id = containers.ids[Int(container)]
        let slot = slot(of: container)
        let length = sequences[slot].visibleCount
        guard range.lowerBound >= 0 && range.upperBound <= length else {
            throw DocumentError(.outOfRange, "delete \(range) in a \(id.type) of length \(length)")
        }
        guard !range.isEmpty else { return }
        let (counter, lamport) = try reserveLocal(range.count)
        let wantsContent = undoHistory.isEnabled || journal != nil
        let deleter = ItemID(replica: selfIndex, counter: counter + UInt64(range.count) - 1)
        let (first, more, content) = sequences[slot].deleteLocal(range, deleter: deleter, wantsContent: wantsContent)
        if journal != nil { journal(.deleted(container: container, spans: [first] + more, content: content)) }
        logs[Int(selfIndex)].appendDelete(counter: counter, lamport: lamport, container: container, span: DeleteSpan(first))
        var next = counter + UInt64(first.length)
        for span in more {
            logs[Int(selfIndex)].appendDelete(counter: next, lamport: lamport + (next - counter), container: container, span: DeleteSpan(span))
            next += UInt64(span.length)
        }
        if undoHistory.isEnabled {
            let spans = [first] + more
            undoHistory.record(id.type == .text
                ? .deletedText(container: container, spans: spans, content: content)
                : .deletedList(container: container, spans: spans, elements: listElements(content, slot: slot)))
        }
        noteUndoTouch(container, range: range, lastInserted: nil)
        record(id.type == .text ? .textDeleted(id, position: range.lowerBound, length: range.count) : .listDeleted(id, position: range.lowerBound, count: range.count))
    }

    /// Tells the undo history where a local sequence edit happened and where its caret is now
    /// (after the last inserted item, or where deleted text was), for capture grouping.
    private mutating func noteUndoTouch(_ container: UInt32, range: Range<Int>, lastInserted: ItemID?) {
        guard undoHistory.isEnabled, undoHistory.mode == .normal else { return }
        let id = containers.ids[Int(container)]
        let caret = lastInserted.map { Cursor(container: id, anchor: opID($0), side: .left) } ?? cursor(at: range.lowerBound, in: id)
        undoHistory.touch(id, range: range, caret: caret)
    }

    /// Deletes the given visible items (by ID) as local operations, in order. Items already
    /// deleted must not be passed (they would consume counters for nothing).
    mutating func deleteItems(_ spans: [ItemSpan], in container: UInt32) throws(DocumentError) {
        let total = spans.reduce(0) { $0 + $1.length }
        guard total > 0 else { return }
        let id = containers.ids[Int(container)]
        let slot = slot(of: container)
        let (counter, lamport) = try reserveLocal(total)
        var missing = 0
        for span in spans {
            let removals = sequences[slot].delete(span, deleter: ItemID(replica: selfIndex, counter: counter + UInt64(total) - 1), missing: &missing, wantsPositions: true, wantsContent: true)
            if journal != nil { journal(.deleted(container: container, spans: [span], content: removals.flatMap(\.content))) }
            for removal in removals {
                if id.type == .text {
                    undoHistory.record(.deletedText(container: container, spans: [span], content: removal.content))
                    record(.textDeleted(id, position: removal.position, length: removal.count))
                } else {
                    undoHistory.record(.deletedList(container: container, spans: [span], elements: listElements(removal.content, slot: slot)))
                    record(.listDeleted(id, position: removal.position, count: removal.count))
                }
            }
        }
        logs[Int(selfIndex)].appendDelete(counter: counter, lamport: lamport, container: container, spans: spans.map(DeleteSpan.init))
    }

    /// Builds a string from scalar values known to be valid (they came from strings or were
    /// validated when decoded).
    static func string(fromScalars scalars: [UInt32]) -> String {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(scalars.count)
        for value in scalars {
            switch value {
            case 0..<0x80:
                utf8.append(UInt8(value))
            case 0x80..<0x800:
                utf8.append(UInt8(0xC0 | (value >> 6)))
                utf8.append(UInt8(0x80 | (value & 0x3F)))
            case 0x800..<0x10000:
                utf8.append(UInt8(0xE0 | (value >> 12)))
                utf8.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
                utf8.append(UInt8(0x80 | (value & 0x3F)))
            default:
                utf8.append(UInt8(0xF0 | (value >> 18)))
                utf8.append(UInt8(0x80 | ((value >> 12) & 0x3F)))
                utf8.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
                utf8.append(UInt8(0x80 | (value & 0x3F)))
            }
        }
        return String(decoding: utf8, as: UTF8.self)
    }
}
