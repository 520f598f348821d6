/// Whole-document snapshots: the state, not the history of edits — runs of items instead of
/// operations, visible text compressed, every operation's identity kept so the loaded document
/// can still serve ``fragment(since:)``. The layout is specified in docs/protocol.md
/// ("Snapshot encoding").
extension Document {
    static let snapshotMagic: [UInt8] = Array("ZNCS".utf8)
    static let snapshotVersion: UInt8 = 2

    private enum RunBit {
        static let deleted: UInt64 = 1 << 0
        static let continues: UInt64 = 1 << 1
        static let leftPrevious: UInt64 = 1 << 2
        static let leftNone: UInt64 = 1 << 3
        static let rightNext: UInt64 = 1 << 4
        static let rightNone: UInt64 = 1 << 5
        static let shift: UInt64 = 6
    }

    /// The document as one self-contained byte string.
    public func encodedSnapshot() -> [UInt8] {
        if logs.isDefective {
            // What the history held cannot be written back: save the state, with the history
            // trimmed where it is now, so the snapshot loads whole.
            var trimmed = self
            trimmed.dropHistory()
            return trimmed.encodedSnapshot()
        }
        var writer = ByteWriter(capacity: 1024)
        writer.write(Self.snapshotMagic)
        writer.write(Self.snapshotVersion)
        writer.write(varint: UInt64(replicas.count))
        for id in replicas.ids { writer.write(id) }
        for count in versions { writer.write(varint: count) }
        for index in logs.indices { writer.write(varint: logs.base(of: index)) }
        writer.write(varint: clock.time)
        writer.write(varint: UInt64(containers.count))
        for id in containers.ids { id.encode(into: &writer) }
        for (index, id) in containers.ids.enumerated() {
            let slot = Int(containers.slots[index])
            switch id.type {
            case .text:
                Self.encodeRuns(sequences[slot], into: &writer)
                var utf8: [UInt8] = []
                utf8.reserveCapacity(sequences[slot].visibleCount)
                Self.string(fromScalars: sequences[slot].elements()).utf8.forEach { utf8.append($0) }
                Self.writeBlock(utf8, into: &writer)
                let kept = Self.encodeTombstones(sequences[slot].tombstones, into: &writer)
                var deleted: [UInt8] = []
                Self.string(fromScalars: kept).utf8.forEach { deleted.append($0) }
                Self.writeBlock(deleted, into: &writer)
            case .list:
                Self.encodeRuns(sequences[slot], into: &writer)
                for element in listElements(sequences[slot].elements(), slot: slot) { element.encode(into: &writer) }
                let kept = Self.encodeTombstones(sequences[slot].tombstones, into: &writer)
                for element in listElements(kept, slot: slot) { element.encode(into: &writer) }
            case .map:
                let entries = maps[slot].entries.sorted { $0.key < $1.key }
                writer.write(varint: UInt64(entries.count))
                for (key, entry) in entries {
                    writer.write(string: key)
                    entry.value.encode(into: &writer)
                    writer.write(varint: entry.lamport)
                    writer.write(varint: UInt64(entry.op.replica))
                    writer.write(varint: entry.op.counter)
                }
            case .register:
                if let winner = registers[slot].winner {
                    writer.write(1)
                    winner.value.encode(into: &writer)
                    writer.write(varint: winner.lamport)
                    writer.write(varint: UInt64(winner.op.replica))
                    writer.write(varint: winner.op.counter)
                } else {
                    writer.write(0)
                }
            case .multiValueRegister:
                writer.write(varint: UInt64(registers[slot].values.count))
                for (op, value) in registers[slot].values {
                    writer.write(varint: UInt64(op.replica))
                    writer.write(varint: op.counter)
                    value.encode(into: &writer)
                }
            case .counter:
                let contributions = counters[slot].contributions.sorted { $0.key < $1.key }
                writer.write(varint: UInt64(contributions.count))
                for (replica, sum) in contributions {
                    writer.write(varint: UInt64(replica))
                    writer.write(signed: sum)
                }
            case .set:
                let elements = sets[slot].tags.sorted { $0.key.json < $1.key.json }
                writer.write(varint: UInt64(elements.count))
                for (value, tags) in elements {
                    value.encode(into: &writer)
                    writer.write(varint: UInt64(tags.count))
                    for tag in tags.sorted() {
                        writer.write(varint: UInt64(tag.replica))
                        writer.write(varint: tag.counter)
                    }
                }
            }
        }
        for index in logs.indices {
            if let bytes = logs.encodedBytes(of: index) {
                writer.write(bytes)
            } else {
                Self.encodeLog(logs[index], owner: UInt32(index), into: &writer)
            }
        }
        writer.write(lengthPrefixed: historyBase?.encoded ?? [])
        return writer.bytes
    }

