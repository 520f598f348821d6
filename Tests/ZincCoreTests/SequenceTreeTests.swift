import Testing
@testable import ZincCore

/// An operation one replica made on its own sequence, as it would travel to the others.
enum SequenceOp {
    case insert(SequenceRun, [UInt32])
    case delete(ItemSpan)
}

/// One replica of a bare sequence: its tree, what it has seen, what it made.
struct SequenceReplica {
    let replica: UInt32
    var tree = SequenceTree()
    var nextCounter: UInt64 = 0
    var seen: [UInt32: UInt64] = [:]
    var reference = ReferenceSequence()
    /// Keep the O(n²) reference model in step (for the concurrent tests only).
    var checksReference = true

    init(replica: UInt32, checksReference: Bool = true) {
        self.replica = replica
        self.checksReference = checksReference
    }

    /// True if this replica made `op` or already applied it.
    func hasApplied(_ op: SequenceOp) -> Bool {
        switch op {
        case .insert(let run, _): return (seen[run.id.replica] ?? 0) > run.id.counter
        case .delete: return false
        }
    }

    static func precedes(_ a: UInt32, _ b: UInt32) -> Bool { a < b }

    mutating func insert(_ values: [UInt32], at position: Int) -> SequenceOp {
        let id = ItemID(replica: replica, counter: nextCounter)
        let origins = tree.insertLocal(values, at: position, id: id)
        nextCounter += UInt64(values.count)
        let run = SequenceRun(id: id, originLeft: origins.left, originRight: origins.right, length: Int32(values.count), isDeleted: false)
        applyToReference(.insert(run, values))
        seen[replica] = nextCounter
        return .insert(run, values)
    }

    mutating func delete(_ range: Range<Int>) -> [SequenceOp] {
        let spans = tree.spans(inVisible: range)
        var missing = 0
        var ops: [SequenceOp] = []
        for span in spans {
            _ = tree.delete(span, deleter: ItemID(replica: 0, counter: 0), missing: &missing)
            applyToReference(.delete(span))
            ops.append(.delete(span))
        }
        #expect(missing == 0)
        return ops
    }

    /// True if every item `op` refers to is already here.
    func canApply(_ op: SequenceOp) -> Bool {
        func has(_ id: ItemID) -> Bool { id.isNone || (seen[id.replica] ?? 0) > id.counter }
        switch op {
        case .insert(let run, _):
            return (seen[run.id.replica] ?? 0) == run.id.counter && has(run.originLeft) && has(run.originRight)
        case .delete(let span):
            return has(span.start) && has(span.start.advanced(by: span.length - 1))
        }
    }

    mutating func apply(_ op: SequenceOp) throws {
        switch op {
        case .insert(let run, let values):
            try tree.integrate(run, content: values, precedes: Self.precedes)
            seen[run.id.replica] = run.id.counter + UInt64(run.length)
        case .delete(let span):
            var missing = 0
            _ = tree.delete(span, deleter: ItemID(replica: 0, counter: 0), missing: &missing)
            #expect(missing == 0)
        }
        applyToReference(op)
    }

    mutating func applyToReference(_ op: SequenceOp) {
        guard checksReference else { return }
        switch op {
        case .insert(let run, let values):
            for k in 0..<run.count {
                reference.integrate(
                    .init(id: run.id.advanced(by: k), originLeft: run.originLeft(at: k), originRight: run.originRight, isDeleted: false, value: values[k]),
                    precedes: Self.precedes)
            }
        case .delete(let span):
            for k in 0..<span.length { reference.delete(span.start.advanced(by: k)) }
        }
    }
}

