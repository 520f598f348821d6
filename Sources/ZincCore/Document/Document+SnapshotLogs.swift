/// The replica logs of a snapshot (docs/protocol.md, "Snapshot encoding"): writing them,
/// finding where each ends without decoding it, and decoding one with every check.
extension Document {
    static func encodeLog(_ log: ReplicaLog, owner: UInt32, into writer: inout ByteWriter) {
        writer.write(varint: UInt64(log.runs.count))
        var previous: LogRun?
        for run in log.runs {
            var head = run.kind.rawValue
            let sameContainer = previous?.container == run.container
            let continuesLamport = previous.map { $0.lamport &+ UInt64($0.length) == run.lamport } ?? false
            if sameContainer { head |= 1 << 3 }
            if continuesLamport { head |= 1 << 4 }
            writer.write(head)
            writer.write(varint: UInt64(run.length))
            if !sameContainer { writer.write(varint: UInt64(run.container)) }
            if !continuesLamport { writer.write(signed: Int64(bitPattern: run.lamport &- run.counter)) }
            previous = run
        }
        // Each span's start is written relative to the counter of the delete that removed its
        // first item: people mostly delete what they just typed, so the delta is small.
        writer.write(varint: UInt64(log.deleteSpans.count))
        var opCounters = log.runs.lazy.filter { $0.kind == .delete }.makeIterator()
        var run = opCounters.next()
        var opCounter = run?.counter ?? 0
        for span in log.deleteSpans {
            let same = span.start.replica == owner
            writer.write(varint: UInt64(span.length) << 2 | (span.descending ? 2 : 0) | (same ? 1 : 0))
            if !same { writer.write(varint: UInt64(span.start.replica)) }
            writer.write(signed: Int64(bitPattern: opCounter &- span.start.counter))
            opCounter += UInt64(span.length)
            if let current = run, opCounter >= current.endCounter {
                run = opCounters.next()
                opCounter = run?.counter ?? opCounter
            }
        }
        Self.writeBlock(log.transactionSizes, into: &writer)
        writer.write(varint: UInt64(log.payloads.count))
        for payload in log.payloads {
            switch payload {
            case .mapSet(let key, let value):
                writer.write(0)
                writer.write(string: key)
                value.encode(into: &writer)
            case .registerSet(let value, let supersedes):
                writer.write(1)
                value.encode(into: &writer)
                encodeItems(supersedes, into: &writer)
            case .counterAdd(let delta):
                writer.write(2)
                writer.write(signed: delta)
            case .setAdd(let value):
                writer.write(3)
                value.encode(into: &writer)
            case .setRemove(let value, let observed):
                writer.write(4)
                value.encode(into: &writer)
                encodeItems(observed, into: &writer)
            }
        }
    }

    private static func encodeItems(_ items: [ItemID], into writer: inout ByteWriter) {
        writer.write(varint: UInt64(items.count))
        for item in items {
            writer.write(varint: UInt64(item.replica))
            writer.write(varint: item.counter)
        }
    }

    /// Reads past one replica's log, checking only its framing (counts, varints, the
    /// transaction sizes' block length, each payload's value), and returns its bytes. Its
    /// meaning is checked by ``decodeLog`` when the log is first read (``DeferredLogs``).
    static func skipLog(_ reader: inout ByteReader) throws(FormatError) -> [UInt8] {
        let start = reader.offset
        let runCount = try reader.readCount("log runs", minimumBytesEach: 2)
        for _ in 0..<runCount {
            let head = try reader.readByte("log run head")
            _ = try reader.readVarint("log run length")
            if head & (1 << 3) == 0 { _ = try reader.readVarint("log run container") }
            if head & (1 << 4) == 0 { _ = try reader.readSigned("log run lamport") }
        }
        let spanCount = try reader.readCount("delete spans", minimumBytesEach: 2)
        for _ in 0..<spanCount {
            let raw = try reader.readVarint("delete span")
            if raw & 1 == 0 { _ = try reader.readVarint("delete span replica") }
            _ = try reader.readSigned("delete span start")
        }
        try skipBlock(&reader, "transaction sizes")
        let payloadCount = try reader.readCount("payloads", minimumBytesEach: 2)
        func skipItems() throws(FormatError) {
            let count = try reader.readCount("payload references", minimumBytesEach: 2)
            for _ in 0..<count {
                _ = try reader.readVarint("reference replica")
                _ = try reader.readVarint("reference counter")
            }
        }
        for _ in 0..<payloadCount {
            switch try reader.readByte("payload tag") {
            case 0:
                _ = try reader.readString("payload key")
                _ = try MapValue(decoding: &reader)
            case 1:
                _ = try Value(decoding: &reader)
                try skipItems()
            case 2: _ = try reader.readSigned("payload delta")
            case 3: _ = try Value(decoding: &reader)
            case 4:
                _ = try Value(decoding: &reader)
                try skipItems()
            case let tag: throw FormatError(.invalid, "payload tag \(tag)")
            }
        }
        return reader.bytes(from: start)
    }