    /// Bytes (UTF-8 text, a varint stream): their size, then deflated (with the deflated size)
    /// or as they are (deflated size 0).
    static func writeBlock(_ utf8: [UInt8], into writer: inout ByteWriter) {
        let compressed = utf8.count >= 64 ? Deflate.compress(utf8) : []
        writer.write(varint: UInt64(utf8.count))
        if !compressed.isEmpty && compressed.count < utf8.count {
            writer.write(lengthPrefixed: compressed)
        } else {
            writer.write(varint: 0)
            writer.write(utf8)
        }
    }

    /// The kept content of deleted items: entry headers (replica, start, length, deleter);
    /// returns their content, in entry order, for the caller to write after.
    private static func encodeTombstones(_ tombstones: TombstoneContent, into writer: inout ByteWriter) -> [UInt32] {
        // Adjacent entries deleted by one replica are written as one (in memory, a run of
        // backspaces is kept in short entries).
        var entries: [(UInt32, TombstoneContent.Entry)] = []
        tombstones.forEach { replica, entry in
            let last = entries.count - 1
            if last >= 0, entries[last].0 == replica, entries[last].1.end == entry.start, entries[last].1.deleterReplica == entry.deleterReplica {
                entries[last].1.content.append(contentsOf: entry.content)
                entries[last].1.deleterCounter = max(entries[last].1.deleterCounter, entry.deleterCounter)
            } else {
                entries.append((replica, entry))
            }
        }
        writer.write(varint: UInt64(entries.count))
        var content: [UInt32] = []
        content.reserveCapacity(tombstones.count)
        for (replica, entry) in entries {
            writer.write(varint: UInt64(replica))
            writer.write(varint: entry.start)
            writer.write(varint: UInt64(entry.content.count))
            writer.write(varint: UInt64(entry.deleterReplica))
            writer.write(varint: entry.deleterCounter)
            content.append(contentsOf: entry.content)
        }
        return content
    }

    private static func encodeRuns(_ tree: SequenceTree, into writer: inout ByteWriter) {
        var runs: [SequenceRun] = []
        runs.reserveCapacity(tree.runCount)
        tree.forEachRun { runs.append($0) }
        writer.write(varint: UInt64(runs.count))
        var last: SequenceRun?
        for (index, run) in runs.enumerated() {
            defer { last = run }
            var flags: UInt64 = run.isDeleted ? RunBit.deleted : 0
            if let previous = last, run.id == previous.id.advanced(by: previous.count), run.id.replica == previous.id.replica,
               run.originLeft == previous.lastID, run.originRight == previous.originRight
            {
                flags |= RunBit.continues
                writer.write(varint: UInt64(run.length) << RunBit.shift | flags)
                continue
            }
            let next = index + 1 < runs.count ? runs[index + 1].id : ItemID.none
            if let previous = last, run.originLeft == previous.lastID { flags |= RunBit.leftPrevious }
            if run.originLeft.isNone { flags |= RunBit.leftNone }
            if run.originRight.isNone { flags |= RunBit.rightNone } else if run.originRight == next { flags |= RunBit.rightNext }
            writer.write(varint: UInt64(run.length) << RunBit.shift | flags)
            let previousEnd = last.map { $0.id.counter + UInt64($0.length) } ?? 0
            writer.write(varint: UInt64(run.id.replica))
            writer.write(signed: Int64(bitPattern: run.id.counter &- previousEnd))
            if flags & (RunBit.leftPrevious | RunBit.leftNone) == 0 {
                writer.write(varint: UInt64(run.originLeft.replica))
                writer.write(signed: Int64(bitPattern: run.id.counter &- run.originLeft.counter))
            }
            if flags & (RunBit.rightNext | RunBit.rightNone) == 0 {
                writer.write(varint: UInt64(run.originRight.replica))
                writer.write(signed: Int64(bitPattern: run.originRight.counter &- run.id.counter))
            }
        }
    }

}

