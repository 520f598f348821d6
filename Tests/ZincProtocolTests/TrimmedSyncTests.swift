import Testing
@testable import ZincCore
@testable import ZincProtocol

/// Document sync with trimmed history, on small trees of ``DocumentSync`` wired by hand.
@Suite("Trimmed history across a tree")
struct TrimmedSyncTests {
    /// Nodes in a tree given by `parents` (index → parent index, nil for the root), delivering
    /// every message at once, over links that can be cut.
    struct Tree {
        var nodes: [DocumentSync]
        let ids: [ReplicaID]
        let parents: [Int?]
        var trust = TrustTable()
        var now = Duration.zero
        var cut: Set<Int> = []

        init(_ parents: [Int?], settings: SyncSettings) {
            self.parents = parents
            ids = parents.indices.map { ReplicaID(deterministicFrom: "node \($0)") }
            nodes = ids.map { DocumentSync(id: "d", document: Document(replica: $0), settings: settings) }
        }

        func children(of index: Int) -> [Int] { parents.indices.filter { parents[$0] == index } }

        func context(_ index: Int) -> RouteContext {
            let below = children(of: index).filter { !cut.contains($0) }
            return RouteContext(
                node: ids[index], term: 0, hasParent: parents[index] != nil && !cut.contains(index), hasChildren: !below.isEmpty,
                isRoot: parents[index] == nil, now: now, trust: trust, children: below.map { ids[$0] })
        }

        /// Delivers `out` from node `index`, and everything it causes, until nothing is left.
        mutating func send(_ out: [Outgoing], from index: Int) {
            var queue = out.map { (index, $0) }
            while !queue.isEmpty {
                let (sender, outgoing) = queue.removeFirst()
                var targets: [(Int, Peer)] = []
                switch outgoing.destination {
                case .parent:
                    if let parent = parents[sender], !cut.contains(sender) { targets = [(parent, .child(ids[sender]))] }
                case .children:
                    targets = children(of: sender).filter { !cut.contains($0) }.map { ($0, .parent) }
                case .child(let id):
                    if let child = ids.firstIndex(of: id), !cut.contains(child) { targets = [(child, .parent)] }
                }
                for (target, peer) in targets {
                    queue += nodes[target].receive(outgoing.message, from: peer, context(target)).map { (target, $0) }
                }
            }
        }

        func text(_ index: Int) -> String {
            let document = nodes[index].document
            return document.text()
        }

        mutating func edit(_ index: Int, _ text: String) throws {
            let out = try nodes[index].edit(context(index)) { try $0.insert(text, at: 0) }.outgoing
            send(out, from: index)
        }

        mutating func tick(_ times: Int = 1) {
            for _ in 0..<times {
                now += .milliseconds(100)
                for index in nodes.indices { send(nodes[index].tick(context(index)), from: index) }
            }
        }
    }

    static var settings: SyncSettings {
        var settings = SyncSettings()
        settings.trimming = .manual
        settings.heldReportInterval = .milliseconds(100)
        return settings
    }