@Suite("Sequence B-tree")
struct SequenceTreeTests {
    @Test("local edits match a plain array, across many leaf splits")
    func localEditsMatchArray() {
        for seed in testSeeds(40) {
            var random = SeededRandom(seed: seed)
            var replica = SequenceReplica(replica: 0, checksReference: false)
            var model: [UInt32] = []
            for _ in 0..<1500 {
                if model.isEmpty || random.chance(0.65) {
                    let position = random.int(0..<(model.count + 1))
                    let count = random.chance(0.9) ? 1 : random.int(1..<300)
                    let values = (0..<count).map { _ in UInt32(random.int(97..<123)) }
                    _ = replica.insert(values, at: position)
                    model.insert(contentsOf: values, at: position)
                } else {
                    let position = random.int(0..<model.count)
                    let count = min(model.count - position, random.chance(0.8) ? 1 : random.int(1..<80))
                    _ = replica.delete(position..<position + count)
                    model.removeSubrange(position..<position + count)
                }
            }
            replica.tree.checkInvariants()
            #expect(replica.tree.elements() == model, "seed \(seed)")
            // Reading a middle slice agrees too.
            if model.count > 10 {
                #expect(replica.tree.elements(in: 3..<model.count - 3) == Array(model[3..<model.count - 3]))
            }
        }
    }

    @Test("a sequence rewritten in place keeps bounded structure: tombstone-only leaves fold into their siblings, here and at a remote replica")
    func rewrittenInPlaceStaysSmall() throws {
        // A log window: each rewrite inserts 1 KiB before the old text and deletes the old text.
        // Before leaves merged, every rewrite left one or two tombstone-only leaves behind.
        let rewrites = 2_000
        var local = SequenceReplica(replica: 0, checksReference: false)
        var remote = SequenceReplica(replica: 1, checksReference: false)
        var model: [UInt32] = []
        for rewrite in 0..<rewrites {
            let values = (0..<1_024).map { UInt32(97 + ($0 + rewrite) % 26) }
            var ops = [local.insert(values, at: 0)]
            ops += local.delete(values.count..<values.count + model.count)
            model = values
            for op in ops { try remote.apply(op) }
        }
        for replica in [local, remote] {
            replica.tree.checkInvariants()
            #expect(replica.tree.elements() == model)
            let live = replica.tree.leaves.count - replica.tree.freeLeaves.count
            // 2,000 tombstone runs pack at up to 32 per leaf, plus the visible text's leaves.
            #expect(live <= rewrites / 16 + 8, "\(live) leaves in use for \(rewrites) rewrites")
            #expect(replica.tree.leaves.count <= rewrites / 8 + 16, "freed leaves are reused: \(replica.tree.leaves.count) allocated")
        }
    }

    @Test("long inserts and deletes that fill, empty and fold leaves keep every invariant and match a plain array")
    func foldingLeavesUnderRandomEdits() {
        for seed in testSeeds(12, base: 7000) {
            var random = SeededRandom(seed: seed)
            var replica = SequenceReplica(replica: 0, checksReference: false)
            var model: [UInt32] = []
            for step in 0..<2_000 {
                // Bursts of long inserts and long deletes: leaves fill, empty and fold often.
                if model.count < 200 || random.chance(0.5) {
                    let position = random.int(0..<(model.count + 1))
                    let values = (0..<random.int(1..<700)).map { _ in UInt32(random.int(97..<123)) }
                    _ = replica.insert(values, at: position)
                    model.insert(contentsOf: values, at: position)
                } else {
                    let position = random.int(0..<model.count)
                    let count = min(model.count - position, random.int(1..<900))
                    _ = replica.delete(position..<position + count)
                    model.removeSubrange(position..<position + count)
                }
                if step % 250 == 0 { replica.tree.checkInvariants() }
            }
            replica.tree.checkInvariants()
            #expect(replica.tree.elements() == model, "seed \(seed)")
        }
    }

    @Test("typing runs are stored run-length encoded")
    func runLengthEncoding() {
        var replica = SequenceReplica(replica: 0)
        for (i, scalar) in "hello world".unicodeScalars.enumerated() {
            _ = replica.insert([scalar.value], at: i)
        }
        #expect(replica.tree.runCount == 1)
        _ = replica.delete(10..<11)
        _ = replica.delete(9..<10)
        #expect(replica.tree.runCount == 2, "two backspaces fold into one tombstone run")
        _ = replica.insert([33], at: 9)
        #expect(replica.tree.elements() == Array("hello wor!".unicodeScalars.map(\.value)))
        replica.tree.checkInvariants()
    }

