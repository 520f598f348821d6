/// What applying a fragment did.
package struct ApplyReport: Sendable, Hashable {
    /// Operation units applied now (including held ones this fragment unblocked).
    package var applied = 0
    /// Operation units this document already had.
    package var duplicates = 0
    /// Operation units held until something they depend on arrives.
    package var held = 0
    /// Operation units refused as invalid, with the first reasons.
    package var rejected = 0
    package var rejectionReasons: [String] = []
    /// Held operations dropped because the holding area was full.
    package var overflowed = 0

    package init() {}

    mutating func reject(_ units: Int, _ reason: @autoclosure () -> String) {
        rejected += units
        if rejectionReasons.count < 8 { rejectionReasons.append(reason()) }
    }
}

/// Applying remote fragments.
extension Document {
    /// Applies a fragment from another replica (or the same one again: it is idempotent).
    ///
    /// Operations this document has are skipped, operations whose dependencies are missing are
    /// held until they arrive, invalid operations are refused and counted (never trusted). The
    /// document's Lamport clock moves past every operation applied.
    ///
    /// Throws only if the fragment cannot be interpreted at all (it names too many replicas).
    ///
    /// `trusting`, if given, decides per author whether this sender may bring *new* operations
    /// of that replica (a host accepts from a child only what its subtree authored): others are
    /// refused and counted, while ones this document already holds are plain duplicates.
    @discardableResult
    package mutating func apply(_ fragment: DocumentFragment, trusting: ((ReplicaID) -> Bool)?) throws(DocumentError) -> ApplyReport {
        try apply(replicas: fragment.replicas, containers: fragment.containers, ops: fragment.ops, trusting: trusting)
    }

    /// Applies a fragment from another replica (or the same one again: it is idempotent).
    ///
    /// Operations this document has are skipped, operations whose dependencies are missing are
    /// held until they arrive, and invalid operations are refused and counted. Throws only if
    /// the fragment cannot be interpreted at all (it names too many replicas).
    package mutating func apply(_ fragment: DocumentFragment) throws(DocumentError) {
        try apply(fragment, trusting: nil)
    }

