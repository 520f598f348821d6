import Testing
@testable import ZincCore
@testable import ZincProtocol

/// UDP discovery (docs/protocol.md, "Discovery"): the datagrams, what a node keeps of what it
/// hears, and what a heard tree makes it do.
@Suite("Discovery")
struct DiscoveryTests {
    let me = ReplicaID(deterministicFrom: "me")
    func node(_ name: String) -> ReplicaID { ReplicaID(deterministicFrom: name) }
    func endpoints(_ port: Int, host: String = "127.0.0.1") -> Endpoints {
        Endpoints(publish: "tcp://\(host):\(port)", pull: "tcp://\(host):\(port + 1)")
    }
    let local = DatagramSource(host: "127.0.0.1", port: 7670)

    func announcement(_ name: String, root: String? = nil, term: UInt64 = 0, depth: UInt32 = 0, children: UInt32 = 0, fanout: UInt32 = 8, port: Int, cluster: String = "notes") -> Announcement {
        Announcement(cluster: cluster, node: node(name), root: node(root ?? name), term: term, depth: depth, children: children, fanout: fanout, endpoints: endpoints(port))
    }

    func datagram(_ announcement: Announcement) -> [UInt8] { DiscoveryDatagram.announcement(announcement).encoded }

    // MARK: - Datagrams

    @Test("every kind round-trips; a survey is padded with zeros to 256 bytes")
    func roundTrips() throws {
        let samples: [DiscoveryDatagram] = [
            .announcement(announcement("a", root: "r", term: 3, depth: 2, children: 5, port: 7000)),
            .survey(Survey(cluster: "", nonce: 42)),
            .survey(Survey(cluster: "notes", nonce: .max)),
            .answer(SurveyAnswer(
                nonce: 7, cluster: "notes", node: node("a"), role: .host, parent: node("r"), children: 2, root: node("r"), term: 1, depth: 1,
                endpoints: endpoints(7000), documentCount: 3, documents: ["a", "b"])),
            .answer(SurveyAnswer(
                nonce: 7, cluster: "notes", node: node("c"), role: .client, parent: nil, children: 0, root: node("c"), term: 0, depth: 0,
                endpoints: nil, documentCount: 9, documents: [])),
        ]
        for sample in samples {
            let bytes = sample.encoded
            #expect(try DiscoveryDatagram(decoding: bytes) == sample)
            #expect(bytes.count <= DiscoveryDatagram.maxSize)
            #expect(Array(bytes.prefix(4)) == [0x5A, 0x4E, 0x44, 1])
        }
        let survey = DiscoveryDatagram.survey(Survey(cluster: "notes", nonce: 1)).encoded
        #expect(survey.count == 256 && survey.suffix(200).allSatisfy { $0 == 0 })
    }

