import Testing
@testable import ZincCore
@testable import ZincProtocol

/// Membership gossip and merges through any reachable node (docs/protocol.md §15, §15.1).
@Suite("Membership gossip")
struct GossipTests {
    let me = ReplicaID(deterministicFrom: "me")
    let oldRoot = ReplicaID(deterministicFrom: "old root")
    func address(_ port: Int) -> String { "tcp://127.0.0.1:\(port)" }
    func rumor(_ port: Int, root: ReplicaID? = nil, age: Duration = .zero) -> MembershipView.Rumor {
        MembershipView.Rumor(publish: address(port), root: root ?? oldRoot, age: age)
    }

    @Test("the view: fresher news wins, never about itself, the stalest goes when full, 60 s without news forgets")
    func view() {
        var view = MembershipView()
        view.learn(rumor(7000, age: .seconds(5)), own: address(9000), now: .seconds(10))
        view.learn(rumor(9000), own: address(9000), now: .seconds(10))
        #expect(view.count == 1)
        // Older news of the same address changes nothing; fresher news moves it to another root.
        view.learn(rumor(7000, root: me, age: .seconds(8)), own: nil, now: .seconds(10))
        #expect(view.elsewhere(than: me, now: .seconds(10)) == [address(7000)])
        view.learn(rumor(7000, root: me, age: .seconds(1)), own: nil, now: .seconds(10))
        #expect(view.elsewhere(than: me, now: .seconds(10)).isEmpty)
        // Full: a fresher rumor pushes out the stalest entry; a staler one is not taken.
        for port in 1..<MembershipView.capacity { view.learn(rumor(7000 + 2 * port, age: .seconds(2)), own: nil, now: .seconds(10)) }
        #expect(view.count == MembershipView.capacity)
        view.learn(rumor(8888, age: .seconds(30)), own: nil, now: .seconds(10))
        #expect(!view.contains(address(8888)))
        view.learn(rumor(8890, age: .zero), own: nil, now: .seconds(10))
        #expect(view.contains(address(8890)) && view.count == MembershipView.capacity)
        view.expire(now: .milliseconds(68_500))
        #expect(view.count == 2, "only what was heard within the last 60 s: the entries of age 0 and 1 s")
    }

    @Test("each heartbeat's sample: the sender first, then the view in turn, so every entry travels")
    func sampleRotates() {
        var view = MembershipView()
        for port in 0..<6 { view.learn(rumor(7000 + 2 * port), own: nil, now: .zero) }
        let own = rumor(9000, root: me)
        var seen: Set<String> = []
        for _ in 0..<2 {
            let sample = view.sample(own: own, now: .seconds(1))
            #expect(sample.count == MembershipView.perHeartbeat && sample.first == own)
            #expect(sample.dropFirst().allSatisfy { $0.age == .seconds(1) })
            seen.formUnion(sample.dropFirst().map(\.publish))
        }
        #expect(seen.count == 6, "two heartbeats of three entries each cover all six")
    }

    @Test("a heartbeat carries at most eight rumors; more is refused")
    func boundedRumors() throws {
        let heartbeat = Heartbeat(root: me, depth: 0, rumors: (0..<9).map { rumor(7000 + 2 * $0) })
        #expect(throws: FormatError.self) { try Heartbeat(decoding: heartbeat.encoded) }
        let fine = Heartbeat(root: me, depth: 0, rumors: (0..<8).map { rumor(7000 + 2 * $0, age: .milliseconds(1200)) })
        #expect(try Heartbeat(decoding: fine.encoded) == fine)
    }

    @Test("a rumor's age round-trips in whole tenths of a second, also where a Double quotient is inexact (fuzzer find)")
    func rumorAgeRoundTrips() throws {
        for tenths: Int64 in [0, 1, 12, 999_423, 1 << 20] {
            let heartbeat = Heartbeat(root: me, depth: 0, rumors: [rumor(7000, age: .milliseconds(tenths * 100))])
            #expect(try Heartbeat(decoding: heartbeat.encoded) == heartbeat)
        }
        let tooOld = Heartbeat(root: me, depth: 0, rumors: [rumor(7000, age: .seconds(1 << 30))])
        #expect(try Heartbeat(decoding: tooOld.encoded).rumors.first?.age == .milliseconds(100 << 20), "clamped to the largest age a decoder takes")
        let negative = Heartbeat(root: me, depth: 0, rumors: [rumor(7000, age: .milliseconds(-5))])
        #expect(try Heartbeat(decoding: negative.encoded).rumors.first?.age == .zero)
    }

