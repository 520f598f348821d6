import Testing
@testable import ZincCore
@testable import ZincProtocol

/// The values NodeCore is made of, each alone.
@Suite("Node parts")
struct NodePartsTests {
    let node = ReplicaID(deterministicFrom: "node")
    func child(_ index: Int) -> ReplicaID { ReplicaID(deterministicFrom: "child \(index)") }
    func endpoints(_ index: Int) -> Endpoints { Endpoints(publish: "tcp://127.0.0.1:\(7100 + 2 * index)", pull: "tcp://127.0.0.1:\(7101 + 2 * index)") }

    @Test("child table: ranks in join order, welcome once subscribed, least loaded host counts redirected joiners")
    func childTable() {
        var table = ChildTable()
        // Subscribed before it joined: welcome at once.
        check(!table.noteSubscription(child(0), subscribed: true))
        check(table.admit(child(0), request: JoinRequest(endpoints: endpoints(0), interest: .all, subtreeSize: 3), detector: .init(), now: .zero))
        check(!table.admit(child(1), request: JoinRequest(endpoints: endpoints(1), interest: .all, subtreeSize: 1), detector: .init(), now: .zero))
        #expect(table.entries.map(\.rank) == [0, 1] && table.entries.map(\.id) == [child(0), child(1)])
        check(table.noteSubscription(child(1), subscribed: true), "child 1 waits for its welcome")
        check(table.markWelcomed(child(0)) && table.markWelcomed(child(1)) && !table.markWelcomed(child(2)))
        check(!table.noteSubscription(child(1), subscribed: true), "already welcomed")
        #expect(table.descendants == 4)
        // Child 1 is smaller; two joiners sent its way make child 0 (3) the lighter (1 + 2 = 3, rank breaks the tie).
        #expect(table.leastLoadedHost(excluding: nil, now: .zero)?.id == child(1))
        table.noteRedirect(to: child(1), at: .zero)
        table.noteRedirect(to: child(1), at: .zero)
        #expect(table.leastLoadedHost(excluding: nil, now: .zero)?.id == child(0))
        // Two seconds on, unconfirmed joiners no longer count.
        #expect(table.leastLoadedHost(excluding: nil, now: .seconds(3))?.id == child(1))
        check(table.remove(child(0)) != nil && table.remove(child(0)) == nil)
        #expect(table.ids == [child(1)])
    }

    @Test("child table: only welcomed children die; overdue welcomes; the rebalance move waits for settled children")
    func childLiveness() {
        var table = ChildTable()
        for index in 0..<3 {
            _ = table.admit(child(index), request: JoinRequest(endpoints: endpoints(index), interest: .all, subtreeSize: UInt32(index + 1)), detector: .init(), now: .zero)
        }
        _ = table.markWelcomed(child(0))
        _ = table.markWelcomed(child(1))
        #expect(table.overdueWelcomes(after: .seconds(1), now: .milliseconds(500)).isEmpty)
        #expect(table.overdueWelcomes(after: .seconds(1), now: .seconds(1)) == [child(2)])
        #expect(table.rebalanceMove(settledFor: .seconds(2), now: .seconds(5)) == nil, "child 2 was never welcomed")
        _ = table.markWelcomed(child(2))
        table.heard(from: child(0), at: .seconds(5))
        table.heard(from: child(1), at: .seconds(5))
        table.heard(from: child(2), at: .seconds(5))
        let move = table.rebalanceMove(settledFor: .seconds(2), now: .seconds(5))
        #expect(move?.child == child(0) && move?.target == child(1), "the smallest subtree moves under the least loaded other")
        #expect(table.dead(now: .seconds(60)) == [child(0), child(1), child(2)].sorted())
    }

    @Test("application router: each message delivered once, relayed by its routing, and remembered within a window per origin")
    func applicationRouter() throws {
        var children = ChildTable()
        _ = children.admit(child(0), request: JoinRequest(endpoints: nil, interest: .all), detector: .init(), now: .zero)
        var router = ApplicationRouter(window: 64, origins: 2)
        let origin = ReplicaID(deterministicFrom: "origin")
        func message(_ sequence: UInt64, _ routing: Routing) -> (ApplicationMessage, WireMessage) {
            let application = ApplicationMessage(channel: "c", routing: routing, sequence: sequence, body: [])
            return (application, WireMessage(topic: .application("c"), header: MessageHeader(type: .application, origin: origin, sender: origin, lamport: 0, term: 0), payload: application.encoded))
        }
        let (first, wire) = message(1, .broadcast)
        // From a child: delivered, and relayed to the other children and the parent.
        let out = router.receive(first, message: wire, from: .child(child(0)), at: node, isJoined: true, children: children)
        #expect(out.count == 3)
        #expect(out.first == .deliver(first, origin: origin))
        check(router.receive(first, message: wire, from: .parent, at: node, isJoined: true, children: children).isEmpty)
        for sequence: UInt64 in 2...3 {
            let (next, nextWire) = message(sequence, .up)
            check(router.receive(next, message: nextWire, from: .parent, at: node, isJoined: true, children: children) == [.deliver(next, origin: origin)])
        }
        #expect(router.rememberedOrigins == 1)
        // 64 numbers on, message 1 has left the window: it is delivered again.
        let (later, laterWire) = message(65, .up)
        check(router.receive(later, message: laterWire, from: .parent, at: node, isJoined: true, children: children) == [.deliver(later, origin: origin)])
        check(router.receive(first, message: wire, from: .parent, at: node, isJoined: false, children: children).contains(.deliver(first, origin: origin)))
        // Past the hop limit it is delivered but not relayed.
        var tired = first
        tired.sequence = 9
        tired.hops = ApplicationRouter.maxHops
        check(router.receive(tired, message: message(9, .broadcast).1, from: .parent, at: node, isJoined: true, children: children) == [.deliver(tired, origin: origin)])
        // Its own message coming back is dropped.
        let own = router.send(channel: "c", routing: .broadcast, body: [], from: node, term: 0, isJoined: true, children: children)
        guard case .publish(let sent) = own.first else {
            Issue.record("a broadcast with children goes down")
            return
        }
        let echo = try ApplicationMessage(decoding: sent.payload)
        check(router.receive(echo, message: sent, from: .parent, at: node, isJoined: true, children: children).isEmpty)
        // Its own numbers take no room from other nodes' in the memory.
        _ = router.send(channel: "c", routing: .up, body: [], from: node, term: 0, isJoined: true, children: children)
        #expect(router.rememberedOrigins == 1)
        // A run's numbering starts where the shell says (at random, in the runtime).
        var restarted = ApplicationRouter(window: 64, origins: 2, firstSequence: 1 << 40)
        let numbered = restarted.send(channel: "c", routing: .up, body: [], from: node, term: 0, isJoined: true, children: children)
        guard case .push(let pushed) = numbered.first else {
            Issue.record("an up message with a parent is pushed")
            return
        }
        #expect(try ApplicationMessage(decoding: pushed.payload).sequence == 1 << 40)
    }

