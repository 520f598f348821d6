import Foundation
import Testing
@testable import ZincCore

/// Exact past states: every version a replica had can be rebuilt, and fragments bounded by a
/// version carry exactly what it held.
@Suite("History and time travel")
struct HistoryTests {
    @Test("an insert and its later delete: a replica brought to the version between them has the insert")
    func boundedFragmentBetweenInsertAndDelete() throws {
        var a = Document(replica: ReplicaID(deterministicFrom: "a"))
        try a.transact { try $0.insert("x-y", at: 0) }
        let between = a.versionVector
        try a.transact { try $0.delete(1..<2) }
        var b = Document(replica: ReplicaID(deterministicFrom: "b"))
        let (fragment, complete) = a.fragment(since: VersionVector(), upTo: between)
        #expect(complete)
        try b.apply(fragment, trusting: nil)
        #expect(b.text() == "x-y" && b.versionVector == between)
        try b.apply(a.fragment(since: b.versionVector, upTo: a.versionVector).fragment, trusting: nil)
        #expect(b.text() == "xy")
        #expect(try a.at(between).text() == "x-y")
    }

    @Test("every version a replica had is rebuilt exactly, in random multi-replica histories", arguments: testSeeds(150))
    func pastStatesAreExact(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        var replicas = (0..<3).map { Document(replica: ReplicaID(deterministicFrom: "replica-\($0)-\(seed)")) }
        var seen: [[(VersionVector, String)]] = Array(repeating: [], count: replicas.count)
        for _ in 0..<random.int(10..<60) {
            let index = random.int(0..<replicas.count)
            switch random.int(0..<10) {
            case 0, 1:
                // Partial sync: bring this replica to a version another one had.
                let other = random.int(0..<replicas.count)
                guard other != index, let target = seen[other].randomElement(using: &random)?.0,
                      replicas[index].versionVector.compare(target) != .after else { continue }
                let (fragment, _) = replicas[other].fragment(since: replicas[index].versionVector, upTo: target.merging(replicas[index].versionVector).restricted(to: replicas[other].versionVector))
                try replicas[index].apply(fragment, trusting: nil)
            case 2:
                try replicas[index].merge(replicas[random.int(0..<replicas.count)])
            default:
                replicas[index].transact { document in
                    for _ in 0..<random.int(1..<4) { RandomEditing.edit(&document, choice: random.int(0..<15), random: &random) }
                }
            }
            guard replicas[index].pendingOperationCount == 0 else { continue }
            seen[index].append((replicas[index].versionVector, replicas[index].canonicalContent()))
        }
        for (index, replica) in replicas.enumerated() {
            for (version, content) in seen[index] {
                let past = try replica.at(version)
                #expect(past.canonicalContent() == content, "seed \(seed): replica \(index) at \(version)")
            }
        }
        // A snapshot keeps what is needed: the reloaded replica rebuilds the same versions.
        let reloaded = try Document(snapshot: replicas[0].encodedSnapshot(), replica: replicas[0].replica)
        for (version, content) in seen[0] { #expect(try reloaded.at(version).canonicalContent() == content) }
    }

    @Test("a past version is read-only")
    func pastVersionsAreReadOnly() throws {
        var document = Document(replica: ReplicaID(deterministicFrom: "ro"))
        try document.transact { try $0.insert("abc", at: 0) }
        var past = try document.at(document.versionVector)
        let error = #expect(throws: DocumentError.self) { try past.insert("x", at: 0) }
        #expect(error?.reason == .readOnly)
        #expect(throws: DocumentError.self) { try past.merge(document) }
        #expect(throws: DocumentError.self) { _ = try document.at(VersionVector([ReplicaID(deterministicFrom: "stranger"): 1])) }
    }

    @Test("history lists each transaction with a version to travel to; changes between versions rebuild the later text")
    func historyAndChanges() throws {
        var a = Document(replica: ReplicaID(deterministicFrom: "history-a"))
        var b = Document(replica: ReplicaID(deterministicFrom: "history-b"))
        try a.transact { try $0.insert("Hello", at: 0) }
        try b.merge(a)
        try b.transact { try $0.insert(" world", at: 5) }
        try a.merge(b)
        try a.transact { try $0.delete(0..<1); try $0.insert("J", at: 0) }
        try a.transact { try $0.insert("!", at: 11) }
        let entries = a.history()
        #expect(entries.count == 4)
        #expect(entries.map(\.author) == [a.replica, b.replica, a.replica, a.replica])
        #expect(try entries.map { try a.at($0.version).text() } == ["Hello", "Hello world", "Jello world", "Jello world!"])
        #expect(entries.last?.version == a.versionVector)
        let changes = try a.changes(from: entries[0].version, to: entries[2].version)
        var text = Array("Hello".unicodeScalars)
        for change in changes {
            switch change {
            case .textInserted(_, let position, let inserted): text.insert(contentsOf: inserted.unicodeScalars, at: position)
            case .textDeleted(_, let position, let length): text.removeSubrange(position..<position + length)
            default: Issue.record("unexpected change \(change)")
            }
        }
        #expect(String(String.UnicodeScalarView(text)) == "Jello world")
    }

    @Test("bookmarks name versions, replicate and survive a snapshot")
    func bookmarks() throws {
        var a = Document(replica: ReplicaID(deterministicFrom: "bookmark-a"))
        try a.transact { try $0.insert("draft", at: 0) }
        let v1 = a.versionVector
        try a.bookmark("v1")
        try a.transact { try $0.replace(0..<5, with: "final") }
        var b = Document(replica: ReplicaID(deterministicFrom: "bookmark-b"))
        try b.merge(a)
        #expect(b.bookmarks["v1"] == v1)
        #expect(try b.at(v1).text() == "draft")
        let reloaded = try Document(snapshot: a.encodedSnapshot(), replica: a.replica)
        #expect(reloaded.bookmarks["v1"] == v1)
        #expect(try reloaded.at(v1).text() == "draft")
    }

    @Test("a version-1 snapshot (stores written before history was kept) still loads")
    func legacySnapshot() throws {
        let bytes = try #require(Data(base64Encoded: "Wk5DUwEBAAAAAAAAAAEAAAAAAAAAAhsbBgEAAwAGBXZvdGVzBAZzdGF0dXMHBHRhZ3MCBWl0ZW1zA6gBAADDAYIGFgBoZSB3w7ZybGQg8J+MjSDkuJbnlYwgAgVjb3VudAADVBYAFQV0aXRsZQAFB01pbnV0ZXMVABQGAQUCdjEYABcBBQN0YWcBABoBqAEAMAAFAWEAAgcAEQACGQMSAgEUAQITAQMQAgUVAQQBDR4FAAV0aXRsZQAFB01pbnV0ZXMABWNvdW50AANUAgYBBQJ2MQADBQN0YWc="))
        let author = ReplicaID(high: 1, low: 2)
        var document = try Document(snapshot: Array(bytes), replica: author)
        #expect(document.text() == "he wörld 🌍 世界 ")
        #expect(document.value(of: CounterRef("votes")) == 3)
        #expect(document.value(forKey: "title", in: MapRef("")) == .value("Minutes"))
        #expect(document.elements(of: SetRef("tags")) == ["tag"])
        try document.increment(CounterRef("votes"), by: 2)
        let again = try Document(snapshot: document.encodedSnapshot(), replica: author)
        #expect(again.canonicalContent() == document.canonicalContent() && again.value(of: CounterRef("votes")) == 5)
    }
}

extension VersionVector {
    /// Each entry capped at `other`'s.
    func restricted(to other: VersionVector) -> VersionVector {
        VersionVector(counters.mapValues { _ in 0 }.merging(counters) { _, new in new }.reduce(into: [:]) { result, entry in
            result[entry.key] = min(entry.value, other[entry.key])
        })
    }
}

/// Trimming history, and merging whole states for replicas below a trimmed floor.
@Suite("Trimming and state merges")
struct TrimmingTests {
    static func pair(seed: UInt64) -> (Document, Document) {
        var random = SeededRandom(seed: seed)
        var a = Document(replica: ReplicaID(deterministicFrom: "trim-a-\(seed)"))
        for _ in 0..<random.int(5..<30) {
            RandomEditing.edit(&a, choice: random.int(0..<1000), random: &random)
            a.commit()
        }
        var b = Document(replica: ReplicaID(deterministicFrom: "trim-b-\(seed)"))
        try? b.merge(a)
        for _ in 0..<random.int(5..<30) {
            RandomEditing.edit(&a, choice: random.int(0..<1000), random: &random)
            a.commit()
            RandomEditing.edit(&b, choice: random.int(0..<1000), random: &random)
            b.commit()
        }
        return (a, b)
    }

