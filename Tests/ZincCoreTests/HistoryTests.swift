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
                try replicas[index].transact { document in
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