    @Test("hostile datagrams are refused, never trapping: oversized, foreign, short surveys, dirty padding, trailing bytes, bad names")
    func hostile() {
        func refused(_ bytes: [UInt8], _ comment: Comment) {
            #expect(throws: FormatError.self, comment) { try DiscoveryDatagram(decoding: bytes) }
        }
        let good = datagram(announcement("a", port: 7000))
        refused(good + [0], "trailing byte")
        refused(good + [UInt8](repeating: 0, count: 1400), "oversized")
        refused([UInt8]("ZRE".utf8) + [1] + [UInt8](repeating: 0, count: 18), "a ZRE beacon")
        refused([0x5A, 0x4E, 0x44, 2, 1], "version 2")
        refused([0x5A, 0x4E, 0x44, 1, 9], "kind 9")
        var survey = DiscoveryDatagram.survey(Survey(cluster: "notes", nonce: 1)).encoded
        refused(Array(survey.prefix(200)), "a survey shorter than 256 bytes")
        survey[255] = 1
        refused(survey, "padding that is not zero")
        refused(datagram(announcement("a", port: 7000, cluster: String(repeating: "x", count: 65))), "a 65-byte cluster name")
        refused(datagram(announcement("a", fanout: 0, port: 7000)), "fan-out 0")
        var overlisted = SurveyAnswer(nonce: 1, cluster: "notes", node: node("a"), role: .root, parent: nil, children: 0, root: node("a"), term: 0, depth: 0, endpoints: nil, documentCount: 1, documents: ["a", "b"])
        refused(DiscoveryDatagram.answer(overlisted).encoded, "more documents listed than counted")
        overlisted.documents = ["a"]
        #expect((try? DiscoveryDatagram(decoding: DiscoveryDatagram.answer(overlisted).encoded)) != nil)
        // Every truncation and every single-byte change of a valid datagram decodes or throws.
        for cut in 0..<good.count { _ = try? DiscoveryDatagram(decoding: Array(good.prefix(cut))) }
        for index in good.indices {
            for value: UInt8 in [0, 0x7F, 0x80, 0xFF] {
                var mutated = good
                mutated[index] = value
                _ = try? DiscoveryDatagram(decoding: mutated)
            }
        }
    }

    @Test("an answer lists the documents that fit in one datagram, and counts them all")
    func answerListsWhatFits() throws {
        var answer = SurveyAnswer(nonce: 1, cluster: "notes", node: node("a"), role: .root, parent: nil, children: 0, root: node("a"), term: 0, depth: 0, endpoints: endpoints(7000), documentCount: 0, documents: [])
        let names = (0..<400).map { "document-\($0)" }
        answer.list(names)
        let bytes = DiscoveryDatagram.answer(answer).encoded
        #expect(answer.documentCount == 400 && answer.documents.count > 50 && answer.documents.count < 400)
        #expect(bytes.count <= DiscoveryDatagram.maxSize && bytes.count > DiscoveryDatagram.maxSize - 20)
        #expect(try DiscoveryDatagram(decoding: bytes) == .answer(answer))
    }

    @Test("announced endpoints as the hearer can reach them: wildcards take the source's address, loopback only from loopback")
    func reachability() {
        let remote = DatagramSource(host: "10.0.0.7", port: 7670)
        #expect(endpoints(7000, host: "0.0.0.0").reachable(from: remote) == endpoints(7000, host: "10.0.0.7"))
        #expect(endpoints(7000, host: "*").reachable(from: local) == endpoints(7000))
        #expect(endpoints(7000).reachable(from: remote) == nil)
        #expect(endpoints(7000).reachable(from: local) == endpoints(7000))
        #expect(endpoints(7000, host: "10.0.0.9").reachable(from: remote) == endpoints(7000, host: "10.0.0.9"))
        #expect(Endpoints(publish: "ipc:///tmp/a", pull: "ipc:///tmp/a.pull").reachable(from: remote) == nil)
        #expect(Endpoints(publish: "ipc:///tmp/a", pull: "ipc:///tmp/a.pull").reachable(from: local) != nil)
    }

    // MARK: - The view