    @Test("split-brain probe: one address per interval, former parents every other time, never itself or its parent")
    func splitBrainProbe() {
        var probe = SplitBrainProbe()
        probe.remember("own", own: "own")
        probe.remember("sibling", own: "own")
        probe.remember("sibling", own: "own")
        probe.rememberFormerParent("old parent")
        #expect(probe.targets == ["sibling"])
        var now = Duration.zero + SplitBrainProbe.interval
        var probed: [String] = []
        for _ in 0..<4 {
            guard let target = probe.next(now: now, joined: false, seeds: ["seed", "parent"], own: "own", parent: "parent", isChild: { _ in false }) else {
                Issue.record("a probe is due every interval")
                return
            }
            check(probe.next(now: now, joined: false, seeds: [], own: nil, parent: nil, isChild: { _ in false }) == nil, "one at a time")
            check(!probe.expire(now: now + .milliseconds(100)))
            check(probe.expire(now: now + SplitBrainProbe.timeout))
            probed.append(target)
            now += SplitBrainProbe.interval
        }
        #expect(probed == ["seed", "old parent", "sibling", "old parent"])
        check(probe.next(now: now + .milliseconds(1), joined: true, seeds: [], own: nil, parent: nil, isChild: { _ in false }) == nil, "joined nodes probe four times less often")
        check(probe.answer() == nil)
        // An invitation's address jumps the schedule, once.
        probe.expedite("invited")
        check(probe.next(now: now + .milliseconds(2), joined: false, seeds: [], own: nil, parent: nil, isChild: { _ in false }) == "invited")
        check(probe.answer() == "invited")
        #expect(probe.knows("old parent", seeds: []) && probe.knows("sibling", seeds: []) && probe.knows("seed", seeds: ["seed"]))
        #expect(!probe.knows("invited", seeds: ["seed"]), "probing an address does not make it known")
        // A current child names this tree in its beacon: never probed, and with nothing else
        // to probe there is no deadline to wake for.
        var lone = SplitBrainProbe()
        lone.remember("child", own: "own")
        check(lone.next(now: .seconds(10), joined: false, seeds: [], own: "own", parent: nil, isChild: { $0 == "child" }) == nil)
        check(lone.nextDeadline(joined: false, own: "own", parent: nil, isChild: { $0 == "child" }, anySeed: { _ in false }) == nil)
        check(lone.nextDeadline(joined: false, own: "own", parent: nil, isChild: { $0 == "child" }, anySeed: { ["own", "seed"].contains(where: $0) }) == .seconds(0) + SplitBrainProbe.interval, "a probeable seed sets the deadline")
        check(lone.next(now: .seconds(10), joined: false, seeds: [], own: "own", parent: nil, isChild: { _ in false }) == "child", "a former child is probed")
        for index in 0..<10 { probe.rememberFormerParent("p\(index)") }
        #expect(probe.formerParents.count == SplitBrainProbe.maxFormerParents && probe.formerParents.first == "p9")
    }

    @Test("parent link: seeds in turn, a re-join after three heartbeats that do not list the node, joined as the state says")
    func parentLink() {
        var link = ParentLink()
        check(link.nextSeed(["a", "b"]) == "b")
        check(link.nextSeed(["a", "b"]) == "a")
        check(link.nextSeed([]) == nil)
        check(!link.listed(false) && !link.listed(false) && link.listed(false))
        check(!link.listed(false) && !link.listed(true) && !link.listed(false) && !link.listed(false) && link.listed(false))
        link.connect(toPublish: "p", now: .zero)
        guard case .awaitingBeacon("p", .zero) = link.state else {
            Issue.record("connecting waits for the beacon")
            return
        }
        #expect(!link.isJoined)
        let parent = ReplicaID(deterministicFrom: "parent")
        link.state = .joining(id: parent, endpoints: endpoints(0), since: .zero, lastSent: .zero)
        #expect(!link.isJoined)
        link.state = .joined(id: parent, endpoints: endpoints(0), detector: FailureDetector(settings: .init(), now: .zero))
        #expect(link.isJoined)
        link.disconnected(now: .seconds(1))
        #expect(link.isJoined, "a closed connection shortens detection; the node is still joined")
        link.suspected = true
        link.drop()
        #expect(link.state.peerID == nil && !link.suspected && !link.isJoined)
    }
}

/// `#expect` for expressions that mutate (the macro cannot capture them).
func check(_ condition: Bool, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(condition, comment, sourceLocation: sourceLocation)
}
