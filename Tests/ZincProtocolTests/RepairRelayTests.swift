import Testing
@testable import ZincCore
@testable import ZincProtocol

/// What a repair brings travels on down the tree (protocol §11.2), so a delta lost near the root
/// is repaired once, not once per level below it.
@Suite("Repairs relayed down")
struct RepairRelayTests {
    let topID = ReplicaID(deterministicFrom: "top")
    let middleID = ReplicaID(deterministicFrom: "middle")
    let bottomID = ReplicaID(deterministicFrom: "bottom")

    func context(_ node: ReplicaID, parent: Bool, children: [ReplicaID]) -> RouteContext {
        RouteContext(node: node, term: 0, hasParent: parent, hasChildren: !children.isEmpty, isRoot: !parent, now: .seconds(1), trust: TrustTable(), children: children)
    }

    @Test("a node repaired by its parent sends what was new to its children as a delta; they need no repair of their own")
    func repairedOperationsGoDown() throws {
        var topDocument = Document(replica: topID)
        try topDocument.insert("lost on the way", at: 0)
        var top = DocumentSync(id: "d", document: topDocument, settings: SyncSettings())
        var middle = DocumentSync(id: "d", document: Document(replica: middleID), settings: SyncSettings())
        var bottom = DocumentSync(id: "d", document: Document(replica: bottomID), settings: SyncSettings())
        let atTop = context(topID, parent: false, children: [middleID])
        let atMiddle = context(middleID, parent: true, children: [bottomID])
        let atBottom = context(bottomID, parent: true, children: [])

        // The middle asks its parent (its digest differed); the top answers with what it lacks.
        let request = middle.syncRequest(to: .parent, atMiddle)
        let replies = top.receive(request.message, from: .child(middleID), atTop)
        let reply = try #require(replies.first { $0.message.header.type == .syncReply })
        let relayed = middle.receive(reply.message, from: .parent, atMiddle).filter { $0.destination == .children }
        #expect(relayed.count == 1 && relayed.first?.message.header.type == .delta)
        #expect(relayed.first?.message.header.origin == middleID)

        // The bottom takes it as any delta from its parent: it holds everything, asking nothing.
        for outgoing in relayed {
            let answer = bottom.receive(outgoing.message, from: .parent, atBottom)
            #expect(!answer.contains { $0.message.header.type == .syncRequest })
        }
        #expect(bottom.document.versionVector == top.document.versionVector)
        #expect(bottom.document.text() == "lost on the way")

        // A repair that brings nothing new sends nothing down.
        let again = middle.receive(reply.message, from: .parent, atMiddle)
        #expect(!again.contains { $0.destination == .children })
    }
}