    @Test("concurrent edits converge and match the reference CRDT item for item")
    func concurrentConvergence() throws {
        for seed in testSeeds(150, base: 1000) {
            var random = SeededRandom(seed: seed)
            let replicaCount = random.int(2..<5)
            var replicas = (0..<replicaCount).map { SequenceReplica(replica: UInt32($0)) }
            var log: [SequenceOp] = []
            var delivered = Array(repeating: 0, count: replicaCount)
            var pending: [[SequenceOp]] = Array(repeating: [], count: replicaCount)
            for _ in 0..<random.int(20..<120) {
                let r = random.int(0..<replicaCount)
                // Deliver a random slice of the shared log to this replica first.
                let target = random.int(delivered[r]..<(log.count + 1))
                pending[r].append(contentsOf: log[delivered[r]..<target].filter { !replicas[r].hasApplied($0) })
                delivered[r] = target
                try deliverReady(&replicas[r], &pending[r], random: &random)
                let length = replicas[r].tree.visibleCount
                if length == 0 || random.chance(0.7) {
                    let count = random.chance(0.7) ? 1 : random.int(1..<6)
                    let values = (0..<count).map { _ in UInt32(65 + r * 8 + random.int(0..<8)) }
                    log.append(replicas[r].insert(values, at: random.int(0..<(length + 1))))
                } else {
                    let position = random.int(0..<length)
                    let count = min(length - position, random.int(1..<4))
                    log.append(contentsOf: replicas[r].delete(position..<position + count))
                }
            }
            for r in 0..<replicaCount {
                pending[r].append(contentsOf: log[delivered[r]...].filter { !replicas[r].hasApplied($0) })
                try deliverReady(&replicas[r], &pending[r], random: &random)
                #expect(pending[r].isEmpty, "seed \(seed): undeliverable ops")
                replicas[r].tree.checkInvariants()
            }
            let expected = replicas[0].reference.visible
            for replica in replicas {
                #expect(replica.tree.elements() == expected, "seed \(seed): replica \(replica.replica) diverged")
                #expect(replica.reference.visible == expected, "seed \(seed): reference diverged")
            }
        }
    }

    /// Applies pending ops in random order whenever their dependencies are present.
    func deliverReady(_ replica: inout SequenceReplica, _ pending: inout [SequenceOp], random: inout SeededRandom) throws {
        pending.shuffle(using: &random)
        var progress = true
        while progress {
            progress = false
            var i = 0
            while i < pending.count {
                if replica.canApply(pending[i]) {
                    try replica.apply(pending.remove(at: i))
                    progress = true
                } else {
                    i += 1
                }
            }
        }
    }

    @Test("concurrent typing at one position never interleaves, forwards or backwards")
    func noInterleaving() throws {
        for backwards in [false, true] {
            var a = SequenceReplica(replica: 1)
            var b = SequenceReplica(replica: 2)
            var opsA: [SequenceOp] = [], opsB: [SequenceOp] = []
            let wordA = Array("alpha".unicodeScalars.map(\.value))
            let wordB = Array("BRAVO".unicodeScalars.map(\.value))
            for i in 0..<5 {
                // Forwards: each key after the last; backwards: each key at the start.
                let indexA = backwards ? 0 : i
                let indexB = backwards ? 0 : i
                opsA.append(a.insert([backwards ? wordA[4 - i] : wordA[i]], at: indexA))
                opsB.append(b.insert([backwards ? wordB[4 - i] : wordB[i]], at: indexB))
            }
            for op in opsB { try a.apply(op) }
            for op in opsA { try b.apply(op) }
            let merged = String(String.UnicodeScalarView(a.tree.elements().compactMap(Unicode.Scalar.init)))
            #expect(a.tree.elements() == b.tree.elements())
            #expect(merged == "alphaBRAVO" || merged == "BRAVOalpha", "backwards: \(backwards): \(merged)")
        }
    }

