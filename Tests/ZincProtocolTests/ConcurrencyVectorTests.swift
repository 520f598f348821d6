import Foundation
import Testing
@testable import ZincCore
@testable import ZincProtocol

/// docs/vectors/concurrency.json: three replicas typing and deleting concurrently in one text
/// (seeded, with deliveries held back so their edits overlap), every transaction's delta in the
/// order it was made, the text they converged on, and a snapshot of it. Another implementation
/// applies the deltas in any order and must reach the same text: a differential test of the
/// FugueMax integration (§6), ties between concurrent inserts included. The JavaScript client's
/// tests (Clients/js/test) do.
@Suite("Concurrency vector (docs/vectors/concurrency.json)")
struct ConcurrencyVectorTests {
    static let replicas = ["vector alice", "vector bob", "vector carol"].map { ReplicaID(deterministicFrom: $0) }
    static let alphabet: [String] = ["a", "b", "c", "é", "€", "𝄞", " ", "\n", "ZZ", "typing "]

    /// The scenario: 240 transactions, each delivered to each other replica after 0–6 further
    /// transactions, so replicas keep editing text the others have not seen yet.
    static func scenario() throws -> (deltas: [(author: ReplicaID, bytes: [UInt8])], converged: Document) {
        var random = SplitMix(state: 20)
        var documents = replicas.map { Document(replica: $0) }
        var inboxes: [[(due: Int, author: ReplicaID, bytes: [UInt8])]] = Array(repeating: [], count: replicas.count)
        var deltas: [(author: ReplicaID, bytes: [UInt8])] = []
        for round in 0..<240 {
            let author = Int.random(in: 0..<replicas.count, using: &random)
            let before = documents[author].versionVector
            let length = documents[author].text().unicodeScalars.count
            if length > 0, Int.random(in: 0..<10, using: &random) < 3 {
                let start = Int.random(in: 0..<length, using: &random)
                try documents[author].delete(start..<min(length, start + Int.random(in: 1...5, using: &random)))
            } else {
                let text = alphabet[Int.random(in: 0..<alphabet.count, using: &random)]
                try documents[author].insert(text, at: Int.random(in: 0...length, using: &random))
            }
            let bytes = documents[author].fragment(since: before).encoded(omittingAuthor: replicas[author])
            deltas.append((replicas[author], bytes))
            for index in replicas.indices where index != author {
                inboxes[index].append((round + Int.random(in: 0...6, using: &random), replicas[author], bytes))
            }
            for index in replicas.indices {
                for message in inboxes[index] where message.due <= round {
                    _ = try documents[index].apply(encoded: message.bytes, author: message.author)
                }
                inboxes[index].removeAll { $0.due <= round }
            }
        }
        for index in replicas.indices {
            for message in inboxes[index] { _ = try documents[index].apply(encoded: message.bytes, author: message.author) }
        }
        for document in documents.dropFirst() { #expect(document.text() == documents[0].text(), "the Swift replicas converge") }
        return (deltas, documents[0])
    }

    @Test("the committed deltas are what Swift makes, and converge to the committed text and snapshot")
    func concurrency() throws {
        let (deltas, converged) = try Self.scenario()
        var vectors = deltas.enumerated().map { index, delta in
            VectorTests.Vector(name: "delta-\(index)", note: "a transaction by \(delta.author)", frames: [delta.bytes])
        }
        vectors.append(VectorTests.Vector(name: "snapshot", note: "the converged document as a snapshot (its texts are zlib blocks)", frames: [converged.encodedSnapshot()]))
        let authors = Dictionary(uniqueKeysWithValues: vectors.indices.dropLast().map { (vectors[$0].frames[0], deltas[$0].author) })
        let stored = try VectorTests.check(
            "concurrency.json", title: "Three replicas editing one text concurrently (docs/protocol.md §6–§8): deltas in the order made, author implied (meaning.author), then a snapshot; meaning.text is the converged text",
            vectors
        ) { frames in
            if let author = authors[frames[0]] { return ["author": author.description, "text": converged.text()] }
            let document = try Document(snapshot: frames[0], replica: Self.replicas[0])
            return ["text": document.text(), "versionVector": VectorTests.meaning(document.versionVector)]
        }
        #expect(stored.count == vectors.count)
        for (vector, entry) in zip(vectors, stored) {
            #expect((entry["frames"] as? [String])?.first.map(VectorTests.bytes) == vector.frames[0], "\(vector.name): Swift makes other bytes than the vector")
        }
        // Any delivery order converges to the same text in Swift too.
        var random = SplitMix(state: 7)
        var late = Document(replica: ReplicaID(deterministicFrom: "vector late"))
        for delta in deltas.shuffled(using: &random) { _ = try late.apply(encoded: delta.bytes, author: delta.author) }
        #expect(late.text() == converged.text())
    }
}
