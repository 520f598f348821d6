import Testing
@testable import ZincCore

@Suite("Lazy history: a snapshot's logs decoded when first read")
struct LazyHistoryTests {
    /// Two replicas' texts, each with typing and deletes.
    static func twoAuthors() throws -> Document {
        var alice = Document(replica: ReplicaID(deterministicFrom: "alice"))
        var bob = Document(replica: ReplicaID(deterministicFrom: "bob"))
        try alice.insert("Hello, world", at: 0)
        alice.commit()
        try bob.merge(alice)
        try bob.insert(" and goodbye", at: 12)
        try bob.delete(0..<1)
        bob.commit()
        try alice.merge(bob)
        try alice.delete(2..<4)
        alice.commit()
        return alice
    }

    @Test("loading decodes no log; reading one decodes that one; serving history is unchanged")
    func decodedOnRead() throws {
        for seed in testSeeds(30, base: 900) {
            for original in try SnapshotTests.busyDocument(seed: seed) {
                let bytes = original.encodedSnapshot()
                let loaded = try Document(snapshot: bytes, replica: original.replica)
                #expect(loaded.logs.encodedCount == loaded.logs.count, "seed \(seed)")
                #expect(loaded.canonicalContent() == original.canonicalContent(), "seed \(seed)")
                #expect(loaded.encodedSnapshot() == bytes, "seed \(seed): saving an unread history writes it back as it came")
                #expect(loaded.memoryParts.history >= loaded.logs.deferredBytes, "seed \(seed): encoded logs count as their bytes")
                #expect(loaded.logs.encodedCount == loaded.logs.count, "seed \(seed): reading the state, saving and weighing decode nothing")
                #expect(loaded.fragment(since: VersionVector()).encoded() == original.fragment(since: VersionVector()).encoded(), "seed \(seed)")
                #expect(loaded.history() == original.history(), "seed \(seed)")
                // Once decoded, the logs encode to the same bytes they were read from.
                var decoded = loaded
                #expect(decoded.logs.decodeAll())
                // A write to each log moves it out of the shared encoded store into this copy.
                for index in decoded.logs.indices { decoded.logs[index].base = decoded.logs.base(of: index) }
                #expect(decoded.logs.encodedCount == 0)
                #expect(decoded.encodedSnapshot() == bytes, "seed \(seed)")
            }
        }
    }

    @Test("a copy with its logs left encoded and one with every log decoded, given the same edits and merges, stay identical in state, history, fragments and snapshot bytes")
    func lazyMatchesEager() throws {
        var savesWithEncodedLogs = 0
        defer { #expect(savesWithEncodedLogs > 100, "most saves happen with some logs still encoded") }
        for seed in testSeeds(20, base: 1300) {
            var documents = try SnapshotTests.busyDocument(seed: seed, steps: 80)
            var lazy = try Document(snapshot: documents[0].encodedSnapshot(), replica: documents[0].replica)
            var eager = lazy
            // A write to each log moves it out of the shared encoded store into this copy.
            for index in eager.logs.indices { eager.logs[index].base = eager.logs.base(of: index) }
            #expect(eager.logs.encodedCount == 0 && lazy.logs.encodedCount == lazy.logs.count)
            var random = SeededRandom(seed: seed)
            var versions = [VersionVector(), lazy.versionVector]
            for _ in 0..<40 {
                let actor = random.int(0..<3)
                if actor == 0 {
                    let choice = random.int(0..<1000)
                    var first = random, second = random
                    RandomEditing.edit(&lazy, choice: choice, random: &first)
                    RandomEditing.edit(&eager, choice: choice, random: &second)
                    random = first
                    lazy.commit()
                    eager.commit()
                } else {
                    RandomEditing.edit(&documents[actor], choice: random.int(0..<1000), random: &random)
                    documents[actor].commit()
                    if random.chance(0.3) {
                        try lazy.merge(documents[actor])
                        try eager.merge(documents[actor])
                    }
                }
                versions.append(eager.versionVector)
                // Saving while some logs are still encoded writes them as they came: the bytes
                // must match what the decoded copy writes.
                if lazy.logs.encodedCount > 0 { savesWithEncodedLogs += 1 }
                #expect(lazy.encodedSnapshot() == eager.encodedSnapshot(), "seed \(seed)")
            }
            #expect(lazy.canonicalContent() == eager.canonicalContent(), "seed \(seed)")
            #expect(lazy.history() == eager.history(), "seed \(seed)")
            for version in versions {
                #expect(lazy.fragment(since: version).encoded() == eager.fragment(since: version).encoded(), "seed \(seed)")
                #expect(lazy.lacksHistory(since: version) == eager.lacksHistory(since: version), "seed \(seed)")
            }
        }
    }

    @Test("an edit as a fresh replica, or an operation from one author, decodes only what it touches")
    func editsDecodeOnlyTheirLog() throws {
        let original = try Self.twoAuthors()
        var loaded = try Document(snapshot: original.encodedSnapshot(), replica: ReplicaID(deterministicFrom: "carol"))
        try loaded.insert("!", at: 0)
        loaded.commit()
        #expect(loaded.logs.encodedCount == 2, "the fresh replica's log is new; alice's and bob's stay encoded")
        var bob = try Document(snapshot: original.encodedSnapshot(), replica: ReplicaID(deterministicFrom: "bob"))
        try bob.insert("?", at: 0)
        try loaded.apply(bob.fragment(of: bob.replica, counters: bob.localOperationCount - 1..<bob.localOperationCount))
        #expect(loaded.logs.encodedCount == 1, "bob's log was decoded to append his operation; alice's stays encoded")
        #expect(loaded.text() == "?!" + original.text())
        #expect(!loaded.lacksHistory(since: VersionVector()))
        #expect(loaded.logs.encodedCount == 0)
    }

    @Test("copies that share encoded logs decode them once, on any thread, with the same result")
    func sharedAcrossThreads() async throws {
        let original = try SnapshotTests.busyDocument(seed: 5)[0]
        let loaded = try Document(snapshot: original.encodedSnapshot(), replica: original.replica)
        let expected = original.fragment(since: VersionVector()).encoded()
        let results = await withTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<8 {
                let copy = loaded
                group.addTask { copy.fragment(since: VersionVector()).encoded() }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 8)
        #expect(results.allSatisfy { $0 == expected })
    }

    /// `bytes` with the first run head of the log that `log` encodes to turned from an insert
    /// into a delete: the framing still holds, the meaning does not (no span covers it).
    static func corruptingLog(_ log: ReplicaLog, owner: UInt32, in bytes: [UInt8]) throws -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        Document.encodeLog(log, owner: owner, into: &writer)
        let encoded = writer.bytes
        let start = try #require(bytes.indices.last { bytes[$0...].starts(with: encoded) })
        var corrupted = bytes
        let head = start + 1   // after the one-byte run count
        #expect(corrupted[head] & 0x07 == OpKind.insert.rawValue)
        corrupted[head] = corrupted[head] & ~0x07 | OpKind.delete.rawValue
        return corrupted
    }

