/// Merging a whole state without its operations: how a replica takes in a snapshot from a
/// replica that has trimmed the history it would need as operations. Every container type is
/// a state-based CRDT too: sequences by item identity (missing items integrated where their
/// origins are, deletions united), maps and registers by (Lamport, replica), counters by each
/// replica's sum, sets and multi-value registers by their tags against each side's version.
extension Document {
    /// Merges everything `other` holds into this document, as state. The result is what an
    /// operation merge would give; the history of the replicas `other` was ahead on starts at
    /// the merge (versions before it cannot be rebuilt here, and peers that need operations
    /// from before it get a snapshot).
    ///
    /// - Complexity: O(n log n) in the items of both.
    package mutating func mergeState(_ other: Document) throws(DocumentError) {
        guard !isReadOnly else { throw DocumentError(.readOnly, "this is a read-only document (a past version): nothing can be merged into it") }
        var map: [UInt32] = []
        for id in other.replicas.ids {
            guard let index = internReplica(id) else { throw DocumentError(.limitExceeded, "too many replicas") }
            map.append(index)
        }
        func local(_ item: ItemID) -> ItemID {
            item.isNone ? .none : ItemID(replica: map[Int(item.replica)], counter: item.counter)
        }
        let mine = versions, theirs = other.versions
        func theyHold(_ item: ItemID) -> Bool {
            guard let index = other.replicas.index(of: replicas[item.replica]) else { return false }
            return item.counter < theirs[Int(index)]
        }
        func iHeld(_ item: ItemID) -> Bool { Int(item.replica) < mine.count && item.counter < mine[Int(item.replica)] }

        for (otherIndex, id) in other.containers.ids.enumerated() {
            let container = containerIndex(id)
            let slot = slot(of: container)
            let otherSlot = Int(other.containers.slots[otherIndex])
            switch id.type {
            case .text, .list:
                try mergeSequence(other, otherSlot: otherSlot, into: container, slot: slot, local: local)
            case .map:
                for (key, entry) in other.maps[otherSlot].entries {
                    if maps[slot].entries[key]?.isOlder(thanLamport: entry.lamport, replica: entry.replica) ?? true {
                        maps[slot].entries[key] = LWWEntry(value: entry.value, lamport: entry.lamport, replica: entry.replica, op: local(entry.op))
                        record(.mapSet(id, key: key, value: entry.value == .deleted ? nil : entry.value))
                    }
                }
            case .register:
                if let winner = other.registers[otherSlot].winner,
                   registers[slot].winner?.isOlder(thanLamport: winner.lamport, replica: winner.replica) ?? true {
                    registers[slot].winner = LWWEntry(value: winner.value, lamport: winner.lamport, replica: winner.replica, op: local(winner.op))
                    record(.registerSet(id, values: [winner.value]))
                }
            case .multiValueRegister:
                let incoming = other.registers[otherSlot].values.map { (op: local($0.op), value: $0.value) }
                var kept = registers[slot].values.filter { value in incoming.contains { $0.op == value.op } || !theyHold(value.op) }
                for value in incoming where !iHeld(value.op) && !kept.contains(where: { $0.op == value.op }) { kept.append(value) }
                kept.sort { opID($0.op) < opID($1.op) }
                if kept.map(\.op) != registers[slot].values.map(\.op) {
                    registers[slot].values = kept
                    record(.registerSet(id, values: kept.map(\.value)))
                }
            case .counter:
                var contributions = counters[slot].contributions
                for (otherReplica, sum) in other.counters[otherSlot].contributions {
                    let replica = map[Int(otherReplica)]
                    if theirs[Int(otherReplica)] > (Int(replica) < mine.count ? mine[Int(replica)] : 0) { contributions[replica] = sum }
                }
                let merged = CounterState(contributions: contributions)
                if merged != counters[slot] {
                    counters[slot] = merged
                    record(.counterChanged(id, value: merged.value))
                }
            case .set:
                let values = Set(sets[slot].tags.keys).union(other.sets[otherSlot].tags.keys)
                for value in values {
                    let incoming = Set((other.sets[otherSlot].tags[value] ?? []).map(local))
                    let current = sets[slot].tags[value] ?? []
                    let merged = current.filter { incoming.contains($0) || !theyHold($0) }.union(incoming.filter { !iHeld($0) })
                    guard merged != current else { continue }
                    sets[slot].tags[value] = merged.isEmpty ? nil : merged
                    if current.isEmpty != merged.isEmpty {
                        record(.setChanged(id, added: merged.isEmpty ? [] : [value], removed: merged.isEmpty ? [value] : []))
                    }
                }
            }
        }
        // Versions, clock, history: the other side's replicas it was ahead on start here.
        var aheadOn = false
        for (otherIndex, count) in theirs.enumerated() {
            let index = Int(map[otherIndex])
            guard count > versions[index] else { continue }
            versions[index] = count
            aheadOn = true
        }
        clock.advance(toAtLeast: other.clock.time)
        if aheadOn { dropHistory() }
        var report = ApplyReport()
        drainPending(report: &report)
        forgetCachedContainer()
    }