// MARK: - Decoding

extension Document {
    /// Loads a snapshot made by ``encodedSnapshot()``, to be edited as `replica` (usually the
    /// replica that saved it, so its counters continue). Every field of the state is validated;
    /// a corrupt or foreign byte string throws ``DocumentError`` with reason `.malformed`.
    ///
    /// Each author's operation log (the history behind ``history()`` and ``at(_:)``) is checked
    /// for framing here and decoded, with every check, when first needed. If one fails then,
    /// the state stands and the history is unusable: ``at(_:)`` throws `.historyUnavailable`,
    /// and the next ``encodedSnapshot()`` holds the state with its history trimmed.
    public init(snapshot bytes: [UInt8], replica: ReplicaID) throws(DocumentError) {
        try self.init(snapshot: bytes, replica: replica, limits: .default)
    }

    /// Loads a snapshot within `limits`. `historyBase`: the snapshot is a trimmed document's
    /// base state (its logs start at its version, and it holds no base of its own).
    package init(snapshot bytes: [UInt8], replica: ReplicaID, limits: DocumentLimits, historyBase: Bool = false) throws(DocumentError) {
        do throws(FormatError) {
            self = try withReader(bytes, limits: limits.decoding) { (reader) throws(FormatError) -> Document in
                try Document(decodingSnapshot: &reader, replica: replica, limits: limits, nested: historyBase)
            }
        } catch {
            throw DocumentError(error)
        }
    }

