import Testing
@testable import ZincCore

@Suite("Convergence under reordering, duplication and loss")
struct ConvergenceTests {
    /// One fragment in flight.
    struct Packet {
        var to: Int
        var bytes: [UInt8]
        var author: ReplicaID
        var deliverAt: Int
    }

    @Test("random edits on every container type converge, whatever the network does")
    func randomNetworks() throws {
        for seed in testSeeds(300, base: 77) {
            try runNetwork(seed: seed)
        }
    }

    func runNetwork(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let count = random.int(2..<6)
        var documents = (0..<count).map { _ in Document(replica: ReplicaID.random(using: &random)) }
        var network: [Packet] = []
        var time = 0
        let steps = random.int(30..<160)
        for _ in 0..<steps {
            time += 1
            let actor = random.int(0..<count)
            for _ in 0..<random.int(1..<4) {
                RandomEditing.edit(&documents[actor], choice: random.int(0..<1000), random: &random)
            }
            let fragment = documents[actor].commitFragment(mergingUndo: random.chance(0.3))
            if !fragment.isEmpty {
                let author = documents[actor].replica
                let bytes = fragment.encoded(omittingAuthor: author)
                for peer in 0..<count where peer != actor {
                    if random.chance(0.1) { continue }  // lost
                    let copies = random.chance(0.1) ? 2 : 1  // duplicated
                    for _ in 0..<copies {
                        network.append(Packet(to: peer, bytes: bytes, author: author, deliverAt: time + random.int(0..<8)))
                    }
                }
            }
            // Deliver some due packets in random order.
            network.shuffle(using: &random)
            var kept: [Packet] = []
            for packet in network {
                if packet.deliverAt <= time && random.chance(0.7) {
                    let fragment = try DocumentFragment(decoding: packet.bytes, author: packet.author, limits: .default)
                    try documents[packet.to].apply(fragment)
                } else {
                    kept.append(packet)
                }
            }
            network = kept
            // Occasional anti-entropy between two replicas, as heartbeats would trigger.
            if random.chance(0.05) {
                let a = random.int(0..<count), b = random.int(0..<count)
                if a != b { try documents[b].apply(documents[a].fragment(since: documents[b].versionVector)) }
            }
        }
        // Drain what is left, then repair what was lost.
        for packet in network {
            try documents[packet.to].apply(DocumentFragment(decoding: packet.bytes, author: packet.author, limits: .default))
        }
        for _ in 0..<2 {
            for a in 0..<count {
                for b in 0..<count where a != b {
                    let bytes = documents[a].fragment(since: documents[b].versionVector).encoded()
                    try documents[b].apply(DocumentFragment(decoding: bytes))
                }
            }
        }
        let expected = documents[0].canonicalContent()
        for document in documents {
            #expect(document.pendingOperationCount == 0, "seed \(seed)")
            #expect(document.versionVector == documents[0].versionVector, "seed \(seed)")
            #expect(document.canonicalContent() == expected, "seed \(seed): replicas diverged (replay with ZINC_SEED=\(seed))")
        }
    }
}