    /// Integrates the items of `other`'s sequence that this one lacks, where their origins are,
    /// and deletes the ones `other` has deleted.
    private mutating func mergeSequence(_ other: Document, otherSlot: Int, into container: UInt32, slot: Int, local: (ItemID) -> ItemID) throws(DocumentError) {
        let id = containers.ids[Int(container)]
        let tree = other.sequences[otherSlot]
        struct Piece {
            var run: SequenceRun
            var content: [UInt32]?
        }
        var missing: [Piece] = []
        var deletions: [ItemSpan] = []
        var contentOffset = 0
        var leaf = tree.firstLeaf
        while leaf >= 0 {
            contentOffset = 0
            for run in tree.leaves[Int(leaf)].runs {
                let visibleContent = run.isDeleted ? nil : Array(tree.leaves[Int(leaf)].content[contentOffset..<contentOffset + run.count])
                if !run.isDeleted { contentOffset += run.count }
                let first = local(run.id)
                // The items this document holds are a prefix of the run (counters are contiguous).
                let held = Int(min(UInt64(run.count), first.replica < versions.count ? versions[Int(first.replica)] &- min(first.counter, versions[Int(first.replica)]) : 0))
                if held > 0, run.isDeleted { deletions.append(ItemSpan(start: first, length: held)) }
                guard held < run.count else { continue }
                let suffix = held == 0 ? run : run.suffix(from: held)
                let piece = SequenceRun(
                    id: local(suffix.id), originLeft: local(suffix.originLeft), originRight: local(suffix.originRight),
                    length: suffix.length, isDeleted: suffix.isDeleted)
                let content: [UInt32]?
                if let visibleContent {
                    content = Array(visibleContent[held...])
                } else {
                    content = tree.tombstones.content(run.id.advanced(by: held), upTo: run.count - held).flatMap { $0.count == run.count - held ? $0 : nil }
                }
                missing.append(Piece(run: piece, content: content))
            }
            leaf = tree.leaves[Int(leaf)].next
        }
        // Integrate what can be (origins present), until nothing is left.
        sequences[slot].indexesOutOfOrder = true
        defer { sequences[slot].indexesOutOfOrder = false }
        let table = replicas
        let precedes: (UInt32, UInt32) -> Bool = { table[$0] < table[$1] }
        var remaining = missing
        while !remaining.isEmpty {
            var next: [Piece] = []
            for piece in remaining {
                let run = piece.run
                let present = (run.originLeft.isNone || sequences[slot].locate(run.originLeft) != nil)
                    && (run.originRight.isNone || sequences[slot].locate(run.originRight) != nil)
                guard present else {
                    next.append(piece)
                    continue
                }
                var elements = piece.content ?? []
                if id.type == .list {
                    let values = other.listValues[otherSlot]
                    elements = storeListValues(elements.map { values[Int($0)] }, slot: slot)
                }
                do throws(SequenceIntegrationError) {
                    let position = try sequences[slot].integrate(run, content: run.isDeleted ? [] : elements, wantsPosition: recordsChanges, precedes: precedes)
                    if !run.isDeleted {
                        if id.type == .text {
                            if recordsChanges { record(.textInserted(id, position: position, text: Self.string(fromScalars: elements))) }
                        } else {
                            record(.listInserted(id, position: position, elements: listElements(elements, slot: slot)))
                        }
                    } else if let kept = piece.content {
                        sequences[slot].tombstones.record(run.id, content: kept, deleter: ItemID(replica: run.id.replica, counter: ItemID.maxCounter))
                    }
                } catch {
                    throw DocumentError(.invalidOperation, "merging \(id): \(error)")
                }
            }
            guard next.count < remaining.count else {
                throw DocumentError(.invalidOperation, "merging \(id): \(next.count) runs name origins neither side holds")
            }
            remaining = next
        }
        var missingCount = 0
        for span in deletions {
            for removal in sequences[slot].delete(span, deleter: ItemID(replica: span.start.replica, counter: ItemID.maxCounter), missing: &missingCount, wantsPositions: recordsChanges, wantsContent: false) {
                record(id.type == .text ? .textDeleted(id, position: removal.position, length: removal.count) : .listDeleted(id, position: removal.position, count: removal.count))
            }
        }
    }
}