    @Test("the view: its own cluster only, never itself, ten datagrams a second per sender, a thousand in all, at most 256 announcers")
    func view() {
        var view = DiscoveryView(settings: .init(cluster: "notes"), now: .zero)
        #expect(view.receive(datagram(announcement("x", port: 7000, cluster: "other")), from: local, own: me, now: .zero) == .nothing)
        #expect(view.counters.otherCluster == 1)
        #expect(view.receive(datagram(Announcement(cluster: "notes", node: me, root: me, term: 0, depth: 0, children: 0, fanout: 8, endpoints: endpoints(7000))), from: local, own: me, now: .zero) == .nothing)
        // One node announcing ten times in an instant is within its budget; the eleventh is not.
        let chatty = datagram(announcement("chatty", port: 7002))
        for index in 0..<10 {
            guard case .announcement = view.receive(chatty, from: local, own: me, now: .zero) else {
                Issue.record("announcement \(index) refused")
                return
            }
        }
        #expect(view.receive(chatty, from: local, own: me, now: .zero) == .nothing)
        #expect(view.counters.dropped == 1 && view.counters.heard == 10)
        // Other nodes of the same machine (the same loopback address) have budgets of their own,
        // and a second later the chatty one has one again.
        #expect(view.receive(datagram(announcement("b", port: 7200)), from: local, own: me, now: .zero) != .nothing)
        #expect(view.receive(chatty, from: local, own: me, now: .seconds(1)) != .nothing)
        let other = DatagramSource(host: "127.0.0.2", port: 7670)
        // A flood of forged node IDs meets the budget of all senders together.
        var taken = 0
        for index in 0..<1_200 {
            if view.receive(datagram(announcement("forged \(index)", port: 9000)), from: other, own: me, now: .seconds(1)) != .nothing { taken += 1 }
        }
        #expect(taken < 1_000 && taken > 900, "\(taken) of 1,200 in one instant")
        // A flood of announcers from many addresses: the table stays bounded.
        for index in 0..<600 {
            let source = DatagramSource(host: "10.1.\(index / 200).\(index % 200)", port: 7670)
            _ = view.receive(datagram(announcement("n\(index)", port: 8000)), from: DatagramSource(host: source.host, port: 7670), own: me, now: .seconds(2))
        }
        #expect(view.heard.count <= 256)
        // Garbage is dropped and counted.
        #expect(view.receive([1, 2, 3], from: other, own: me, now: .seconds(3)) == .nothing)
        #expect(view.counters.lastProblem?.contains("discovery datagram") == true)
    }

    @Test("the host to join: the least loaded with room, shallower first; the shallowest when all are full; the silent forgotten")
    func hostChoice() {
        var view = DiscoveryView(settings: .init(cluster: "notes"), now: .zero)
        let heard = [
            announcement("root", children: 8, fanout: 8, port: 7000),
            announcement("h1", root: "root", depth: 1, children: 3, port: 7002),
            announcement("h2", root: "root", depth: 1, children: 1, port: 7004),
            announcement("h3", root: "root", depth: 2, children: 1, port: 7006),
            announcement("other", children: 0, port: 7008),
        ]
        for (index, announcement) in heard.enumerated() {
            _ = view.receive(datagram(announcement), from: DatagramSource(host: "127.0.0.\(index + 1)", port: 7670), own: me, now: .zero)
        }
        #expect(view.host(inTreeOf: node("root"), now: .zero)?.node == node("h2"))
        // h1, h2 and h3 go silent; the full root is all that is left.
        _ = view.receive(datagram(heard[0]), from: DatagramSource(host: "127.0.0.1", port: 7670), own: me, now: .seconds(3))
        #expect(view.host(inTreeOf: node("root"), now: .seconds(4))?.node == node("root"))
        #expect(view.host(inTreeOf: node("nobody"), now: .zero) == nil)
    }

    @Test("announcements go out at start, every second, and a quarter second after a change")
    func announcementSchedule() {
        var view = DiscoveryView(settings: .init(cluster: "notes"), now: .zero)
        let mine = announcement("me", port: 7000)
        check(view.shouldAnnounce(mine, now: .zero))
        check(!view.shouldAnnounce(mine, now: .milliseconds(999)))
        #expect(view.nextAnnouncement(mine) == .seconds(1))
        var changed = mine
        changed.children = 1
        #expect(view.nextAnnouncement(changed) == .milliseconds(250))
        check(view.shouldAnnounce(changed, now: .milliseconds(250)))
        #expect(view.counters.announced == 2)
    }

    // MARK: - What a node does with it

