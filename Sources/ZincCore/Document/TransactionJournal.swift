/// What a transaction has changed so far, so that a transaction whose body throws can be
/// undone exactly (``Document/transact(_:)``): the document is left as it was, byte for byte
/// in everything it shows and sends, and no operation counter is spent.
///
/// Beginning costs O(1): the journal keeps where the append-only parts (counters, clock, log,
/// containers) ended, plus one entry per operation with what it overwrote.
struct TransactionJournal: Sendable {
    enum Change: Sendable {
        /// Items this replica inserted (and, for a list, how many values its table held before).
        case inserted(container: UInt32, span: ItemSpan, listValues: Int?)
        /// Visible items a local delete hid, with their content in document order.
        case deleted(container: UInt32, spans: [ItemSpan], content: [UInt32])
        case mapEntry(container: UInt32, key: String, previous: LWWEntry<MapValue>?)
        case register(container: UInt32, previous: RegisterState)
        case counter(container: UInt32, previous: CounterState)
        case setTags(container: UInt32, value: Value, previous: Set<ItemID>?)
    }

    let ownOperations: UInt64
    let clock: LamportClock
    let containers: Int
    let log: ReplicaLog.Mark
    let recordedChanges: Int
    let undoHistory: UndoHistory
    var changes: [Change] = []
}

extension Document {
    /// Starts journaling local changes (the start of a transaction).
    mutating func beginJournal() {
        journal = TransactionJournal(
            ownOperations: versions[Int(selfIndex)], clock: clock, containers: containers.count,
            log: logs[Int(selfIndex)].mark, recordedChanges: recordedChanges.count, undoHistory: undoHistory)
    }

    /// Stops journaling: the transaction's changes stand.
    mutating func endJournal() {
        journal = nil
    }

    /// Records what a local change is about to overwrite, while a transaction is open.
    mutating func journal(_ change: TransactionJournal.Change) {
        journal?.changes.append(change)
    }

    /// Undoes every change since ``beginJournal()``, newest first, and stops journaling.
    mutating func rollBackJournal() {
        guard let journal else { return }
        self.journal = nil
        for change in journal.changes.reversed() {
            switch change {
            case .inserted(let container, let span, let listValues):
                let slot = slot(of: container)
                sequences[slot].removeNewestItems(span)
                if let listValues { self.listValues[slot].removeSubrange(listValues...) }
            case .deleted(let container, let spans, let content):
                let slot = slot(of: container)
                var start = content.startIndex
                for span in spans {
                    sequences[slot].restoreDeleted(span, content: content[start..<start + span.length])
                    start += span.length
                }
            case .mapEntry(let container, let key, let previous):
                maps[slot(of: container)].entries[key] = previous
            case .register(let container, let previous):
                registers[slot(of: container)] = previous
            case .counter(let container, let previous):
                counters[slot(of: container)] = previous
            case .setTags(let container, let value, let previous):
                sets[slot(of: container)].tags[value] = previous
            }
        }
        while containers.count > journal.containers { removeNewestContainer() }
        versions[Int(selfIndex)] = journal.ownOperations
        clock = journal.clock
        logs[Int(selfIndex)].truncate(to: journal.log)
        recordedChanges.removeSubrange(journal.recordedChanges...)
        undoHistory = journal.undoHistory
        committedCounter = journal.ownOperations
        forgetCachedContainer()
    }

    /// Removes the container added last, with its (empty or rolled-back) state.
    private mutating func removeNewestContainer() {
        guard let id = containers.ids.last else { return }
        switch id.type {
        case .text, .list:
            sequences.removeLast()
            listValues.removeLast()
        case .map: maps.removeLast()
        case .register, .multiValueRegister: registers.removeLast()
        case .counter: counters.removeLast()
        case .set: sets.removeLast()
        }
        containers.removeLast()
    }
}
