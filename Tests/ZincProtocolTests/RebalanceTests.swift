import Testing
@testable import ZincCore
@testable import ZincProtocol

/// A successor that adopted its siblings beyond its fan-out moves the excess down once settled.
@Suite("Rebalancing after failover")
struct RebalanceTests {
    let hostID = ReplicaID(deterministicFrom: "successor")
    let hostEndpoints = Endpoints(publish: "tcp://127.0.0.1:7000", pull: "tcp://127.0.0.1:7001")

    /// Children 0...3 with subtree sizes 5, 1, 3, 2; child 3 cannot host.
    var childIDs: [ReplicaID] { (0..<4).map { ReplicaID(deterministicFrom: "child \($0)") } }
    let subtrees: [UInt32] = [5, 1, 3, 2]
    func endpoints(_ index: Int) -> Endpoints? {
        index == 3 ? nil : Endpoints(publish: "tcp://127.0.0.1:\(7100 + 2 * index)", pull: "tcp://127.0.0.1:\(7101 + 2 * index)")
    }

    func message(_ type: MessageType, from sender: ReplicaID, _ payload: [UInt8]) -> WireMessage {
        WireMessage(topic: .node(sender), header: MessageHeader(type: type, origin: sender, sender: sender, lamport: 0, term: 1), payload: payload)
    }

    func redirects(_ directives: [CoreDirective]) -> [(to: Topic, Redirect)] {
        directives.compactMap {
            guard case .publish(let message) = $0.shellDirective, message.header.type == .redirect, let redirect = try? Redirect(decoding: message.payload) else { return nil }
            return (message.topic, redirect)
        }
    }

    /// A host with fan-out 2 that accepted four children after a failover, heartbeats flowing.
    func overfullHost() -> NodeCore {
        var configuration = NodeConfiguration(id: hostID, endpoints: hostEndpoints)
        configuration.fanout = 2
        var host = NodeCore(configuration: configuration)
        _ = host.start(now: .zero)
        for (index, child) in childIDs.enumerated() {
            let join = JoinRequest(endpoints: endpoints(index), interest: .all, subtreeSize: subtrees[index], afterFailover: true)
            _ = host.receive(message(.join, from: child, join.encoded), via: .puller, now: .zero)
            _ = host.subscriptionChanged(Topic.node(child).bytes, subscribed: true, now: .zero)
        }
        return host
    }

    /// Runs the host's timers every 100 ms until `end`, every child heartbeating; returns the
    /// redirects it sent and when.
    func run(_ host: inout NodeCore, from start: Duration, to end: Duration) -> [(at: Duration, to: Topic, Redirect)] {
        var sent: [(at: Duration, to: Topic, Redirect)] = []
        var now = start
        while now <= end {
            for (index, child) in childIDs.enumerated() where host.childIDs.contains(child) {
                let beat = Heartbeat(root: hostID, depth: 1, subtreeSize: subtrees[index])
                _ = host.receive(message(.heartbeat, from: child, beat.encoded), via: .puller, now: now)
            }
            sent += redirects(host.tick(now: now, digests: { [] })).map { (now, $0.to, $0.1) }
            now += .milliseconds(100)
        }
        return sent
    }

    @Test("excess children move, smallest subtree first, under the least-loaded child that can host; never before the delay")
    func shedsExcessChildren() throws {
        var host = overfullHost()
        #expect(host.childIDs.count == 4)
        // Nothing moves while the children are new (a failover's stragglers may still arrive).
        #expect(run(&host, from: .zero, to: .milliseconds(1_900)).isEmpty)

        let moves = run(&host, from: .seconds(2), to: .seconds(6))
        #expect(moves.count == 2)
        #expect(host.childIDs.count == 2)
        #expect(host.counters.rebalances == 2)
        // First the smallest subtree (child 1, size 1) under the least-loaded host (child 2, size 3 —
        // child 3 is smaller but cannot host).
        let first = try #require(moves.first)
        #expect(first.to == .node(childIDs[1]))
        let target = try #require(endpoints(2))
        #expect(first.2 == Redirect(target: childIDs[2], endpoints: target))
        // Then the next smallest (child 3, size 2) — one move per second.
        let second = try #require(moves.last)
        #expect(second.to == .node(childIDs[3]))
        #expect(second.at - first.at >= .seconds(1))
        #expect(Set(host.childIDs) == [childIDs[0], childIDs[2]])
        // At the fan-out it stays put.
        #expect(run(&host, from: .seconds(6), to: .seconds(10)).isEmpty)
    }