    /// `nested`: decoding a history base, which may not hold one of its own (so hostile input
    /// cannot nest them deeper).
    private init(decodingSnapshot reader: inout ByteReader, replica: ReplicaID, limits: DocumentLimits, nested: Bool = false) throws(FormatError) {
        let magic = try reader.readBytes(4, "snapshot magic")
        guard magic == Self.snapshotMagic else { throw FormatError(.invalid, "not a Zinc document snapshot") }
        let version = try reader.readByte("snapshot version")
        // Version 1 (stores written before history was kept) still loads: no deleted content,
        // full logs, counters as a sum (their per-replica parts are rebuilt from the logs).
        guard version == Self.snapshotVersion || version == 1 else { throw FormatError(.unsupportedVersion, "snapshot version \(version)") }
        let legacy = version == 1
        self.init(replica: replica, limits: limits)
        // The constructor interned `replica` at 0; rebuild the tables from the snapshot.
        replicas = ReplicaTable()
        versions = []
        logs = ReplicaLogs()
        let replicaCount = try reader.readCount("snapshot replicas", minimumBytesEach: 16)
        guard replicaCount <= min(reader.limits.maxReplicas, Int(ItemID.maxReplica)) else { throw FormatError(.limitExceeded, "snapshot names \(replicaCount) replicas") }
        for _ in 0..<replicaCount {
            let id = try reader.readReplicaID("snapshot replica")
            guard replicas.index(of: id) == nil, internReplica(id) != nil else { throw FormatError(.invalid, "snapshot names replica \(id) twice") }
        }
        for index in 0..<replicaCount {
            let count = try reader.readVarint("snapshot version of replica \(index)")
            guard count <= ItemID.maxCounter else { throw FormatError(.invalid, "snapshot version out of range") }
            versions[index] = count
        }
        var bases = Array(repeating: UInt64(0), count: replicaCount)
        for index in 0..<replicaCount where !legacy {
            bases[index] = try reader.readVarint("snapshot log base of replica \(index)")
            guard bases[index] <= versions[index] else { throw FormatError(.invalid, "log base beyond the version of replica \(index)") }
        }
        let time = try reader.readVarint("snapshot lamport")
        guard time < LamportClock.ceiling else { throw FormatError(.invalid, "snapshot Lamport time \(time) beyond 2^53") }
        clock = LamportClock(time: time)
        let containerCount = try reader.readCount("snapshot containers", minimumBytesEach: 2)
        var ids: [ContainerID] = []
        for _ in 0..<containerCount {
            let id = try ContainerID(decoding: &reader)
            guard containers.index(of: id) == nil else { throw FormatError(.invalid, "snapshot names container \(id) twice") }
            _ = containerIndex(id)
            ids.append(id)
        }
        func item(_ context: String) throws(FormatError) -> ItemID {
            let replica = try reader.readVarint(max: replicaCount - 1, context + " replica")
            let counter = try reader.readVarint(context + " counter")
            guard counter <= ItemID.maxCounter else { throw FormatError(.invalid, context + ": counter out of range") }
            return ItemID(replica: UInt32(replica), counter: counter)
        }
        for (index, id) in ids.enumerated() {
            let slot = Int(containers.slots[index])
            switch id.type {
            case .text:
                let runs = try Self.decodeRuns(&reader, replicaCount: replicaCount)
                let scalars = try Self.readText(&reader, "text")
                sequences[slot] = try SequenceTree(bulkRuns: runs, content: scalars)
                if legacy { continue }
                let headers = try Self.decodeTombstoneHeaders(&reader, replicaCount: replicaCount)
                let deleted = try Self.readText(&reader, "deleted text")
                try Self.fill(&sequences[slot].tombstones, headers, content: deleted)
            case .list:
                let runs = try Self.decodeRuns(&reader, replicaCount: replicaCount)
                let visible = runs.reduce(0) { $0 + $1.visibleCount }
                guard visible <= reader.remaining else { throw FormatError(.truncated, "list of \(visible) elements") }
                var elements: [ListElement] = []
                elements.reserveCapacity(visible)
                for _ in 0..<visible { elements.append(try ListElement(decoding: &reader)) }
                sequences[slot] = try SequenceTree(bulkRuns: runs, content: (0..<elements.count).map { UInt32(truncatingIfNeeded: $0) }, measuresUTF16: false)
                if legacy {
                    listValues[slot] = elements
                    continue
                }
                let headers = try Self.decodeTombstoneHeaders(&reader, replicaCount: replicaCount)
                let keptCount = headers.reduce(0) { $0 + $1.length }
                guard keptCount <= reader.remaining else { throw FormatError(.truncated, "\(keptCount) deleted list elements") }
                var indices: [UInt32] = []
                indices.reserveCapacity(keptCount)
                for _ in 0..<keptCount {
                    indices.append(UInt32(truncatingIfNeeded: elements.count))
                    elements.append(try ListElement(decoding: &reader))
                }
                listValues[slot] = elements
                try Self.fill(&sequences[slot].tombstones, headers, content: indices)
            case .map:
                let count = try reader.readCount("map entries", minimumBytesEach: 5)
                for _ in 0..<count {
                    let key = try reader.readString("map key")
                    let value = try MapValue(decoding: &reader)
                    let lamport = try reader.readVarint("map entry lamport")
                    let op = try item("map entry op")
                    maps[slot].entries[key] = LWWEntry(value: value, lamport: lamport, replica: replicas[op.replica], op: op)
                }
            case .register:
                switch try reader.readByte("register tag") {
                case 0: break
                case 1:
                    let value = try Value(decoding: &reader)
                    let lamport = try reader.readVarint("register lamport")
                    let op = try item("register op")
                    registers[slot].winner = LWWEntry(value: value, lamport: lamport, replica: replicas[op.replica], op: op)
                case let tag: throw FormatError(.invalid, "register tag \(tag)")
                }
            case .multiValueRegister:
                let count = try reader.readCount("register values", minimumBytesEach: 3)
                for _ in 0..<count {
                    let op = try item("register value op")
                    registers[slot].values.append((op, try Value(decoding: &reader)))
                }
            case .counter:
                if legacy {
                    _ = try reader.readSigned("counter value")
                    continue
                }
                let count = try reader.readCount("counter contributions", minimumBytesEach: 2)
                var contributions: [UInt32: Int64] = [:]
                for _ in 0..<count {
                    let replica = UInt32(try reader.readVarint(max: replicaCount - 1, "counter contribution replica"))
                    guard contributions.updateValue(try reader.readSigned("counter contribution"), forKey: replica) == nil else {
                        throw FormatError(.invalid, "counter names replica \(replica) twice")
                    }
                }
                counters[slot] = CounterState(contributions: contributions)
            case .set:
                let count = try reader.readCount("set elements", minimumBytesEach: 2)
                for _ in 0..<count {
                    let value = try Value(decoding: &reader)
                    let tagCount = try reader.readCount("set tags", minimumBytesEach: 2)
                    var tags = Set<ItemID>()
                    for _ in 0..<tagCount { tags.insert(try item("set tag")) }
                    if !tags.isEmpty { sets[slot].tags[value] = tags }
                }
            }
        }
        if legacy {
            for index in 0..<replicaCount {
                logs[index] = try Self.decodeLog(&reader, owner: UInt32(index), base: 0, legacy: true, expectedOperations: versions[index], containerTypes: ids.map(\.type), replicaCount: replicaCount)
            }
        } else {
            // Decoded when first read: most loads never need the history (see ReplicaLogs).
            var encoded: [[UInt8]] = []
            encoded.reserveCapacity(replicaCount)
            for _ in 0..<replicaCount { encoded.append(try Self.skipLog(&reader)) }
            logs = ReplicaLogs(deferred: DeferredLogs(bytes: encoded, bases: bases, versions: versions, containerTypes: ids.map(\.type), limits: reader.limits))
        }
        if !legacy {
            let base = try reader.readLengthPrefixed("history base")
            if nested {
                guard base.isEmpty else { throw FormatError(.invalid, "a history base holds a history base") }
            } else if base.isEmpty {
                guard historyFloor.isEmpty else { throw FormatError(.invalid, "a trimmed history without its base state") }
            } else {
                // Validated now, so time travel can trust it later.
                let decoded = try withReader(base, limits: reader.limits) { (inner) throws(FormatError) -> HistoryBase in
                    let decoded = try HistoryBase(decoding: &inner)
                    try inner.expectEnd("history base")
                    return decoded
                }
                let state = try withReader(decoded.state, limits: reader.limits) { (inner) throws(FormatError) -> Document in
                    let document = try Document(decodingSnapshot: &inner, replica: replica, limits: limits, nested: true)
                    try inner.expectEnd("history base state")
                    return document
                }
                guard state.versionVector == historyFloor else { throw FormatError(.invalid, "the history base is not the state where the logs start") }
                guard state.sequences.allSatisfy({ $0.totalCount == 0 }) else { throw FormatError(.invalid, "the history base holds sequence items") }
                for range in decoded.deletedAtFloor where range.counters.upperBound > historyFloor[range.replica] {
                    throw FormatError(.invalid, "the history base lists items above the floor as deleted")
                }
                historyBase = decoded
            }
        }
        try reader.expectEnd("snapshot")
        if legacy { rebuildCounterContributions() }
        guard let own = internReplica(replica) else { throw FormatError(.limitExceeded, "too many replicas") }
        selfIndex = own
        committedCounter = versions[Int(own)]
    }