    @Test("a log that fails its check when first read keeps the state, drops the history, and saves whole")
    func defectiveLog() throws {
        let original = try Self.twoAuthors()
        let bob = try #require(original.replicas.index(of: ReplicaID(deterministicFrom: "bob")))
        let bytes = try Self.corruptingLog(original.logs[Int(bob)], owner: bob, in: original.encodedSnapshot())
        let loaded = try Document(snapshot: bytes, replica: original.replica)
        #expect(loaded.text() == original.text(), "the state was checked at load and stands")
        #expect(!loaded.logs.isDefective, "nothing read the history yet")
        // A replica that lacks bob's operations gets a snapshot, never a fragment missing them.
        #expect(loaded.lacksHistory(since: VersionVector()))
        #expect(loaded.logs.isDefective)
        #expect(!loaded.lacksHistory(since: loaded.versionVector))
        #expect(loaded.history().isEmpty, "no entry of a history that failed could be rebuilt")
        let past = try #require(original.history().first).version
        let error = #expect(throws: DocumentError.self) { _ = try loaded.at(past) }
        #expect(error?.reason == .historyUnavailable)
        var trimmed = loaded
        #expect(try trimmed.trim(below: loaded.versionVector) == false, "no base can be rebuilt from a broken history")
        // Saving writes the state with its history trimmed where it is: it loads whole.
        let saved = try Document(snapshot: loaded.encodedSnapshot(), replica: original.replica)
        #expect(saved.canonicalContent() == original.canonicalContent())
        #expect(saved.historyFloor == original.versionVector)
        #expect(saved.logs.decodeAll())
        #expect(try saved.at(saved.versionVector).text() == original.text())
        // A peer merging the saved state converges.
        var peer = Document(replica: ReplicaID(deterministicFrom: "dave"))
        try peer.mergeState(saved)
        #expect(peer.text() == original.text())
    }

    @Test("a document keeps editing and merging after its history failed its check")
    func editsAfterDefect() throws {
        let original = try Self.twoAuthors()
        let bob = try #require(original.replicas.index(of: ReplicaID(deterministicFrom: "bob")))
        let bytes = try Self.corruptingLog(original.logs[Int(bob)], owner: bob, in: original.encodedSnapshot())
        var loaded = try Document(snapshot: bytes, replica: ReplicaID(deterministicFrom: "erin"))
        var bobReplica = try Document(snapshot: original.encodedSnapshot(), replica: ReplicaID(deterministicFrom: "bob"))
        try bobReplica.insert("B", at: 0)
        try loaded.apply(bobReplica.fragment(of: bobReplica.replica, counters: bobReplica.localOperationCount - 1..<bobReplica.localOperationCount))
        try loaded.insert("E", at: 0)
        #expect(loaded.logs.isDefective)
        #expect(loaded.text() == "EB" + original.text())
        let saved = try Document(snapshot: loaded.encodedSnapshot(), replica: loaded.replica)
        #expect(saved.text() == loaded.text())
        #expect(saved.versionVector == loaded.versionVector)
    }
}