    func machine(children: Int = 0, fanout: Int = 8) -> NodeMachine {
        var configuration = NodeConfiguration(id: me, endpoints: endpoints(9000))
        configuration.discovery = .init(cluster: "notes")
        configuration.fanout = fanout
        var machine = NodeMachine(configuration: configuration)
        _ = machine.start(now: .zero)
        for index in 0..<children {
            let child = node("child \(index)")
            let join = WireMessage(
                topic: .node(child), header: MessageHeader(type: .join, origin: child, sender: child, lamport: 0, term: 0),
                payload: JoinRequest(endpoints: endpoints(9100 + 2 * index), interest: .all).encoded)
            _ = machine.receive(join, via: .puller, now: .zero)
        }
        return machine
    }

    func hear(_ announcement: Announcement, by machine: inout NodeMachine, from host: String = "127.0.0.1", at now: Duration = .milliseconds(10)) -> [NodeDirective] {
        machine.receiveDatagram(datagram(announcement), from: DatagramSource(host: host, port: 7670), now: now)
    }

    @Test("a lone node joins a tree it hears one interval later, through its least loaded host, whatever the ranks")
    func loneNodeJoins() {
        var lone = machine()
        #expect(hear(announcement("root", term: 0, children: 2, port: 7000), by: &lone, from: "127.0.0.2").isEmpty)
        #expect(hear(announcement("h1", root: "root", depth: 1, children: 0, port: 7002), by: &lone, from: "127.0.0.3", at: .milliseconds(600)).isEmpty)
        #expect(lone.nextDeadline(now: .milliseconds(600)) <= .milliseconds(1010))
        #expect(!lone.tick(now: .milliseconds(900)).contains(.connectSubscriber("tcp://127.0.0.1:7002")))
        let out = lone.tick(now: .milliseconds(1010))
        #expect(out.contains(.connectSubscriber("tcp://127.0.0.1:7002")), "the least loaded host of that tree")
        #expect(out.contains(.event(.discovered(root: node("root"), host: node("h1")))))
        #expect(lone.core.parentLink == .connecting("tcp://127.0.0.1:7002"))
    }

    @Test("a host that never lets the node in (a forged announcement, a wrong key) is passed over for 30 s")
    func unreachableHostsPassedOver() {
        var lone = machine()
        let forged = announcement("forged", term: 99, children: 3, port: 7000)
        let real = announcement("real", term: 0, children: 1, port: 7010)
        _ = hear(forged, by: &lone, from: "127.0.0.2")
        _ = hear(real, by: &lone, from: "127.0.0.3")
        #expect(lone.tick(now: .milliseconds(1010)).contains(.connectSubscriber("tcp://127.0.0.1:7000")), "the tree that ranks highest first")
        // No beacon within the seed timeout: back to standing alone, and the forged host is avoided.
        _ = lone.tick(now: .milliseconds(2100))
        #expect(lone.core.parentLink == .none)
        _ = hear(forged, by: &lone, from: "127.0.0.2", at: .milliseconds(2200))
        _ = hear(real, by: &lone, from: "127.0.0.3", at: .milliseconds(2200))
        #expect(lone.tick(now: .milliseconds(3300)).contains(.connectSubscriber("tcp://127.0.0.1:7010")))
        #expect(lone.core.discovery?.isAvoided("tcp://127.0.0.1:7000", now: .seconds(31)) == true)
        #expect(lone.core.discovery?.isAvoided("tcp://127.0.0.1:7000", now: .seconds(33)) == false)
    }

    @Test("two lone nodes: the one that ranks lower joins the other, never both")
    func loneNodesPair() {
        let other = announcement("other", port: 7000)
        var lone = machine()
        _ = hear(other, by: &lone)
        let out = lone.tick(now: .milliseconds(1010))
        let otherWins = (UInt64(0), node("other")) > (UInt64(0), me)
        #expect(out.contains(.connectSubscriber("tcp://127.0.0.1:7000")) == otherWins)
    }