    func joined(to parent: ReplicaID, at parentEndpoints: Endpoints, rumors: [MembershipView.Rumor]) -> NodeCore {
        var node = NodeCore(configuration: NodeConfiguration(id: me, endpoints: Endpoints(publish: address(9000), pull: address(9001)), join: [parentEndpoints.publish]))
        _ = node.start(now: .zero)
        _ = node.receiveBeacon(Beacon(node: parent, endpoints: parentEndpoints, root: parent, term: 0, depth: 0), now: .zero)
        let welcome = Welcome(rank: 0, root: parent, depth: 1, grandparent: nil, siblings: [], documents: [], path: [parent])
        _ = node.receive(WireMessage(topic: .node(me), header: MessageHeader(type: .welcome, origin: parent, sender: parent, lamport: 0, term: 0), payload: welcome.encoded), via: .subscriber, now: .milliseconds(1))
        let heartbeat = Heartbeat(root: parent, depth: 0, children: [ChildEntry(id: me, endpoints: nil, rank: 0)], path: [parent], rumors: rumors)
        _ = node.receive(WireMessage(topic: .tree, header: MessageHeader(type: .heartbeat, origin: parent, sender: parent, lamport: 0, term: 0), payload: heartbeat.encoded), via: .subscriber, now: .milliseconds(50))
        return node
    }

    @Test("after its tree splits, a root probes the members gossip placed under the old root: the ones it can no longer count as its own")
    func rootProbesTheOtherSide() {
        let parentEndpoints = Endpoints(publish: address(7100), pull: address(7101))
        var node = joined(to: oldRoot, at: parentEndpoints, rumors: [rumor(7100, root: oldRoot), rumor(7200, root: oldRoot, age: .seconds(1))])
        #expect(node.membership.count == 2)
        // Joined, in the same tree as every entry: nothing gossip adds to probe.
        #expect(node.probeSeeds(now: .seconds(1)) == [parentEndpoints.publish])
        // The parent dies and nobody else is left: root of a new term, the old tree's members elsewhere.
        _ = node.parentDied(now: .seconds(2))
        #expect(node.role == .root)
        #expect(node.probeSeeds(now: .seconds(2)).contains(address(7200)))
        var probed: [String] = []
        for step in 0..<12 {
            for directive in node.tick(now: .seconds(2) + .milliseconds(500 * step), digests: { [] }) {
                if case .node(.probe(let target?)) = directive { probed.append(target) }
            }
        }
        #expect(probed.contains(address(7200)), "probed \(probed)")
    }

    @Test("a joined node whose root does not merge within 2 s probes the winning tree itself and moves its subtree there")
    func subtreeMergesFirst() {
        let parentEndpoints = Endpoints(publish: address(7100), pull: address(7101))
        let winner = ReplicaID(deterministicFrom: "winner")
        let winnerEndpoints = Endpoints(publish: address(7300), pull: address(7301))
        // The winner's address is in the view, so its invitation from outside is taken.
        var node = joined(to: oldRoot, at: parentEndpoints, rumors: [rumor(7300, root: winner)])
        let invitation = MergeInvitation(root: winner, endpoints: winnerEndpoints, term: 4)
        let message = WireMessage(topic: .node(me), header: MessageHeader(type: .mergeInvitation, origin: winner, sender: winner, lamport: 0, term: 4), payload: invitation.encoded)
        let relayed = node.receive(message, via: .puller, now: .milliseconds(100))
        #expect(relayed.contains { if case .node(.push(let up)) = $0 { up.header.type == .mergeInvitation } else { false } }, "passed up to the root first")
        // Its root never merges (it cannot reach the winner). Two seconds on, this node looks itself.
        var probed = false
        var now = Duration.milliseconds(150)
        while now < .milliseconds(2600) && !probed {
            // The parent is alive all along.
            let heartbeat = Heartbeat(root: oldRoot, depth: 0, children: [ChildEntry(id: me, endpoints: nil, rank: 0)], path: [oldRoot])
            _ = node.receive(WireMessage(topic: .tree, header: MessageHeader(type: .heartbeat, origin: oldRoot, sender: oldRoot, lamport: 0, term: 0), payload: heartbeat.encoded), via: .subscriber, now: now)
            // Probes before the patience is over are the regular schedule's (the view names the
            // winner elsewhere): unanswered here, they expire.
            probed = node.tick(now: now, digests: { [] }).contains(.node(.probe(winnerEndpoints.publish))) && now >= .milliseconds(2100)
            if !probed { now += .milliseconds(50) }
        }
        #expect(probed, "probed by \(now)")
        let out = node.receiveProbeBeacon(Beacon(node: winner, endpoints: winnerEndpoints, root: winner, term: 4, depth: 0), now: now)
        #expect(out.contains(.node(.event(.parentLost(oldRoot, reason: .merging)))))
        #expect(out.contains(.node(.connectSubscriber(winnerEndpoints.publish))))
        #expect(node.counters.merges == 1)
    }
}