    @Test("an origin the sequence lacks is reported, not trusted")
    func unknownOrigin() {
        var tree = SequenceTree()
        let bogus = SequenceRun(
            id: ItemID(replica: 1, counter: 0), originLeft: ItemID(replica: 7, counter: 3),
            originRight: .none, length: 1, isDeleted: false)
        #expect(throws: SequenceTree.IntegrationError.unknownOrigin(ItemID(replica: 7, counter: 3))) {
            try tree.integrate(bogus, content: [65], precedes: <)
        }
        #expect(tree.visibleCount == 0)
    }

    @Test("UTF-16 measures convert positions both ways")
    func measures() {
        var replica = SequenceReplica(replica: 0)
        let text = "a😀b中🇫🇷c"
        _ = replica.insert(text.unicodeScalars.map(\.value), at: 0)
        #expect(replica.tree.measureCount == text.utf16.count)
        let scalars = Array(text.unicodeScalars)
        for position in 0...scalars.count {
            let units = String(String.UnicodeScalarView(scalars[0..<position])).utf16.count
            #expect(replica.tree.measure(before: position) == units)
            #expect(replica.tree.visiblePosition(atMeasure: units) == position)
        }
    }
}

@Suite("Compact scalars")
struct CompactScalarsTests {
    @Test("one byte per element until one is 256 or more; the same elements either way, under appends and inserts anywhere")
    func narrowThenWide() {
        var random = SeededRandom(seed: 11)
        for _ in 0..<200 {
            var compact = CompactScalars()
            var model: [UInt32] = []
            for _ in 0..<random.int(1..<20) {
                let wide = random.chance(0.1)
                let piece = (0..<random.int(0..<40)).map { _ in UInt32(wide ? random.int(0x100..<0x1_0000) : random.int(0..<0x100)) }
                if random.chance(0.5) {
                    compact.append(contentsOf: piece)
                    model.append(contentsOf: piece)
                } else {
                    let position = random.chance(0.5) ? 0 : random.int(0..<(model.count + 1))
                    compact.insert(contentsOf: piece, at: position)
                    model.insert(contentsOf: piece, at: position)
                }
                #expect(Array(compact) == model)
                #expect(compact.isNarrow == model.allSatisfy { $0 < 0x100 })
            }
            #expect(compact == CompactScalars(model))
            if model.count > 2 { #expect(Array(CompactScalars(compact[1..<model.count - 1])) == Array(model[1..<model.count - 1])) }
        }
    }
}

@Suite("UTF-8 decoding")
struct UTF8DecodingTests {
    @Test("ASCII runs and multi-byte scalars decode as Swift decodes them; a damaged byte anywhere is refused", arguments: testSeeds(40))
    func matchesSwift(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let pieces = ["plain ascii ", "é", "中文", "😀", "z", "\n", "Ω≈ç", String(repeating: "a", count: 70)]
        let text = (0..<random.int(0..<60)).map { _ in pieces[random.int(0..<pieces.count)] }.joined()
        let bytes = Array(text.utf8)
        let decoded = try bytes.withUnsafeBytes { buffer throws(FormatError) in try decodeUTF8Scalars(buffer, context: "test") }
        #expect(decoded == text.unicodeScalars.map(\.value), "seed \(seed)")
        guard let lead = bytes.indices.filter({ bytes[$0] >= 0xC0 }).randomElement(using: &random) else { return }
        var damaged = bytes
        damaged[lead] = 0xFF
        #expect(throws: FormatError.self) { _ = try damaged.withUnsafeBytes { buffer throws(FormatError) in try decodeUTF8Scalars(buffer, context: "test") } }
        if lead + 1 < damaged.count {
            var truncated = bytes
            truncated[lead + 1] = 0x41
            #expect(throws: FormatError.self) { _ = try truncated.withUnsafeBytes { buffer throws(FormatError) in try decodeUTF8Scalars(buffer, context: "test") } }
        }
    }
}
