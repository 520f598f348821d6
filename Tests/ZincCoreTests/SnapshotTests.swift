import Testing
import Foundation
@testable import ZincCore

@Suite("Snapshots")
struct SnapshotTests {
    /// A document with history from several replicas, every container type, deletions and undo.
    static func busyDocument(seed: UInt64, steps: Int = 120) throws -> [Document] {
        var random = SeededRandom(seed: seed)
        var documents = (0..<3).map { _ in Document(replica: ReplicaID.random(using: &random)) }
        for _ in 0..<steps {
            let actor = random.int(0..<3)
            RandomEditing.edit(&documents[actor], choice: random.int(0..<1000), random: &random)
            documents[actor].commit()
            if random.chance(0.2) {
                let peer = random.int(0..<3)
                try documents[peer].merge(documents[actor])
            }
        }
        return documents
    }

    @Test("a snapshot round-trips content, versions and history")
    func roundTrip() throws {
        for seed in testSeeds(60, base: 500) {
            let documents = try Self.busyDocument(seed: seed)
            for original in documents {
                let bytes = original.encodedSnapshot()
                let loaded = try Document(snapshot: bytes, replica: original.replica)
                #expect(loaded.canonicalContent() == original.canonicalContent(), "seed \(seed)")
                #expect(loaded.versionVector == original.versionVector, "seed \(seed)")
                #expect(loaded.lamport == original.lamport)
                #expect(loaded.encodedSnapshot() == bytes, "seed \(seed): encoding is deterministic")
                for index in loaded.sequences.indices { loaded.sequences[index].checkInvariants() }
                // The loaded copy serves history exactly like the original.
                var fromOriginal = Document(replica: ReplicaID(deterministicFrom: "x"))
                var fromLoaded = Document(replica: ReplicaID(deterministicFrom: "y"))
                try fromOriginal.apply(original.fragment(since: VersionVector()))
                try fromLoaded.apply(loaded.fragment(since: VersionVector()))
                #expect(fromOriginal.canonicalContent() == fromLoaded.canonicalContent(), "seed \(seed)")
            }
        }
    }

    @Test("a reloaded replica continues its own counters and keeps converging")
    func continueAfterLoad() throws {
        var documents = try Self.busyDocument(seed: 42)
        var reloaded = try Document(snapshot: documents[0].encodedSnapshot(), replica: documents[0].replica)
        #expect(reloaded.localOperationCount == documents[0].localOperationCount)
        try reloaded.insert("after restart", at: 0)
        try reloaded.increment(CounterRef("counter"), by: 3)
        try documents[1].merge(reloaded)
        try documents[1].merge(documents[2])
        try reloaded.merge(documents[1])
        #expect(reloaded.canonicalContent() == documents[1].canonicalContent())
        #expect(reloaded.text().contains("after restart"))
        documents[0] = reloaded
    }

    @Test("truncated snapshots throw at every length")
    func truncated() throws {
        let bytes = try Self.busyDocument(seed: 7, steps: 60)[0].encodedSnapshot()
        for length in 0..<bytes.count {
            #expect(throws: DocumentError.self) {
                _ = try Document(snapshot: Array(bytes[0..<length]), replica: .random())
            }
        }
    }

    @Test("garbled snapshots and fragments throw or load; they never trap")
    func garbled() throws {
        let documents = try Self.busyDocument(seed: 9, steps: 80)
        let snapshot = documents[0].encodedSnapshot()
        let fragment = documents[0].fragment(since: VersionVector()).encoded()
        var random = SeededRandom(seed: 99)
        for _ in 0..<3000 {
            var mutated = random.chance(0.5) ? snapshot : fragment
            for _ in 0..<random.int(1..<4) {
                let position = random.int(0..<mutated.count)
                switch random.int(0..<3) {
                case 0: mutated[position] = UInt8(random.int(0..<256))
                case 1: mutated.remove(at: position)
                default: mutated.insert(UInt8(random.int(0..<256)), at: position)
                }
            }
            if let loaded = try? Document(snapshot: mutated, replica: .random()) {
                _ = loaded.canonicalContent()
                _ = loaded.lacksHistory(since: VersionVector())
                _ = loaded.fragment(since: VersionVector())
                _ = loaded.history()
                let saved = try? Document(snapshot: loaded.encodedSnapshot(), replica: .random())
                #expect(saved?.canonicalContent() == loaded.canonicalContent(), "a document that loads saves to a snapshot that loads")
            }
            if let decoded = try? DocumentFragment(decoding: mutated) {
                var target = Document(replica: .random())
                _ = try? target.apply(decoded)
                _ = target.canonicalContent()
            }
        }
        // Random bytes and foreign files are refused with a clear reason.
        let foreign = Array("SQLite format 3\u{0}".utf8) + [UInt8](repeating: 0, count: 100)
        let error = #expect(throws: DocumentError.self) { _ = try Document(snapshot: foreign, replica: .random()) }
        #expect(error?.reason == .malformed)
        #expect(error?.message.contains("not a Zinc document snapshot") == true)
    }

    @Test("oversized counts are refused before anything is allocated")
    func limits() throws {
        var limits = DecodingLimits()
        limits.maxElements = 10
        var writer = ByteWriter()
        writer.write(0x01 | 0x80)  // fragment v1, no replica table
        writer.write(varint: 1)
        ContainerID.root(name: "", type: .text).encode(into: &writer)
        writer.write(varint: 1_000_000)  // a million ops claimed
        let error = #expect(throws: FormatError.self) { _ = try DocumentFragment(decoding: writer.bytes, author: nil, limits: limits) }
        #expect(error?.reason == .limitExceeded)
    }
}