    static func decodeLog(
        _ reader: inout ByteReader, owner: UInt32, base: UInt64, legacy: Bool, expectedOperations: UInt64, containerTypes: [ContainerType], replicaCount: Int
    ) throws(FormatError) -> ReplicaLog {
        var log = ReplicaLog()
        log.base = base
        let runCount = try reader.readCount("log runs", minimumBytesEach: 2)
        log.runs.reserveCapacity(runCount)
        var counter: UInt64 = base
        var previous: LogRun?
        var deleteUnits = 0
        var payloadUnits = 0
        for _ in 0..<runCount {
            let head = try reader.readByte("log run head")
            guard let kind = OpKind(rawValue: head & 0x07), head & 0xE0 == 0 else { throw FormatError(.invalid, "log run head \(head)") }
            let length = try reader.readVarint(max: Int(UInt32.max), "log run length")
            guard length > 0 else { throw FormatError(.invalid, "empty log run") }
            let container: UInt32
            if head & (1 << 3) != 0 {
                guard let previous else { throw FormatError(.invalid, "first log run has no previous container") }
                container = previous.container
            } else {
                container = UInt32(try reader.readVarint(max: containerTypes.count - 1, "log run container"))
            }
            let type = containerTypes[Int(container)]
            let fits: Bool
            switch kind {
            case .insert, .delete: fits = type.isSequence
            case .mapSet: fits = type == .map
            case .registerSet: fits = type == .register || type == .multiValueRegister
            case .counterAdd: fits = type == .counter
            case .setAdd, .setRemove: fits = type == .set
            }
            guard fits else { throw FormatError(.invalid, "log run of kind \(kind) on a \(type)") }
            let lamport: UInt64
            if head & (1 << 4) != 0 {
                guard let previous else { throw FormatError(.invalid, "first log run continues no Lamport time") }
                lamport = previous.lamport &+ UInt64(previous.length)
            } else {
                lamport = counter &+ UInt64(bitPattern: try reader.readSigned("log run lamport"))
            }
            guard lamport < LamportClock.ceiling else { throw FormatError(.invalid, "log run Lamport time \(lamport) beyond 2^53") }
            var payload: UInt32 = 0
            switch kind {
            case .insert: break
            case .delete:
                payload = UInt32(truncatingIfNeeded: deleteUnits)
                deleteUnits += length
            default:
                payload = UInt32(truncatingIfNeeded: payloadUnits)
                payloadUnits += length
            }
            let run = LogRun(counter: counter, lamport: lamport, length: UInt32(length), container: container, kind: kind, payload: payload)
            log.runs.append(run)
            previous = run
            counter += UInt64(length)
            guard counter <= expectedOperations else { throw FormatError(.invalid, "log holds more operations than the version vector") }
        }
        guard counter == expectedOperations else { throw FormatError(.invalid, "log holds operations up to \(counter), version vector says \(expectedOperations)") }
        // Delete spans: their lengths must add up to the delete runs, and each run's spans must
        // start at a span boundary. Runs and spans are both in counter order: walk them together.
        let spanCount = try reader.readCount("delete spans", minimumBytesEach: 2)
        log.deleteSpans.reserveCapacity(spanCount)
        var spanUnits = 0
        let deleteRuns = log.runs.filter { $0.kind == .delete }
        var deleteRun = 0
        var opCounter = deleteRuns.first?.counter ?? 0
        for _ in 0..<spanCount {
            let raw = try reader.readVarint("delete span")
            let length = Int(clamping: raw >> 2)
            guard length > 0 else { throw FormatError(.invalid, "empty delete span") }
            // Bounding the span by the delete units still unclaimed keeps every sum below in range.
            guard length <= deleteUnits - spanUnits else { throw FormatError(.invalid, "delete spans exceed the delete runs") }
            let replica = raw & 1 != 0 ? owner : UInt32(try reader.readVarint(max: replicaCount - 1, "delete span replica"))
            let start = opCounter &- UInt64(bitPattern: try reader.readSigned("delete span start"))
            opCounter &+= UInt64(length)
            if deleteRun < deleteRuns.count, opCounter >= deleteRuns[deleteRun].endCounter {
                deleteRun += 1
                if deleteRun < deleteRuns.count { opCounter = deleteRuns[deleteRun].counter }
            }
            guard start <= ItemID.maxCounter, raw & 2 == 0 || start >= UInt64(length - 1), raw & 2 != 0 || UInt64(length) <= ItemID.maxCounter && start <= ItemID.maxCounter - UInt64(length) else {
                throw FormatError(.invalid, "delete span out of range")
            }
            log.deleteSpans.append(DeleteSpan(start: ItemID(replica: replica, counter: start), length: Int32(clamping: length), descending: raw & 2 != 0))
            spanUnits += length
        }
        guard spanUnits == deleteUnits else { throw FormatError(.invalid, "delete spans cover \(spanUnits) items, delete runs \(deleteUnits)") }
        var spanIndex = 0
        var unitsBeforeSpan = 0
        for index in log.runs.indices where log.runs[index].kind == .delete {
            let runStart = Int(log.runs[index].payload)
            while spanIndex < log.deleteSpans.count && unitsBeforeSpan < runStart {
                unitsBeforeSpan += Int(log.deleteSpans[spanIndex].length)
                spanIndex += 1
            }
            guard unitsBeforeSpan == runStart else { throw FormatError(.invalid, "a delete run starts inside a span") }
            log.runs[index].payload = UInt32(spanIndex)
        }
        if !legacy {
            log.transactionSizes = try readBlock(&reader, "transaction sizes")
            guard let last = log.checkedLastTransactionEnd(within: expectedOperations) else {
                throw FormatError(.invalid, "transaction sizes beyond the log")
            }
            log.lastTransactionEnd = log.transactionSizes.isEmpty ? 0 : last
        }
        let payloadCount = try reader.readCount("payloads", minimumBytesEach: 2)
        guard payloadCount == payloadUnits else { throw FormatError(.invalid, "\(payloadCount) payloads for \(payloadUnits) operations") }
        func items() throws(FormatError) -> [ItemID] {
            let count = try reader.readCount("payload references", minimumBytesEach: 2)
            var result: [ItemID] = []
            for _ in 0..<count {
                let replica = try reader.readVarint(max: replicaCount - 1, "reference replica")
                let counter = try reader.readVarint("reference counter")
                guard counter <= ItemID.maxCounter else { throw FormatError(.invalid, "reference out of range") }
                result.append(ItemID(replica: UInt32(replica), counter: counter))
            }
            return result
        }
        for _ in 0..<payloadCount {
            switch try reader.readByte("payload tag") {
            case 0: log.payloads.append(.mapSet(key: try reader.readString("payload key"), value: try MapValue(decoding: &reader)))
            case 1: log.payloads.append(.registerSet(value: try Value(decoding: &reader), supersedes: try items()))
            case 2: log.payloads.append(.counterAdd(try reader.readSigned("payload delta")))
            case 3: log.payloads.append(.setAdd(try Value(decoding: &reader)))
            case 4: log.payloads.append(.setRemove(try Value(decoding: &reader), observed: try items()))
            case let tag: throw FormatError(.invalid, "payload tag \(tag)")
            }
        }
        // Each payload run must meet payloads of its own kind.
        for run in log.runs where run.kind != .insert && run.kind != .delete {
            for offset in 0..<Int(run.length) {
                let matches: Bool
                switch (run.kind, log.payloads[Int(run.payload) + offset]) {
                case (.mapSet, .mapSet), (.registerSet, .registerSet), (.counterAdd, .counterAdd), (.setAdd, .setAdd), (.setRemove, .setRemove): matches = true
                default: matches = false
                }
                guard matches else { throw FormatError(.invalid, "payload does not match its \(run.kind) run") }
            }
        }
        return log
    }
}

extension Document {
    /// Each counter's per-replica sums, from the logs (for version-1 snapshots, which kept
    /// only the total).
    mutating func rebuildCounterContributions() {
        var sums: [UInt32: [UInt32: Int64]] = [:]
        for (replica, log) in logs.enumerated() {
            for run in log.runs where run.kind == .counterAdd {
                for offset in 0..<Int(run.length) {
                    if case .counterAdd(let delta) = log.payloads[Int(run.payload) + offset] {
                        sums[run.container, default: [:]][UInt32(replica), default: 0] &+= delta
                    }
                }
            }
        }
        for (container, contributions) in sums {
            counters[slot(of: container)] = CounterState(contributions: contributions)
        }
    }
}