    @Test("a tree never moves under a node that has only just appeared; it merges with a winning tree by probing it first")
    func treesMergeByProbing() {
        var root = machine(children: 1)
        #expect(hear(announcement("newcomer", term: 9, port: 7000), by: &root).isEmpty, "a lone announcer is left to find its own way in")
        #expect(root.core.parentLink == .none)
        // A tree with members that outranks ours: probed at once (the beacon the probe reads decides).
        let rival = announcement("rival", term: 5, children: 2, port: 7010)
        #expect(hear(rival, by: &root).isEmpty)
        let tick = root.tick(now: .milliseconds(20))
        #expect(tick.contains(.probe("tcp://127.0.0.1:7010")))
        #expect(root.core.parentLink == .none, "an announcement alone never moves a tree")
        // One that our tree outranks is only remembered, not probed ahead of the schedule.
        let loserName = (0..<4096).map { "loser \($0)" }.first { node($0) < me } ?? "loser"
        #expect(node(loserName) < me)
        var winner = machine(children: 1)
        _ = hear(announcement(loserName, term: 0, children: 2, port: 7020), by: &winner)
        #expect(!winner.tick(now: .milliseconds(20)).contains(.probe("tcp://127.0.0.1:7020")))
    }

    @Test("surveys are answered with the node's place and documents (names withheld when asked to), within the answer budget")
    func surveys() throws {
        var answering = machine(children: 1)
        _ = answering.open("notes/today", now: .zero)
        let asker = DatagramSource(host: "127.0.0.9", port: 40000)
        let survey = DiscoveryDatagram.survey(Survey(cluster: "notes", nonce: 99)).encoded
        let out = answering.receiveDatagram(survey, from: asker, now: .milliseconds(5))
        guard case .sendDatagram(let bytes, let destination)? = out.first, case .answer(let answer) = try DiscoveryDatagram(decoding: bytes) else {
            Issue.record("no answer: \(out)")
            return
        }
        #expect(destination == asker)
        #expect(answer.nonce == 99 && answer.node == me && answer.role == .root && answer.children == 1 && answer.documents == ["notes/today"] && answer.documentCount == 1)
        #expect(answering.receiveDatagram(DiscoveryDatagram.survey(Survey(cluster: "other", nonce: 1)).encoded, from: asker, now: .milliseconds(6)).isEmpty)

        var configuration = NodeConfiguration(id: me, endpoints: endpoints(9000))
        configuration.discovery = .init(cluster: "notes")
        configuration.discovery?.revealsDocuments = false
        var keyed = NodeMachine(configuration: configuration)
        _ = keyed.open("secret", now: .zero)
        // Twenty answers a second, from however many askers.
        var answers: [SurveyAnswer] = []
        for index in 0..<30 {
            let from = DatagramSource(host: "127.0.1.\(index)", port: 40000)
            for directive in keyed.receiveDatagram(survey, from: from, now: .milliseconds(10)) {
                if case .sendDatagram(let bytes, _) = directive, case .answer(let answer) = try DiscoveryDatagram(decoding: bytes) { answers.append(answer) }
            }
        }
        #expect(answers.count == 20)
        #expect(answers.allSatisfy { $0.documents.isEmpty && $0.documentCount == 1 })
    }

    @Test("a node with discovery on announces at start and sleeps no longer than its next announcement")
    func announcesOnTicks() throws {
        var machine = machine()
        let first = machine.tick(now: .milliseconds(1))
        guard case .broadcast(let bytes)? = first.first(where: { if case .broadcast = $0 { true } else { false } }),
              case .announcement(let announcement) = try DiscoveryDatagram(decoding: bytes)
        else {
            Issue.record("no announcement in \(first)")
            return
        }
        #expect(announcement.node == me && announcement.root == me && announcement.cluster == "notes" && announcement.endpoints == endpoints(9000))
        #expect(machine.nextDeadline(now: .milliseconds(2)) <= .milliseconds(1001))
    }
}