    /// Decodes and applies an encoded fragment in one step, reusing the document's scratch
    /// storage (the hot path for deltas arriving from the network). The whole message is
    /// decoded and validated before anything is applied: a malformed message changes nothing.
    @discardableResult
    package mutating func apply(encoded bytes: [UInt8], author: ReplicaID? = nil, trusting: ((ReplicaID) -> Bool)? = nil) throws(DocumentError) -> ApplyReport {
        var scratch = scratchFragment
        scratchFragment = DocumentFragment()
        defer {
            scratch.replicas.removeAll(keepingCapacity: true)
            scratch.containers.removeAll(keepingCapacity: true)
            scratch.ops.removeAll(keepingCapacity: true)
            scratchFragment = scratch
        }
        let decodingLimits = limits.decoding
        let failure: FormatError? = bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw, limits: decodingLimits)
            do throws(FormatError) {
                try DocumentFragment.decode(&reader, author: author, replicas: &scratch.replicas, containers: &scratch.containers, ops: &scratch.ops)
                try reader.expectEnd("fragment")
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw DocumentError(failure) }
        return try apply(replicas: scratch.replicas, containers: scratch.containers, ops: scratch.ops, trusting: trusting)
    }

    private mutating func apply(
        replicas fragmentReplicas: [ReplicaID], containers fragmentContainers: [ContainerID], ops: [FragmentOp], trusting: ((ReplicaID) -> Bool)?
    ) throws(DocumentError) -> ApplyReport {
        guard !isReadOnly else { throw DocumentError(.readOnly, "this is a read-only document (a past version): nothing can be merged into it") }
        var report = ApplyReport()
        guard !ops.isEmpty else { return report }
        let fragment = (replicas: fragmentReplicas, containers: fragmentContainers)
        var replicaMap = SmallIndexMap(count: fragment.replicas.count)
        for (position, replica) in fragment.replicas.enumerated() {
            guard let index = internReplica(replica) else {
                throw DocumentError(.limitExceeded, "more than \(ItemID.maxReplica) replicas")
            }
            replicaMap[position] = index
        }
        let distrusted: [Bool]? = trusting.map { trusts in fragment.replicas.map { !trusts($0) } }
        var containerMap = SmallIndexMap(count: fragment.containers.count)
        for op in ops {
            if let distrusted, op.replica < distrusted.count, distrusted[Int(op.replica)] {
                let have = replicaMap[Int(op.replica)].map { versions[Int($0)] } ?? 0
                if op.counter + UInt64(op.length) <= have {
                    report.duplicates += op.length
                } else {
                    report.reject(op.length, "operations of \(fragment.replicas[Int(op.replica)].shortDescription) are not accepted from this sender")
                }
                continue
            }
            guard let resolved = resolve(op, fragment: fragment, replicaMap: replicaMap, containerMap: &containerMap, report: &report) else { continue }
            process(resolved, report: &report)
        }
        drainPending(report: &report)
        return report
    }

    /// Translates a fragment op to local indices, checking what can be checked in isolation.
    private mutating func resolve(
        _ op: FragmentOp, fragment: (replicas: [ReplicaID], containers: [ContainerID]), replicaMap: SmallIndexMap,
        containerMap: inout SmallIndexMap, report: inout ApplyReport
    ) -> ResolvedOp? {
        guard op.replica < replicaMap.count, op.container < fragment.containers.count else {
            report.reject(op.length, "operation refers to a replica or container the fragment does not name")
            return nil
        }
        let length = op.length
        guard length > 0, op.counter <= ItemID.maxCounter - UInt64(length) else {
            report.reject(max(length, 1), "operation counter \(op.counter)+\(length) out of range")
            return nil
        }
        func item(_ ref: FragmentOp.Ref?) -> ItemID? {
            guard let ref else { return ItemID.none }
            guard ref.replica < replicaMap.count, ref.counter <= ItemID.maxCounter, let replica = replicaMap[ref.replica] else { return nil }
            return ItemID(replica: replica, counter: ref.counter)
        }
        let containerID = fragment.containers[op.container]
        let body: ResolvedOp.Body
        switch op.body {
        case .insert(let left, let right, let content):
            guard containerID.type == (content.isText ? .text : .list) else {
                report.reject(length, "\(content.isText ? "text" : "list") insert into \(containerID.type) \(containerID)")
                return nil
            }
            guard let left = item(left), let right = item(right) else {
                report.reject(length, "insert origin refers to an unknown replica")
                return nil
            }
            let visible = content.pieces.isEmpty ? content.count : content.pieces.filter { !$0.isDeleted }.reduce(0) { $0 + $1.count }
            guard visible == content.elements.count else {
                report.reject(length, "insert pieces do not match its content")
                return nil
            }
            body = .insert(left: left, right: right, content: content)
        case .delete(let spans):
            guard containerID.type.isSequence else {
                report.reject(length, "delete in \(containerID.type) \(containerID)")
                return nil
            }
            var local: [DeleteSpan] = []
            for span in spans {
                guard let start = item(span.start), span.length > 0, span.length <= Int(Int32.max),
                      span.descending ? start.counter >= UInt64(span.length - 1) : start.counter <= ItemID.maxCounter - UInt64(span.length)
                else {
                    report.reject(length, "delete span out of range")
                    return nil
                }
                local.append(DeleteSpan(start: start, length: Int32(span.length), descending: span.descending))
            }
            body = .delete(local)
        case .mapSet(let key, let value):
            guard containerID.type == .map else { report.reject(1, "map set in \(containerID.type)"); return nil }
            body = .payload(.mapSet(key: key, value: value))
        case .registerSet(let value, let supersedes):
            guard containerID.type == .register || containerID.type == .multiValueRegister else { report.reject(1, "register set in \(containerID.type)"); return nil }
            let refs = supersedes.map(item)
            guard !refs.contains(where: { $0 == nil }) else { report.reject(1, "register supersedes an unknown replica"); return nil }
            body = .payload(.registerSet(value: value, supersedes: refs.compactMap { $0 }))
        case .counterAdd(let delta):
            guard containerID.type == .counter else { report.reject(1, "counter add in \(containerID.type)"); return nil }
            body = .payload(.counterAdd(delta))
        case .setAdd(let value):
            guard containerID.type == .set else { report.reject(1, "set add in \(containerID.type)"); return nil }
            body = .payload(.setAdd(value))
        case .setRemove(let value, let observed):
            guard containerID.type == .set else { report.reject(1, "set remove in \(containerID.type)"); return nil }
            let refs = observed.map(item)
            guard !refs.contains(where: { $0 == nil }) else { report.reject(1, "set remove observes an unknown replica"); return nil }
            body = .payload(.setRemove(value, observed: refs.compactMap { $0 }))
        }
        let container: UInt32
        if let mapped = containerMap[op.container] {
            container = mapped
        } else {
            container = containerIndex(containerID)
            containerMap[op.container] = container
        }
        guard let replica = replicaMap[op.replica] else {
            report.reject(length, "operation refers to a replica the fragment does not name")
            return nil
        }
        return ResolvedOp(replica: replica, counter: op.counter, lamport: op.lamport, container: container, body: body, length: length)
    }

    private enum Outcome { case applied, duplicate, blocked, rejected }

    private mutating func process(_ op: ResolvedOp, report: inout ApplyReport) {
        switch tryApply(op, report: &report) {
        case .applied, .duplicate, .rejected: break
        case .blocked:
            if pending.hold(op, limit: limits.maxPendingOperations) {
                report.held += op.length
            } else {
                report.overflowed += op.length
            }
        }
    }

    mutating func drainPending(report: inout ApplyReport) {
        var progress = !pending.isEmpty
        while progress {
            progress = false
            for replica in pending.replicas {
                while let op = pending.first(of: replica) {
                    let outcome = tryApply(op, report: &report)
                    if outcome == .blocked { break }
                    pending.removeFirst(of: replica)
                    if outcome == .applied { report.held -= min(report.held, op.length) }
                    progress = true
                }
            }
        }
    }

    private mutating func tryApply(_ original: ResolvedOp, report: inout ApplyReport) -> Outcome {
        let have = versions[Int(original.replica)]
        let end = original.counter + UInt64(original.length)
        if end <= have {
            report.duplicates += original.length
            return .duplicate
        }
        if original.counter > have { return .blocked }
        let skip = Int(have - original.counter)
        guard let op = original.dropping(skip) else {
            report.duplicates += original.length
            return .duplicate
        }
        report.duplicates += skip
        guard dependenciesPresent(op) else { return .blocked }
        do throws(DocumentError) {
            try execute(op)
        } catch {
            report.reject(op.length, "\(opID(ItemID(replica: op.replica, counter: op.counter))): \(error.message)")
            return .rejected
        }
        versions[Int(op.replica)] = op.counter + UInt64(op.length)
        clock.receive(op.lamport &+ UInt64(op.length) &- 1)
        report.applied += op.length
        return .applied
    }

    private func dependenciesPresent(_ op: ResolvedOp) -> Bool {
        switch op.body {
        case .insert(let left, let right, _):
            return has(left) && has(right)
        case .delete(let spans):
            return spans.allSatisfy { has($0.item(at: 0)) && has($0.item(at: Int($0.length) - 1)) }
        case .payload(let payload):
            switch payload {
            case .registerSet(_, let supersedes): return supersedes.allSatisfy(has)
            case .setRemove(_, let observed): return observed.allSatisfy(has)
            case .mapSet, .counterAdd, .setAdd: return true
            }
        }
    }

    /// Performs a remote operation whose dependencies are present, and logs it.
    private mutating func execute(_ op: ResolvedOp) throws(DocumentError) {
        let id = containers.ids[Int(op.container)]
        let slot = slot(of: op.container)
        switch op.body {
        case .insert(let left, let right, let content):
            try integrate(op, left: left, right: right, content: content, id: id, slot: slot)
            logs[Int(op.replica)].append(LogRun(counter: op.counter, lamport: op.lamport, length: UInt32(op.length), container: op.container, kind: .insert, payload: 0))
        case .delete(let spans):
            var missing = 0
            for span in spans {
                let ascending = span.ascendingSpan(from: 0, count: Int(span.length))
                // Before the delete: which of its items were tombstones already.
                if historyBase != nil { noteDeletedAgain(ascending, in: op.container) }
                let deleter = ItemID(replica: op.replica, counter: op.counter + UInt64(op.length) - 1)
                for removal in sequences[slot].delete(ascending, deleter: deleter, missing: &missing, wantsPositions: recordsChanges, wantsContent: false) {
                    record(id.type == .text ? .textDeleted(id, position: removal.position, length: removal.count) : .listDeleted(id, position: removal.position, count: removal.count))
                }
            }
            logs[Int(op.replica)].appendDelete(counter: op.counter, lamport: op.lamport, container: op.container, spans: spans)
        case .payload(let payload):
            let item = ItemID(replica: op.replica, counter: op.counter)
            let author = replicas[op.replica]
            switch payload {
            case .mapSet(let key, let value):
                if maps[slot].entries[key]?.isOlder(thanLamport: op.lamport, replica: author) ?? true {
                    maps[slot].entries[key] = LWWEntry(value: value, lamport: op.lamport, replica: author, op: item)
                    record(.mapSet(id, key: key, value: value == .deleted ? nil : value))
                }
            case .registerSet(let value, let supersedes):
                if id.type == .register {
                    if registers[slot].winner?.isOlder(thanLamport: op.lamport, replica: author) ?? true {
                        registers[slot].winner = LWWEntry(value: value, lamport: op.lamport, replica: author, op: item)
                        record(.registerSet(id, values: [value]))
                    }
                } else {
                    let superseded = Set(supersedes)
                    var values = registers[slot].values.filter { !superseded.contains($0.op) }
                    values.append((item, value))
                    values.sort { opID($0.op) < opID($1.op) }
                    registers[slot].values = values
                    record(.registerSet(id, values: values.map(\.value)))
                }
            case .counterAdd(let delta):
                counters[slot].add(delta, by: op.replica)
                record(.counterChanged(id, value: counters[slot].value))
            case .setAdd(let value):
                let wasPresent = !(sets[slot].tags[value]?.isEmpty ?? true)
                sets[slot].tags[value, default: []].insert(item)
                if !wasPresent { record(.setChanged(id, added: [value], removed: [])) }
            case .setRemove(let value, let observed):
                if var tags = sets[slot].tags[value] {
                    tags.subtract(observed)
                    sets[slot].tags[value] = tags.isEmpty ? nil : tags
                    if tags.isEmpty { record(.setChanged(id, added: [], removed: [value])) }
                }
            }
            let index = UInt32(logs[Int(op.replica)].payloads.count)
            logs[Int(op.replica)].payloads.append(payload)
            logs[Int(op.replica)].append(LogRun(counter: op.counter, lamport: op.lamport, length: 1, container: op.container, kind: op.kind, payload: index))
        }
    }

    /// Integrates an insert piece by piece: each piece's first item goes through the FugueMax
    /// scan; within a piece the items follow one another.
    private mutating func integrate(_ op: ResolvedOp, left: ItemID, right: ItemID, content: InsertContent, id: ContainerID, slot: Int) throws(DocumentError) {
        if content.pieces.isEmpty {
            try integratePiece(op, item: ItemID(replica: op.replica, counter: op.counter), left: left, right: right, content: content, offset: 0, count: content.count, deleted: false, id: id, slot: slot)
            return
        }
        var originLeft = left
        var item = ItemID(replica: op.replica, counter: op.counter)
        var contentOffset = 0
        for piece in content.pieces where piece.count > 0 {
            try integratePiece(op, item: item, left: originLeft, right: right, content: content, offset: contentOffset, count: piece.count, deleted: piece.isDeleted, id: id, slot: slot)
            if !piece.isDeleted { contentOffset += piece.count }
            originLeft = item.advanced(by: piece.count - 1)
            item = item.advanced(by: piece.count)
        }
    }

    private mutating func integratePiece(
        _ op: ResolvedOp, item: ItemID, left: ItemID, right: ItemID, content: InsertContent,
        offset: Int, count: Int, deleted: Bool, id: ContainerID, slot: Int
    ) throws(DocumentError) {
        let run = SequenceRun(id: item, originLeft: left, originRight: right, length: Int32(count), isDeleted: deleted)
        let table = replicas
        let precedes: (UInt32, UInt32) -> Bool = { table[$0] < table[$1] }
        do throws(SequenceIntegrationError) {
            switch content.elements {
            case .text(let scalars):
                let slice = scalars[offset..<offset + (deleted ? 0 : count)]
                let position = try sequences[slot].integrate(run, content: slice, wantsPosition: recordsChanges, precedes: precedes)
                if !deleted, recordsChanges { record(.textInserted(id, position: position, text: Self.string(fromScalars: Array(slice)))) }
            case .list(let elements):
                let slice = deleted ? [] : Array(elements[offset..<offset + count])
                let position = try sequences[slot].integrate(run, content: storeListValues(slice, slot: slot), wantsPosition: recordsChanges, precedes: precedes)
                if !deleted { record(.listInserted(id, position: position, elements: slice)) }
            }
        } catch {
            throw DocumentError(.invalidOperation, "insert into \(id): \(error)")
        }
    }
}

/// Fragment-local index → document-local index, with the first two entries stored inline: most
/// fragments name one replica and one container, and then no array is allocated.
struct SmallIndexMap {
    private var first: UInt32?
    private var second: UInt32?
    private var rest: [UInt32?]
    let count: Int

    init(count: Int) {
        self.count = count
        rest = count > 2 ? Array(repeating: nil, count: count - 2) : []
    }

    subscript(position: Int) -> UInt32? {
        get {
            switch position {
            case 0: first
            case 1: second
            default: position < count ? rest[position - 2] : nil
            }
        }
        set {
            switch position {
            case 0: first = newValue
            case 1: second = newValue
            default: if position < count { rest[position - 2] = newValue }
            }
        }
    }
}
