import PropertyBased
import Testing
@testable import ZincCore

/// The merge laws every CRDT must obey, checked on documents built from random edit scripts.
/// A failure shrinks to a minimal script and prints a `.fixedSeed(...)` that replays it.
@Suite("CRDT laws")
struct CRDTLawTests {
    /// A document made by replica `name` from a script of edit choices.
    static func build(_ name: String, _ script: [Int], base: Document? = nil) -> Document {
        var document = Document(replica: ReplicaID(deterministicFrom: name))
        if let base { _ = try? document.merge(base) }
        var random = SeededRandom(seed: UInt64(script.count) &* 31 &+ UInt64(name.utf8.count))
        for choice in script {
            RandomEditing.edit(&document, choice: choice, random: &random)
            document.commit()
        }
        return document
    }

    static func merged(_ a: Document, _ b: Document) -> Document {
        var result = a
        _ = try? result.merge(b)
        return result
    }

    static func same(_ a: Document, _ b: Document) -> Bool {
        a.canonicalContent() == b.canonicalContent() && a.versionVector == b.versionVector
    }

    static let script = Gen.int(in: 0...999).array(of: 0...25)

    @Test("merge is commutative")
    func commutative() async {
        await propertyCheck(count: 150, input: Self.script, Self.script) { x, y in
            let base = Self.build("base", Array(x.prefix(5)))
            let a = Self.build("a", x, base: base)
            let b = Self.build("b", y, base: base)
            #expect(Self.same(Self.merged(a, b), Self.merged(b, a)))
        }
    }

    @Test("merge is associative")
    func associative() async {
        await propertyCheck(count: 100, input: Self.script, Self.script, Self.script) { x, y, z in
            let a = Self.build("a", x)
            let b = Self.build("b", y)
            let c = Self.build("c", z)
            #expect(Self.same(Self.merged(Self.merged(a, b), c), Self.merged(a, Self.merged(b, c))))
        }
    }

    @Test("merge is idempotent")
    func idempotent() async {
        await propertyCheck(count: 150, input: Self.script, Self.script) { x, y in
            let a = Self.build("a", x)
            let b = Self.build("b", y)
            #expect(Self.same(Self.merged(a, a), a))
            let ab = Self.merged(a, b)
            #expect(Self.same(Self.merged(ab, b), ab))
            #expect(Self.same(Self.merged(ab, a), ab))
        }
    }

    @Test("applying a fragment twice, or its parts in any order, gives the same document")
    func fragmentsCommuteAndRepeat() async {
        await propertyCheck(count: 150, input: Self.script, Gen.int(in: 0...1_000_000)) { x, seed in
            var author = Document(replica: ReplicaID(deterministicFrom: "author"))
            var random = SeededRandom(seed: UInt64(seed))
            var fragments: [DocumentFragment] = []
            for choice in x {
                RandomEditing.edit(&author, choice: choice, random: &random)
                fragments.append(author.commitFragment())
            }
            var inOrder = Document(replica: ReplicaID(deterministicFrom: "one"))
            var shuffled = Document(replica: ReplicaID(deterministicFrom: "two"))
            for fragment in fragments { _ = try? inOrder.apply(fragment) }
            for fragment in (fragments + fragments).shuffled(using: &random) { _ = try? shuffled.apply(fragment) }
            #expect(inOrder.canonicalContent() == author.canonicalContent())
            #expect(shuffled.canonicalContent() == author.canonicalContent())
            #expect(shuffled.pendingOperationCount == 0)
        }
    }
}