    @Test("a state merge gives what an operation merge gives, both ways", arguments: testSeeds(300))
    func stateMergeMatchesOperationMerge(seed: UInt64) throws {
        let (a, b) = Self.pair(seed: seed)
        for (first, second) in [(a, b), (b, a)] {
            var byOperations = first
            try byOperations.merge(second)
            var byState = first
            try byState.mergeState(second)
            #expect(byState.canonicalContent() == byOperations.canonicalContent(), "seed \(seed)")
            #expect(byState.versionVector == byOperations.versionVector)
            for slot in byState.sequences.indices { byState.sequences[slot].checkInvariants() }
            // And it keeps converging with operations afterwards.
            var next = byState
            try next.insert("after", at: 0)
            var peer = byOperations
            try peer.merge(next)
            try next.merge(peer)
            #expect(peer.canonicalContent() == next.canonicalContent())
        }
    }

    @Test("trimming keeps the state and every version from the floor on; a replica below the floor merges a snapshot as a state", arguments: testSeeds(100))
    func trimmingLosesNothing(seed: UInt64) throws {
        var (a, b) = Self.pair(seed: seed)
        var random = SeededRandom(seed: seed &+ 5)
        let floor = a.versionVector
        var versions: [(VersionVector, String)] = []
        for _ in 0..<random.int(3..<15) {
            RandomEditing.edit(&a, choice: random.int(0..<1000), random: &random)
            a.commit()
            versions.append((a.versionVector, a.canonicalContent()))
        }
        let before = a.canonicalContent()
        #expect(try a.trim(below: floor))
        #expect(a.canonicalContent() == before)
        for (version, content) in versions { #expect(try a.at(version).canonicalContent() == content, "seed \(seed)") }
        #expect(throws: DocumentError.self) { _ = try a.at(VersionVector()) }
        // The trimmed document survives a snapshot.
        let reloaded = try Document(snapshot: a.encodedSnapshot(), replica: a.replica)
        #expect(reloaded.canonicalContent() == before && reloaded.historyFloor == a.historyFloor)
        for (version, content) in versions { #expect(try reloaded.at(version).canonicalContent() == content) }
        // b was away: it needs history a no longer has, so it takes a's state.
        if a.lacksHistory(since: b.versionVector) {
            var expected = b
            try expected.merge(Self.pair(seed: seed).0.merging(a))
            try b.mergeState(reloaded)
            #expect(b.canonicalContent() == expected.canonicalContent(), "seed \(seed)")
            // And a gets b's own edits back from b, as operations or as a state.
            if b.lacksHistory(since: a.versionVector) { try a.mergeState(b) } else { try a.merge(b) }
            #expect(a.canonicalContent() == b.canonicalContent())
        }
    }
}

extension TrimmingTests {
    @Test("a floor inside a run of one replica's typing is exact: the run is split")
    func trimSplitsRuns() throws {
        var document = Document(replica: ReplicaID(deterministicFrom: "typist"))
        var versions: [(VersionVector, String)] = []
        for (offset, letter) in "the quick brown fox jumps over the lazy dog".enumerated() {
            try document.transact { try $0.insert(String(letter), at: offset) }
            if offset % 5 == 4 {
                // Retyped: delete runs to split too.
                try document.transact { try $0.delete(offset..<offset + 1) }
                try document.transact { try $0.insert(String(letter), at: offset) }
            }
            versions.append((document.versionVector, document.text()))
        }
        let floor = versions[20].0
        #expect(try document.trim(below: floor))
        #expect(document.historyFloor == floor)
        for (version, text) in versions[20...] { #expect(try document.at(version).text() == text) }
        #expect(throws: DocumentError.self) { _ = try document.at(versions[19].0) }
        let reloaded = try Document(snapshot: document.encodedSnapshot(), replica: document.replica)
        for (version, text) in versions[20...] { #expect(try reloaded.at(version).text() == text) }
    }

    @Test("an item two replicas delete concurrently, one delete below the floor and one above, stays deleted at the floor (trimmed before or after the second delete arrives)",
          arguments: [false, true])
    func concurrentDeletesAcrossTheFloor(secondArrivesFirst: Bool) throws {
        var a = Document(replica: ReplicaID(deterministicFrom: "delete-a"))
        try a.insert("abc", at: 0)
        var b = Document(replica: ReplicaID(deterministicFrom: "delete-b"))
        try b.merge(a)
        try a.delete(1..<2)
        try b.delete(1..<2)
        var observer = Document(replica: ReplicaID(deterministicFrom: "delete-observer"))
        try observer.merge(a)
        let floor = observer.versionVector
        #expect(observer.text() == "ac")
        if secondArrivesFirst {
            try observer.merge(b)
            try observer.trim(below: floor)
        } else {
            try observer.trim(below: floor)
            try observer.merge(b)
        }
        for document in [observer, try Document(snapshot: observer.encodedSnapshot(), replica: observer.replica)] {
            #expect(try document.at(floor).text() == "ac")
            #expect(try document.at(document.versionVector).text() == "ac")
        }
    }

    @Test("a transaction end noted at the history floor records nothing, and the snapshot still loads")
    func transactionEndAtTheFloor() throws {
        var author = Document(replica: ReplicaID(deterministicFrom: "end-author"))
        try author.transact { try $0.insert("x", at: 0) }
        var replica = Document(replica: ReplicaID(deterministicFrom: "end-replica"))
        try replica.merge(author)
        try replica.trim(below: replica.versionVector)
        replica.noteTransactionEnd(of: author.replica)
        let reloaded = try Document(snapshot: replica.encodedSnapshot(), replica: replica.replica)
        #expect(reloaded.text() == "x" && reloaded.history().isEmpty)
    }

    @Test("a full trim keeps the snapshot no bigger than before: the base shares the document's sequences")
    func fullTrimIsSmaller() throws {
        var document = Document(replica: ReplicaID(deterministicFrom: "full-trim"))
        var random = SeededRandom(seed: 99)
        for _ in 0..<2000 { RandomEditing.edit(&document, choice: random.int(0..<15), random: &random); document.commit() }
        let before = document.encodedSnapshot().count
        try document.trim(below: document.versionVector)
        #expect(document.encodedSnapshot().count < before)
    }

    @Test("rebuilding the floor finds a tombstone's revived ranges by binary search: the same first range as a scan", arguments: testSeeds(200))
    func firstRangeEndingAfterACounter(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var ranges: [Range<UInt64>] = []
        var next: UInt64 = 0
        for _ in 0..<random.int(0..<40) {
            let start = next + UInt64(random.int(0..<5))
            let end = start + UInt64(random.int(1..<6))
            ranges.append(start..<end)
            next = end
        }
        for counter in 0...(next + 2) {
            let scanned = ranges.firstIndex { $0.upperBound > counter } ?? ranges.count
            #expect(Document.firstEnding(after: counter, in: ranges) == scanned, "counter \(counter) in \(ranges)")
        }
    }

    @Test("trim after trim at versions replicas had, or at a Lamport cut: floors are exact and later versions rebuild exactly", arguments: testSeeds(100))
    func repeatedTrims(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        var replicas = (0..<3).map { Document(replica: ReplicaID(deterministicFrom: "trims-\($0)-\(seed)")) }
        var seen: [(VersionVector, String)] = []
        for _ in 0..<random.int(20..<80) {
            let index = try Self.randomStep(&replicas, mergeOneIn: 4, random: &random) { $0.int(0..<15) }
            if index == 0 { seen.append((replicas[0].versionVector, replicas[0].canonicalContent())) }
        }
        var document = replicas[0]
        var floor = VersionVector()
        var start = 0
        while start < seen.count {
            let next = random.int(start..<seen.count)
            // Alternately a version this replica had and a Lamport cut somewhat before the end.
            let candidate = random.int(0..<2) == 0 ? seen[next].0 : document.version(keepingLast: UInt64(random.int(0..<20)))
            try document.trim(below: candidate)
            floor = floor.merging(candidate.meeting(document.versionVector))
            #expect(document.historyFloor == floor, "seed \(seed)")
            for (version, content) in seen where version.dominates(floor) {
                #expect(try document.at(version).canonicalContent() == content, "seed \(seed)")
            }
            start = next + 1
        }
        #expect(document.canonicalContent() == replicas[0].canonicalContent())
    }
}

extension TrimmingTests {
    @Test("a floor raised without replay gives the base a replay gives: same state, same items deleted at the floor", arguments: testSeeds(150))
    func floorAdvanceMatchesReplay(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        var replicas = (0..<3).map { Document(replica: ReplicaID(deterministicFrom: "advance-\($0)-\(seed)")) }
        // Mostly texts and lists (the case that needs no replay); now and then a map, which does.
        let choices = [0, 1, 2, 3, 4, 5, 4, 5, 6, 7, 10, 10]
        var document = replicas[0]
        var advanced = 0
        for _ in 0..<random.int(4..<10) {
            for _ in 0..<random.int(5..<30) {
                try Self.randomStep(&replicas, mergeOneIn: 3, random: &random) { random in
                    random.int(0..<40) == 0 ? 8 : choices[random.int(0..<choices.count)]
                }
            }
            try document.merge(replicas[random.int(0..<replicas.count)])
            let candidate = random.int(0..<2) == 0
                ? document.version(keepingLast: UInt64(random.int(0..<30)))
                : replicas[random.int(0..<replicas.count)].versionVector
            let floor = candidate.meeting(document.versionVector).merging(document.historyFloor)
            if let base = try document.advancedHistoryBase(to: floor) {
                advanced += 1
                let replayed = try document.makeHistoryBase(document.replay(upTo: floor), floor: floor)
                #expect(base.deletedAtFloor == replayed.deletedAtFloor, "seed \(seed)")
                let (mine, theirs) = try (Self.state(of: base, for: document), Self.state(of: replayed, for: document))
                #expect(mine.versionVector == floor && theirs.versionVector == floor, "seed \(seed)")
                #expect(mine.canonicalContent() == theirs.canonicalContent(), "seed \(seed)")
                #expect(Set(mine.containerIDs) == Set(theirs.containerIDs), "seed \(seed)")
            }
            try document.trim(below: floor)
        }
        if seed == 1 { #expect(advanced > 0) }
    }

    @Test("a single writer's text trimmed again and again never replays, and every later version still rebuilds")
    func singleWriterTrimsWithoutReplay() throws {
        var document = Document(replica: ReplicaID(deterministicFrom: "single-writer"))
        var random = SeededRandom(seed: 7)
        var seen: [(VersionVector, String)] = []
        for round in 0..<20 {
            for _ in 0..<50 {
                document.transact { RandomEditing.edit(&$0, choice: random.int(0..<6), random: &random) }
                seen.append((document.versionVector, document.text()))
            }
            let floor = document.version(keepingLast: UInt64(random.int(0..<40)))
            guard floor != document.historyFloor else { continue }
            #expect(try document.advancedHistoryBase(to: floor) != nil, "round \(round)")
            try document.trim(below: floor)
            for (version, text) in seen where version.dominates(floor) {
                #expect(try document.at(version).text() == text, "round \(round)")
            }
        }
    }

    @Test("a floor that is not causally closed (a version a peer only claims) is refused, not trimmed at")
    func unclosedFloorIsRefused() throws {
        var a = Document(replica: ReplicaID(deterministicFrom: "unclosed-a"))
        try a.insert("x", at: 0)
        var b = Document(replica: ReplicaID(deterministicFrom: "unclosed-b"))
        try b.merge(a)
        try b.insert("y", at: 1)
        var floor = VersionVector()
        floor[b.replica] = 1
        #expect(try b.advancedHistoryBase(to: floor) == nil)
        #expect(throws: DocumentError.self) { try b.trim(below: floor) }
        #expect(b.historyFloor.isEmpty && b.text() == "xy")
    }

    /// One step of a random multi-replica history: one replica merges another (one time in
    /// `mergeOneIn`) or makes a transaction of 1–3 edits chosen by `choice`. Returns which
    /// replica changed.
    @discardableResult
    static func randomStep(
        _ replicas: inout [Document], mergeOneIn: Int, random: inout SeededRandom, choice: (inout SeededRandom) -> Int
    ) throws -> Int {
        let index = random.int(0..<replicas.count)
        if random.int(0..<mergeOneIn) == 0 {
            try replicas[index].merge(replicas[random.int(0..<replicas.count)])
        } else {
            replicas[index].transact { document in
                for _ in 0..<random.int(1..<4) { RandomEditing.edit(&document, choice: choice(&random), random: &random) }
            }
        }
        return index
    }

    private static func state(of base: HistoryBase, for document: Document) throws -> Document {
        try Document(snapshot: base.state, replica: document.replica, limits: document.limits, historyBase: true)
    }
}

extension Document {
    /// A copy with `other` merged in.
    func merging(_ other: Document) throws -> Document {
        var copy = self
        try copy.merge(other)
        return copy
    }
}
