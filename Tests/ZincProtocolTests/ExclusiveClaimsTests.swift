import Testing
@testable import ZincCore
@testable import ZincProtocol

/// Replica claims in a certified tree (protocol §24.2 item 7): a replica is bound to the child
/// that first claimed it, so a member cannot write under a sibling's replica by claiming it too.
@Suite("Exclusive replica claims")
struct ExclusiveClaimsTests {
    let alice = ReplicaID(deterministicFrom: "alice"), mallory = ReplicaID(deterministicFrom: "mallory")
    let aliceReplica = ReplicaID(deterministicFrom: "alice-replica"), malloryReplica = ReplicaID(deterministicFrom: "mallory-replica")

    @Test("a claim binds a replica to its first claimer until it stops claiming it, leaves or is suspected; own replicas are never claimable")
    func table() {
        var trust = TrustTable(exclusive: true)
        let hostReplica = ReplicaID(deterministicFrom: "host-replica")
        trust.own.insert(hostReplica)
        #expect(trust.set([aliceReplica], claimedBy: alice).isEmpty)
        #expect(trust.set([malloryReplica, aliceReplica, hostReplica], claimedBy: mallory) == [aliceReplica, hostReplica])
        #expect(trust.accepts(aliceReplica, fromChild: alice) && !trust.accepts(aliceReplica, fromChild: mallory))
        #expect(trust.accepts(malloryReplica, fromChild: mallory) && !trust.accepts(hostReplica, fromChild: mallory))
        // Claiming again changes nothing while alice holds it.
        #expect(trust.set([malloryReplica, aliceReplica], claimedBy: mallory) == [aliceReplica])
        #expect(trust.claimers[aliceReplica] == [alice])

        // A suspected holder yields: its subtree moved after a failure, and the new route claims.
        var moved = trust
        #expect(moved.set([aliceReplica], claimedBy: mallory, yields: { $0 == alice }).isEmpty)
        #expect(moved.accepts(aliceReplica, fromChild: mallory) && !moved.accepts(aliceReplica, fromChild: alice))
        #expect(moved.set([aliceReplica], claimedBy: alice) == [aliceReplica], "the binding moved: the old holder's claim is refused now")

        // A holder that stops claiming, or leaves, releases the replica.
        var released = trust
        released.set([], claimedBy: alice)
        #expect(released.set([aliceReplica], claimedBy: mallory).isEmpty)
        var left = trust
        left.remove(alice)
        #expect(left.set([aliceReplica], claimedBy: mallory).isEmpty && left.claimers[aliceReplica] == [mallory])
    }

    @Test("without certificates claims are shared: any child may claim a replica another claims (keyed trees trust every key holder)")
    func sharedClaims() {
        var trust = TrustTable()
        trust.set([aliceReplica], claimedBy: alice)
        #expect(trust.set([aliceReplica], claimedBy: mallory).isEmpty)
        #expect(trust.accepts(aliceReplica, fromChild: alice) && trust.accepts(aliceReplica, fromChild: mallory))
    }

    @Test("a certified host refuses a member's operations under a sibling's replica, even when it claims that replica; a keyed host takes them")
    func forgeryInFrames() throws {
        for exclusive in [true, false] {
            let (host, text, counters) = try forge(exclusive: exclusive)
            if exclusive {
                #expect(text == "hello ", "the forgery never landed: \(text)")
                #expect(host.machine.core.counters.claimsRefused == 2, "one refused claim per heartbeat of mallory's")
                #expect(counters.operationsRejected == 7, "FORGED, by the trust rule")
                #expect(host.machine.core.trust.claimers[aliceReplica] == [alice])
            } else {
                #expect(text.contains("FORGED"), "keyed: claims are shared, so the forgery is taken (security.md says so)")
            }
        }
    }

    /// A host with children alice and mallory; mallory claims alice's replica beside its own and
    /// pushes operations under it that the host does not hold yet.
    private func forge(exclusive: Bool) throws -> (EmbeddedNode, String, SyncCounters) {
        let hostID = ReplicaID(deterministicFrom: "host")
        var configuration = NodeConfiguration(id: hostID, endpoints: Endpoints(publish: "tcp://127.0.0.1:7000", pull: "tcp://127.0.0.1:7001"))
        configuration.exclusiveClaims = exclusive
        let host = EmbeddedNode(configuration)
        host.start(now: .zero)
        _ = host.machine.open("doc", now: .zero)
        var now = Duration.milliseconds(1)
        func send(_ type: MessageType, from child: ReplicaID, topic: Topic? = nil, origin: ReplicaID? = nil, payload: [UInt8]) throws {
            let header = MessageHeader(type: type, origin: origin ?? child, sender: child, lamport: 1, term: 0)
            try host.receive(WireMessage(topic: topic ?? .node(child), header: header, payload: payload).frames, via: .puller, now: now)
            now += .milliseconds(20)
        }
        for child in [alice, mallory] {
            try send(.join, from: child, payload: JoinRequest(endpoints: nil, interest: .all).encoded)
            host.subscription(Topic.node(child).bytes, now: now)
        }
        func heartbeat(_ child: ReplicaID, claiming replicas: [ReplicaID]) throws {
            try send(.heartbeat, from: child, topic: .tree, payload: Heartbeat(root: hostID, depth: 1, subtreeSize: 1, replicas: replicas).encoded)
        }
        try heartbeat(alice, claiming: [aliceReplica])
        try heartbeat(mallory, claiming: [malloryReplica, aliceReplica])
        var honest = Document(replica: aliceReplica)
        try honest.insert("hello ", at: 0)
        try send(.delta, from: alice, topic: .document("doc"), origin: aliceReplica, payload: honest.commitFragment().encoded(omittingAuthor: aliceReplica))
        try heartbeat(mallory, claiming: [malloryReplica, aliceReplica])
        var forger = honest
        try forger.insert("FORGED ", at: 0)
        try send(.delta, from: mallory, topic: .document("doc"), origin: aliceReplica, payload: forger.commitFragment().encoded(omittingAuthor: aliceReplica))
        let text = host.machine.peek("doc") { $0.text() } ?? ""
        return (host, text, host.machine.documents["doc"]?.counters ?? SyncCounters())
    }
}