    /// Bytes written by ``writeBlock(_:into:)``.
    static func readBlock(_ reader: inout ByteReader, _ context: String) throws(FormatError) -> [UInt8] {
        let (size, compressedSize) = try readBlockSizes(&reader, context)
        return try compressedSize == 0
            ? reader.readBytes(size, context)
            : reader.withBytes(compressedSize, "compressed " + context) { (raw) throws(FormatError) -> [UInt8] in try Deflate.decompress(raw, expectedSize: size) }
    }

    /// Reads past a block written by ``writeBlock(_:into:)`` without inflating it.
    static func skipBlock(_ reader: inout ByteReader, _ context: String) throws(FormatError) {
        let (size, compressedSize) = try readBlockSizes(&reader, context)
        try reader.withBytes(compressedSize == 0 ? size : compressedSize, context) { (_) throws(FormatError) in }
    }

    /// A block's size, and its deflated size (0: stored as it is).
    private static func readBlockSizes(_ reader: inout ByteReader, _ context: String) throws(FormatError) -> (size: Int, compressed: Int) {
        let size = try reader.readVarint(max: reader.limits.maxBytes, context + " size")
        return (size, try reader.readVarint(max: reader.limits.maxBytes, "compressed " + context + " size"))
    }

    /// UTF-8 text written by ``writeBlock(_:into:)``, as scalars.
    private static func readText(_ reader: inout ByteReader, _ context: String) throws(FormatError) -> [UInt32] {
        let utf8 = try readBlock(&reader, context)
        let decoded: Result<[UInt32], FormatError> = utf8.withUnsafeBytes { raw in
            do throws(FormatError) { return .success(try decodeUTF8Scalars(raw, context: context)) } catch { return .failure(error) }
        }
        let scalars = try decoded.get()
        guard scalars.count <= reader.limits.maxDocumentItems else { throw FormatError(.limitExceeded, "\(context) of \(scalars.count) scalars") }
        return scalars
    }