    @Test("held versions climb to the root and come back down: nobody trims what a member below lacks")
    func floorsFollowTheSlowestMember() throws {
        var tree = Tree([nil, 0, 1], settings: Self.settings)
        try tree.edit(0, "first ")
        tree.tick(3)
        let everyone = tree.nodes[0].document.versionVector
        for index in 0..<3 { #expect(tree.nodes[index].trimFloor(tree.context(index)) == everyone) }

        tree.cut = [2]
        try tree.edit(0, "second ")
        tree.cut = []
        tree.tick(3)
        // The client missed "second": the host's subtree floor, and so the tree's, stay below it.
        #expect(tree.nodes[2].document.versionVector == everyone)
        for index in 0..<2 { #expect(tree.nodes[index].trimFloor(tree.context(index)) == everyone) }
        let trimmed = tree.nodes[0].trim(tree.context(0))
        #expect(trimmed)
        #expect(tree.nodes[0].document.historyFloor == everyone)
        #expect(!tree.nodes[0].document.lacksHistory(since: tree.nodes[2].document.versionVector), "the client can still get a fragment")

        // The client repairs with operations, and once the reports go round, everything can go.
        tree.send([tree.nodes[2].syncRequest(to: .parent, tree.context(2))], from: 2)
        tree.tick(3)
        let all = tree.nodes[0].document.versionVector
        #expect(tree.nodes.allSatisfy { $0.document.versionVector == all })
        #expect(tree.nodes.allSatisfy { $0.counters.statesMerged == 0 })
        for index in 0..<3 {
            #expect(tree.nodes[index].trimFloor(tree.context(index)) == all)
            let trimmed = tree.nodes[index].trim(tree.context(index))
            #expect(trimmed)
            #expect(tree.nodes[index].document.historyOperations == 0)
            #expect(tree.text(index) == "second first ")
        }
    }

    @Test("the nodes of a tree look for a trim at different points of the interval, the same points on every run")
    func trimLooksAreSpread() {
        var settings = SyncSettings()
        settings.trimming = .automatic()
        let opened = Duration.seconds(5)
        func nextLook(_ node: ReplicaID) -> Duration? {
            var sync = DocumentSync(id: "spread", document: Document(replica: node), settings: settings)
            let context = RouteContext(node: node, term: 0, hasParent: false, hasChildren: false, isRoot: true, now: opened)
            _ = sync.tick(context)
            return sync.nextDeadline(context)
        }
        let nodes = (0..<40).map { ReplicaID(deterministicFrom: "spread-\($0)") }
        let looks = nodes.compactMap(nextLook)
        #expect(looks.count == nodes.count)
        #expect(looks.allSatisfy { $0 > opened && $0 <= opened + settings.trimCheckInterval })
        #expect(Set(looks).count == looks.count)
        if let first = looks.min(), let last = looks.max() { #expect(last - first > settings.trimCheckInterval / 2) }
        #expect(nodes.compactMap(nextLook) == looks)
    }

    @Test("a node without a parent that is not a root knows nothing of the tree and trims nothing")
    func orphansDoNotTrim() throws {
        var tree = Tree([nil, 0], settings: Self.settings)
        try tree.edit(1, "mine ")
        tree.tick(3)
        #expect(tree.nodes[1].trimFloor(tree.context(1)) == tree.nodes[1].document.versionVector)
        tree.cut = [1]
        tree.nodes[1].parentGone()
        #expect(tree.nodes[1].trimFloor(tree.context(1)).isEmpty)
        let trimmed = tree.nodes[1].trim(tree.context(1))
        #expect(!trimmed)
    }

    @Test("a replica from below the floor gets a snapshot, merges it as a state, and its own edits still go up")
    func snapshotForALateReplica() throws {
        var tree = Tree([nil, 0, 1], settings: Self.settings)
        try tree.edit(0, "root ")
        try tree.edit(1, "host ")
        tree.tick(3)
        for index in 0..<3 { tree.nodes[index].trim(tree.context(index)) }
        #expect(tree.nodes[1].document.historyOperations == 0)

        // The client lost its document and comes back under a new replica, with an edit of its own.
        var fresh = Document(replica: ReplicaID(deterministicFrom: "client again"))
        try fresh.insert("late ", at: 0)
        tree.nodes[2] = DocumentSync(id: "d", document: fresh, settings: Self.settings)
        tree.send(tree.nodes[2].parentJoined(tree.context(2)), from: 2)
        tree.tick(3)
        #expect(tree.nodes[2].counters.statesMerged == 1)
        #expect(tree.nodes[1].counters.transfersStarted == 1, "the host sent its snapshot")
        let text = tree.text(0)
        #expect(text.count == "root host late ".count && text.contains("late "))
        for index in 1..<3 { #expect(tree.text(index) == text && tree.nodes[index].document.versionVector == tree.nodes[0].document.versionVector) }
    }

    @Test("a child's state that brings another subtree's operations is refused until that subtree is known to hold them")
    func statesFromChildrenAreVouchedFor() throws {
        // A host with two children, each claiming its own replica.
        var tree = Tree([nil, 0, 0], settings: Self.settings)
        tree.trust.own = [tree.ids[0]]
        tree.trust.set([tree.ids[1]], claimedBy: tree.ids[1])
        tree.trust.set([tree.ids[2]], claimedBy: tree.ids[2])
        // Both children hold both children's edits, only as state (a partition healed after
        // they had trimmed); the host has none of them.
        var one = Document(replica: tree.ids[1]), two = Document(replica: tree.ids[2])
        try one.insert("one ", at: 0)
        try two.insert("two ", at: 0)
        try one.merge(two, trusting: nil)
        try two.merge(one, trusting: nil)
        for index in 1...2 {
            var document = index == 1 ? one : two
            try document.trim(below: document.versionVector)
            tree.nodes[index] = DocumentSync(id: "d", document: document, settings: Self.settings)
        }

        // Child 1's state brings child 2's operations, and nobody has said child 2 holds them.
        tree.send([tree.nodes[0].syncRequest(to: .child(tree.ids[1]), tree.context(0))], from: 0)
        #expect(tree.nodes[0].counters.statesMerged == 0)
        #expect(tree.nodes[0].counters.operationsRejected > 0)
        #expect(tree.nodes[0].document.versionVector.isEmpty)

        // Child 2's state brings child 1's operations, and child 1 said (in its reply) it holds them.
        tree.send([tree.nodes[2].syncRequest(to: .parent, tree.context(2))], from: 2)
        #expect(tree.nodes[0].counters.statesMerged == 1)
        #expect(tree.text(0) == one.text())
    }
}