    @Test("when the smallest subtree is the only child that can host, a client moves under it instead")
    func onlyOneChildCanHost() throws {
        var configuration = NodeConfiguration(id: hostID, endpoints: hostEndpoints)
        configuration.fanout = 2
        var host = NodeCore(configuration: configuration)
        _ = host.start(now: .zero)
        // Clients 0 and 1 (subtrees 2 and 3) first, then the only possible host, child 2 (subtree 1).
        let sizes: [UInt32] = [2, 3, 1]
        for index in 0..<3 {
            let join = JoinRequest(endpoints: index == 2 ? endpoints(2) : nil, interest: .all, subtreeSize: sizes[index], afterFailover: true)
            _ = host.receive(message(.join, from: childIDs[index], join.encoded), via: .puller, now: .zero)
            _ = host.subscriptionChanged(Topic.node(childIDs[index]).bytes, subscribed: true, now: .zero)
        }
        var moves: [(to: Topic, Redirect)] = []
        var now = Duration.zero
        while now <= .seconds(4) {
            for index in 0..<3 where host.childIDs.contains(childIDs[index]) {
                _ = host.receive(message(.heartbeat, from: childIDs[index], Heartbeat(root: hostID, depth: 1, subtreeSize: sizes[index]).encoded), via: .puller, now: now)
            }
            moves += redirects(host.tick(now: now, digests: { [] }))
            now += .milliseconds(100)
        }
        let target = try #require(endpoints(2))
        #expect(moves.count == 1)
        #expect(moves.first?.to == .node(childIDs[0]))
        #expect(moves.first?.1 == Redirect(target: childIDs[2], endpoints: target))
        #expect(Set(host.childIDs) == [childIDs[1], childIDs[2]])
    }

    @Test("a joined child told to move drops its parent and joins the target")
    func movedChildJoinsTarget() throws {
        let childID = childIDs[1]
        var child = NodeCore(configuration: NodeConfiguration(id: childID, endpoints: endpoints(1), join: [hostEndpoints.publish]))
        _ = child.start(now: .zero)
        _ = child.receiveBeacon(Beacon(node: hostID, endpoints: hostEndpoints, root: hostID, term: 1, depth: 0), now: .zero)
        let welcome = Welcome(rank: 1, root: hostID, depth: 1, grandparent: nil, siblings: [], documents: [], path: [hostID])
        _ = child.receive(message(.welcome, from: hostID, welcome.encoded), via: .subscriber, now: .zero)
        #expect(child.parentID == hostID)

        let target = try #require(endpoints(2))
        let moved = child.receive(message(.redirect, from: hostID, Redirect(target: childIDs[2], endpoints: target).encoded), via: .subscriber, now: .seconds(3))
        #expect(child.parentID == nil)
        #expect(moved.contains(.disconnectParent))
        #expect(moved.contains(.connectSubscriber(target.publish)))
    }

    @Test("a host still re-attaching to its own parent does not move children")
    func noMovesWhileJoining() {
        var host = overfullHost()
        let grandparent = Endpoints(publish: "tcp://127.0.0.1:7900", pull: "tcp://127.0.0.1:7901")
        _ = host.connect(toPublish: grandparent.publish, now: .seconds(1))
        let beacon = Beacon(node: ReplicaID(deterministicFrom: "grandparent"), endpoints: grandparent, root: ReplicaID(deterministicFrom: "grandparent"), term: 1, depth: 0)
        _ = host.receiveBeacon(beacon, now: .seconds(1))
        #expect(host.parentState.hasPrefix("joining"))
        #expect(run(&host, from: .seconds(2), to: .milliseconds(2_900)).isEmpty)
        #expect(host.childIDs.count == 4)
    }
}