    private struct TombstoneHeader {
        var replica: UInt32
        var start: UInt64
        var length: Int
        var deleter: ItemID
    }

    private static func decodeTombstoneHeaders(_ reader: inout ByteReader, replicaCount: Int) throws(FormatError) -> [TombstoneHeader] {
        let count = try reader.readCount("deleted content entries", minimumBytesEach: 5)
        var headers: [TombstoneHeader] = []
        headers.reserveCapacity(count)
        var total = 0
        var ends: [UInt32: UInt64] = [:]
        for _ in 0..<count {
            let replica = UInt32(try reader.readVarint(max: replicaCount - 1, "deleted content replica"))
            let start = try reader.readVarint("deleted content start")
            let length = try reader.readVarint(max: reader.limits.maxDocumentItems, "deleted content length")
            let deleterReplica = UInt32(try reader.readVarint(max: replicaCount - 1, "deleter replica"))
            let deleterCounter = try reader.readVarint("deleter counter")
            guard length > 0, start <= ItemID.maxCounter, UInt64(length) <= ItemID.maxCounter - start, deleterCounter <= ItemID.maxCounter else {
                throw FormatError(.invalid, "deleted content entry out of range")
            }
            guard start >= ends[replica, default: 0] else { throw FormatError(.invalid, "deleted content entries out of order") }
            ends[replica] = start + UInt64(length)
            total += length
            guard total <= reader.limits.maxDocumentItems else { throw FormatError(.limitExceeded, "\(total) deleted items") }
            headers.append(TombstoneHeader(replica: replica, start: start, length: length, deleter: ItemID(replica: deleterReplica, counter: deleterCounter)))
        }
        return headers
    }