/// Inputs the fuzzer once crashed on (`scripts/fuzz`); each must now throw, never trap.
@Suite("Fuzzer regressions")
struct FuzzerRegressionTests {
    /// FuzzSnapshot: a delete span longer than `ItemID.maxCounter` overflowed the range check.
    static let snapshots = [
        "Wk5DUwECAAAAAAAAAAEAAAAAAAAANgYBGyMjQ2hhIyMjAf///wAAAAAAAEojIyMjIyMjIyMjIyMjIyMjI98jIyMjI93c3Nzc3NzfIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjI1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tb3dzc3Nzc3N8jIyMjIyMjIyMjIyMjIyMjIyMjIyMnIyMjIyMjIyNbcmlTZXF1ZW5jZQ==",
    ]

    @Test("snapshot inputs that once crashed the decoder now throw", arguments: snapshots)
    func snapshot(_ base64: String) throws {
        let bytes = try #require(Data(base64Encoded: base64))
        #expect(throws: DocumentError.self) {
            _ = try Document(snapshot: Array(bytes), replica: .random())
        }
    }
}

extension FuzzerRegressionTests {
    /// FuzzPresence: metadata holding a NaN double made the decoded value unequal to itself.
    static let presences = [
        "AQ4AAAAAAAD6AABdAAEAAAACAANCb2IAAAAAAQABAAAAAAAAAAEAAAAAAAAhBQACAAEAAAAAAAAAAQAAAAAAAAAFBwgHBwcHBwAABQcAAQAIAQF4BwcHBwcEBP////8EBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEAAAAAAAAAAUHCAEBeAcHKQcHBwQEBAQEBAQEBAQEBAQEBAQEBAQEAAAAAAAAAAUHCAEBeAcHKQcHBwQEBAQEBAQEBAEAAAAAAAAABQcIBwcHBwcBAAIAAAUHCAEBeAMHBwcHBAAAAAQEBAQEBAQEBAQB",
    ]

    @Test("presence inputs that once failed the fuzzer's round trip (a NaN in metadata) are refused", arguments: presences)
    func presence(_ base64: String) throws {
        let bytes = try #require(Data(base64Encoded: base64))
        #expect(throws: FormatError.self) { _ = try Presence(decoding: Array(bytes)) }
    }

    @Test("documents refuse NaN anywhere in a value, so no replica can create what peers refuse")
    func nanIsNotStorable() throws {
        var document = Document(replica: .random())
        for value: Value in [.double(.nan), .array([1, .double(.nan)]), .object(["x": .double(.nan)])] {
            #expect(throws: DocumentError.self) { try document.set("k", to: value, in: MapRef("m")) }
            #expect(throws: DocumentError.self) { try document.set(value, in: RegisterRef("r")) }
            #expect(throws: DocumentError.self) { try document.add(value, to: SetRef("s")) }
            #expect(throws: DocumentError.self) { try document.insert([value], at: 0, in: ListRef("l")) }
        }
        try document.set("k", to: .double(.infinity), in: MapRef("m"))
        #expect(document.value(forKey: "k", in: MapRef("m")) == .value(.double(.infinity)))
    }
}