    private static func fill(_ tombstones: inout TombstoneContent, _ headers: [TombstoneHeader], content: [UInt32]) throws(FormatError) {
        guard headers.reduce(0, { $0 + $1.length }) == content.count else { throw FormatError(.invalid, "deleted content and its entries disagree") }
        var offset = 0
        for header in headers {
            tombstones.append(replica: header.replica, TombstoneContent.Entry(
                start: header.start, content: CompactScalars(content[offset..<offset + header.length]),
                deleterReplica: header.deleter.replica, deleterCounter: header.deleter.counter))
            offset += header.length
        }
    }

    private static func decodeRuns(_ reader: inout ByteReader, replicaCount: Int) throws(FormatError) -> [SequenceRun] {
        let count = try reader.readCount("sequence runs")
        var runs: [SequenceRun] = []
        runs.reserveCapacity(count)
        var fixNext: Int?
        var items = 0
        for _ in 0..<count {
            let head = try reader.readVarint("run head")
            let length = head >> RunBit.shift
            guard length > 0, length <= UInt64(Int32.max) else { throw FormatError(.invalid, "run of \(length) items") }
            items += Int(length)
            guard items <= reader.limits.maxDocumentItems else { throw FormatError(.limitExceeded, "sequence of more than \(reader.limits.maxDocumentItems) items") }
            let deleted = head & RunBit.deleted != 0
            var run: SequenceRun
            if head & RunBit.continues != 0 {
                guard let previous = runs.last else { throw FormatError(.invalid, "first run continues nothing") }
                run = SequenceRun(id: previous.id.advanced(by: previous.count), originLeft: previous.lastID, originRight: previous.originRight, length: Int32(length), isDeleted: deleted)
            } else {
                let previousEnd = runs.last.map { $0.id.counter + UInt64($0.length) } ?? 0
                let replica = UInt32(try reader.readVarint(max: replicaCount - 1, "run replica"))
                let counter = previousEnd &+ UInt64(bitPattern: try reader.readSigned("run counter"))
                guard counter <= ItemID.maxCounter - length else { throw FormatError(.invalid, "run counter out of range") }
                let id = ItemID(replica: replica, counter: counter)
                var left = ItemID.none
                if head & RunBit.leftPrevious != 0 {
                    guard let previous = runs.last else { throw FormatError(.invalid, "first run has no previous item") }
                    left = previous.lastID
                } else if head & RunBit.leftNone == 0 {
                    let leftReplica = UInt32(try reader.readVarint(max: replicaCount - 1, "run left replica"))
                    let leftCounter = counter &- UInt64(bitPattern: try reader.readSigned("run left counter"))
                    guard leftCounter <= ItemID.maxCounter else { throw FormatError(.invalid, "run left origin out of range") }
                    left = ItemID(replica: leftReplica, counter: leftCounter)
                }
                var right = ItemID.none
                if head & RunBit.rightNone == 0 && head & RunBit.rightNext == 0 {
                    let rightReplica = UInt32(try reader.readVarint(max: replicaCount - 1, "run right replica"))
                    let rightCounter = counter &+ UInt64(bitPattern: try reader.readSigned("run right counter"))
                    guard rightCounter <= ItemID.maxCounter else { throw FormatError(.invalid, "run right origin out of range") }
                    right = ItemID(replica: rightReplica, counter: rightCounter)
                }
                run = SequenceRun(id: id, originLeft: left, originRight: right, length: Int32(length), isDeleted: deleted)
            }
            if let pending = fixNext {
                runs[pending].originRight = run.id
                fixNext = nil
            }
            if head & RunBit.rightNext != 0 && head & RunBit.continues == 0 { fixNext = runs.count }
            runs.append(run)
        }
        guard fixNext == nil else { throw FormatError(.invalid, "last run's right origin is the next run") }
        return runs
    }
}
