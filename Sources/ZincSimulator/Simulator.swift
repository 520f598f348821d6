import Foundation
import ZincCore
import ZincProtocol

/// Runs N nodes of the real protocol core (``NodeMachine``) in virtual time over a seeded,
/// faulty network, then checks what must hold after healing: identical documents on every
/// live node, no edit lost that reached a survivor, exactly one root, a tree without cycles or
/// orphans, no settled host over its fan-out. The same seed replays the same run exactly.
package enum Simulator {
    package static func run(_ configuration: SimulationConfiguration, log: ((String) -> Void)? = nil) -> SimulationResult {
        let world = World(configuration, log: log)
        world.run()
        return world.check()
    }
}

/// One node of the simulation and its simulated sockets.
struct SimulatedNode {
    let index: Int
    let id: ReplicaID
    let endpoints: Endpoints
    var join: [String]
    /// False for a client that cannot host (started without endpoints).
    var canHost = true
    /// A browser: it reaches its parent through that node's WebSocket gateway.
    var isBrowser = false
    /// A browser's current gateway connection (host, and a number that tells connections apart).
    var gatewayConnection: (host: Int, generation: Int)?
    /// The gateway connections this browser has opened: numbers them, so a close still on its way
    /// never matches a connection opened after it (as a fresh count from 1 would).
    var gatewayConnectionsOpened = 0
    var machine: NodeMachine?
    var incarnation = 0
    /// The publisher whose PUB our SUB is attached to, and the one we are connecting to.
    var subscribedTo: Int?
    var connecting: Int?
    var pushTo: Int?
    var subscriptions: Set<[UInt8]> = []
    /// The welcome frame its PUB gives new subscribers.
    var welcome: [UInt8]?
    /// Nodes whose SUB is attached to our PUB.
    var subscribers: Set<Int> = []
    /// The publisher the probe socket is connected to.
    var probing: Int?
    /// Operations each document held when this incarnation booted (exactly-once check).
    var baseline: [String: UInt64] = [:]
    /// Documents kept across a crash (the data directory), if any.
    var persisted: [String: Document] = [:]
    /// Peer addresses kept with the documents (the runtime stores them in the data directory).
    var rememberedPeers: [String] = []
    /// When this node last accepted a child (rebalancing waits for its children to settle).
    var lastChildJoined: Duration = .zero
    /// The timers, as the runtime runs them: the next tick (its generation, so a tick moved
    /// earlier by an input retires the one scheduled), the last one, and the machine's own
    /// deadline as of its last input.
    var tickGeneration = 0
    /// Nil until the machine has started (its timers run from then).
    var tickAt: Duration?
    var lastTick: Duration = .zero
    var deadline: Duration = .zero

    /// Certified runs: the node's certificate, its access rules (empty again at each boot, as
    /// a restarted process's), and, as a publisher, the subscriptions applied per subscriber
    /// (an XPUB in manual mode applies only what the rules allow).
    var certificate: NodeCertificate?
    var rules: AccessGuard?
    var applied: [Int: Set<[UInt8]>] = [:]

    var isAlive: Bool { machine != nil }
    var isReader: Bool { certificate?.role == .reader }
}

enum SimulationEvent {
    case start(Int, incarnation: Int)
    case tick(Int, incarnation: Int, generation: Int)
    case attach(subscriber: Int, incarnation: Int, publisher: Int)
    case deliver(to: Int, incarnation: Int, channel: Channel, frames: [[UInt8]], from: Int)
    case beacon(to: Int, incarnation: Int, frame: [UInt8], from: Int)
    case probeBeacon(to: Int, incarnation: Int, frame: [UInt8], publisher: Int)
    case datagram(to: Int, incarnation: Int, bytes: [UInt8], from: Int)
    case subscription(publisher: Int, incarnation: Int, prefix: [UInt8], subscribed: Bool, from: Int)
    case disconnected(Int, incarnation: Int, from: Int)
    /// A browser's WebSocket connection to a gateway closed, as the gateway sees it.
    case gatewayClosed(host: Int, browser: Int, generation: Int)
    case edit
    case crash(Int)
    case restart(Int)
    case partition(Duration)
    case heal
    case cutOneWay(Duration)
    case healOneWay
}

final class World {
    let configuration: SimulationConfiguration
    var random: SimulationRandom
    var queue = EventQueue<SimulationEvent>()
    var now: Duration = .zero
    var nodes: [SimulatedNode] = []
    var indexOfPublish: [String: Int] = [:]
    var indexOfPull: [String: Int] = [:]
    var indexOfID: [ReplicaID: Int] = [:]
    /// Gateway closes on their way to a host, by (host, browser): until one arrives, the host
    /// may still count the browser as its child.
    var closesInFlight: [[Int]: Int] = [:]
    /// Group of each node while partitioned.
    var groups: [Int]?
    /// A one-way cut: nothing from the first set of nodes reaches the second.
    var oneWay: (from: Set<Int>, to: Set<Int>, since: Duration)?
    var result: SimulationResult
    var edits: [(author: Int, replica: ReplicaID, document: String, counter: UInt64)] = []
    /// The counters of every insert made, by document and replica: the census the documents'
    /// own items are checked against (exactly once, independently of their version vectors).
    var inserts: [String: [ReplicaID: [Range<UInt64>]]] = [:]
    let logger: ((String) -> Void)?
    let documentNames: [String]
    /// Each node's shell over the virtual network, by index.
    private(set) var shells: [SimulatedShell] = []

    init(_ configuration: SimulationConfiguration, log: ((String) -> Void)?) {
        self.configuration = configuration
        self.logger = log
        random = SimulationRandom(seed: configuration.seed)
        result = SimulationResult(seed: configuration.seed)
        documentNames = (0..<max(1, configuration.documents)).map { "doc-\($0)" }
        for index in 0..<configuration.nodes {
            let id = ReplicaID.random(using: &random)
            let endpoints = Endpoints(publish: "sim://n\(index)/pub", pull: "sim://n\(index)/pull")
            // Seeds: every other node, in a per-node order, as `zinc cluster` configures them
            // (node 0 first, so the tree starts around it).
            let firstClient = configuration.nodes - min(configuration.clients, configuration.nodes - 1)
            var others = (1..<firstClient).filter { $0 != index }
            others.shuffle(using: &random)
            let seeds = index == 0 || configuration.discovery ? [] : (["sim://n0/pub"] + (configuration.singleSeed ? [] : others.map { "sim://n\($0)/pub" }))
            nodes.append(SimulatedNode(index: index, id: id, endpoints: endpoints, join: seeds, canHost: index < firstClient))
            indexOfPublish[endpoints.publish] = index
            indexOfPull[endpoints.pull] = index
            indexOfID[id] = index
        }
        // Browsers: two gateways each (a page given two URLs), among the nodes that can host.
        let hosts = configuration.nodes - min(configuration.clients, configuration.nodes - 1)
        for index in configuration.nodes..<configuration.nodes + configuration.browsers {
            let id = ReplicaID.random(using: &random)
            let gateways = (0..<hosts).shuffled(using: &random).prefix(2).map { "sim://n\($0)/pub" }
            var node = SimulatedNode(index: index, id: id, endpoints: Endpoints(publish: "sim://b\(index)/pub", pull: "sim://b\(index)/pull"), join: gateways, canHost: false)
            node.isBrowser = true
            nodes.append(node)
        }
        shells = nodes.indices.map { SimulatedShell(world: self, index: $0) }
        if configuration.certified || configuration.readers > 0 { certify() }
    }

    /// The batching role (``SimulationConfiguration/batchingRole(of:)``) of the node `id`.
    func batchingRole(of id: ReplicaID) -> SimulationConfiguration.BatchingRole? {
        indexOfID[id].flatMap { configuration.batchingRole(of: $0) }
    }

    /// The cluster's trust: one authority, derived from the seed.
    private(set) var policy = TrustPolicy(authorities: [])

    /// Gives every node a certificate: the last `readers` clients read the first document
    /// only; everyone else is a member of every document.
    private func certify() {
        guard let authority = CertificateAuthority(seed: SHA256.hash(Array("zinc simulator authority \(configuration.seed)".utf8))) else { return }
        policy = TrustPolicy(authorities: [authority.publicKey])
        let readers = min(configuration.readers, configuration.clients, configuration.nodes - 1)
        let firstReader = configuration.nodes - readers
        for index in nodes.indices {
            let isReader = index >= firstReader && index < configuration.nodes
            let documents = isReader ? [DocumentPattern(documentNames[0])].compactMap { $0 } : [DocumentPattern.all]
            nodes[index].certificate = try? authority.issue(
                nodeKey: SHA256.hash(Array("zinc simulator node \(index)".utf8)), role: isReader ? .reader : .member,
                name: "n\(index)", documents: documents, issued: 0, expires: nil)
        }
    }

    /// True if `reader` holds everything `members` hold and more, and each replica it holds
    /// more of is no live node's own (its author crashed, or restarted editing as another).
    func keptOnlyByReader(_ reader: VersionVector, beyond members: VersionVector) -> Bool {
        guard reader != members else { return false }
        let live = Set(nodes.filter(\.isAlive).compactMap { $0.machine?.documentReplica })
        for (replica, count) in reader.counters {
            if count < members[replica] || (count > members[replica] && live.contains(replica)) { return false }
        }
        return members.counters.allSatisfy { reader[$0.key] >= $0.value }
    }

    /// A document `message` names (its topic, payload, welcome list or digests) that
    /// `certificate` does not cover: what must never reach that certificate's node.
    static func uncovered(_ message: WireMessage, by certificate: NodeCertificate) -> String? {
        if let document = AccessGuard.document(of: message), !certificate.covers(document) { return document }
        switch message.header.type {
        case .welcome: return (try? Welcome(decoding: message.payload))?.documents.first { !certificate.covers($0) }
        case .heartbeat: return (try? Heartbeat(decoding: message.payload))?.digests.map(\.document).first { !certificate.covers($0) }
        default: return nil
        }
    }

    /// A certified node's lobby admits `peer` (its hello at a connection); true if admitted.
    @discardableResult
    func admit(_ peer: Int, at host: Int) -> Bool {
        guard nodes[host].rules != nil, let certificate = nodes[peer].certificate else { return true }
        if nodes[host].rules?.certificate(of: certificate.nodeKey) != nil { return true }
        let answer = nodes[host].rules?.lobby(LobbyFrame.hello(certificate: certificate.encoded).encoded, now: 1)
        if case .admitted = answer { return true }
        return false
    }

    // MARK: - Running

    func run() {
        let end = configuration.duration + configuration.settle
        for index in nodes.indices {
            var at = index == 0 ? Duration.zero : random.duration(.zero, .milliseconds(1500))
            if let late = configuration.lateJoinerAt, index == nodes.count - 1 { at = late }
            boot(index, at: at)
        }
        scheduleEdits()
        scheduleFaults()
        queue.push(.heal, at: configuration.duration)
        while let (time, event) = queue.pop(), time <= end {
            now = time
            result.events += 1
            handle(event)
            // An event is one turn of the nodes it touched: their batches leave now.
            if configuration.batching { for shell in shells { shell.transport.flush() } }
        }
        now = end
    }

    private func boot(_ index: Int, at time: Duration) {
        let join = RememberedPeers.seeds(configured: nodes[index].join, remembered: nodes[index].rememberedPeers, own: nodes[index].endpoints.publish)
        var configuration = NodeConfiguration(id: nodes[index].id, endpoints: nodes[index].canHost ? nodes[index].endpoints : nil, join: join)
        configuration.fanout = self.configuration.fanout
        configuration.acceptsPackedFrames = self.configuration.batchingRole(of: index) != .legacy
        configuration.remembered = nodes[index].rememberedPeers
        configuration.exclusiveClaims = nodes[index].certificate != nil
        if self.configuration.discovery { configuration.discovery = DiscoveryView.Settings(cluster: "sim") }
        // A node that lost its documents must edit under a new replica ID (counters restart).
        let replica = nodes[index].persisted.values.first?.replica ?? ReplicaID.random(using: &random)
        var settings = SyncSettings()
        if self.configuration.trimming {
            settings.trimming = .automatic(ratio: 0, minimum: 0, keep: 0)
            settings.trimCheckInterval = .milliseconds(500)
            settings.heldReportInterval = .milliseconds(250)
            settings.heldReportRefresh = .seconds(2)
        }
        nodes[index].machine = NodeMachine(configuration: configuration, settings: settings, documents: nodes[index].persisted, documentReplica: replica)
        if let certificate = nodes[index].certificate {
            nodes[index].rules = AccessGuard(own: certificate, policy: policy)
            nodes[index].applied = [:]
            if certificate.role == .reader { nodes[index].machine?.readOnlyReason = "n\(index) is a reader" }
        }
        nodes[index].baseline = nodes[index].persisted.mapValues(\.versionVector.totalOperations)
        nodes[index].incarnation += 1
        nodes[index].tickAt = nil
        nodes[index].subscribedTo = nil
        nodes[index].connecting = nil
        nodes[index].pushTo = nil
        nodes[index].subscriptions = []
        nodes[index].subscribers = []
        nodes[index].welcome = nil
        nodes[index].probing = nil
        queue.push(.start(index, incarnation: nodes[index].incarnation), at: time)
    }

    private func scheduleEdits() {
        guard configuration.editRate > 0 else { return }
        var time = Duration.zero
        let mean = 1.0 / configuration.editRate
        while true {
            time += .milliseconds(Int64(-mean * 1000 * log(max(1e-9, Double(random.next() >> 11) / Double(1 << 53)))))
            guard time < configuration.duration else { break }
            queue.push(.edit, at: time)
        }
    }

    private func scheduleFaults() {
        let faults = configuration.faults
        let crashes = poisson(faults.crashes)
        for _ in 0..<crashes {
            let node = random.int(0..<nodes.count)
            let at = random.duration(.seconds(2), configuration.duration)
            queue.push(.crash(node), at: at)
            if random.chance(faults.restart) {
                let back = at + random.duration(.milliseconds(500), .seconds(4))
                if back < configuration.duration { queue.push(.restart(node), at: back) }
            }
        }
        for _ in 0..<poisson(faults.partitions) {
            let at = random.duration(.seconds(2), configuration.duration)
            queue.push(.partition(random.seconds(faults.partitionDuration)), at: at)
        }
        for _ in 0..<poisson(faults.oneWayCuts) {
            let at = random.duration(.seconds(2), configuration.duration)
            queue.push(.cutOneWay(random.seconds(faults.oneWayCutDuration)), at: at)
        }
    }

    private func poisson(_ mean: Double) -> Int {
        guard mean > 0 else { return 0 }
        var count = 0
        var product = Double(random.next() >> 11) / Double(1 << 53)
        let limit = exp(-mean)
        while product > limit {
            count += 1
            product *= Double(random.next() >> 11) / Double(1 << 53)
        }
        return count
    }

    // MARK: - Events

    private func handle(_ event: SimulationEvent) {
        switch event {
        case .start(let index, let incarnation):
            guard nodes[index].incarnation == incarnation, let directives = nodes[index].machine?.start(now: now) else { return }
            execute(directives, for: index)
            nodes[index].lastTick = now
            scheduleTick(index, started: true)
        case .tick(let index, let incarnation, let generation):
            guard nodes[index].incarnation == incarnation, nodes[index].tickGeneration == generation, let directives = nodes[index].machine?.tick(now: now) else { return }
            if configuration.auditDeadlines, now < nodes[index].deadline, !directives.isEmpty {
                result.failures.append("n\(index) ticked at \(format(now)), before its deadline \(format(nodes[index].deadline)), and acted: \(directives.count) directives")
            }
            execute(directives, for: index)
            nodes[index].lastTick = now
            scheduleTick(index, started: true)
        case .attach(let subscriber, let incarnation, let publisher):
            attach(subscriber, incarnation: incarnation, to: publisher)
        case .deliver(let index, let incarnation, let channel, let frames, let sender):
            guard nodes[index].incarnation == incarnation, nodes[index].machine != nil else { return }
            // A partition cut while the message was in flight.
            guard reachable(sender, index) else {
                result.dropped += 1
                return
            }
            // What a browser sent over a connection that has closed since went with it (TCP delivers
            // in order; the close comes after its data).
            if channel == .gateway, nodes[sender].gatewayConnection?.host != index {
                result.dropped += 1
                return
            }
            result.deliveries += 1
            // A node before 0.2.0 takes a one-frame message for a beacon or nothing.
            if self.configuration.batchingRole(of: index) == .legacy, frames.count == 1, frames[0].first != Topic.welcome.bytes.first {
                result.packedDroppedByLegacy += 1
                trace("n\(index) (legacy) dropped a packed frame from n\(sender)")
                return
            }
            guard let inbounds = try? Inbound.decodingAll(frames: frames, via: channel, maxPayload: 64 << 20) else { return }
            var received = false
            for inbound in inbounds where receive(inbound, at: index, via: channel, from: sender) { received = true }
            if received { scheduleTick(index) }
        case .beacon(let index, let incarnation, let frame, let publisher):
            guard nodes[index].incarnation == incarnation, nodes[index].machine != nil else { return }
            guard reachable(publisher, index) else {
                result.controlFaults += 1
                resetLink(subscriber: index, publisher: publisher)
                return
            }
            guard let inbound = try? Inbound(frames: [frame], via: .subscriber, maxPayload: 64 << 20) else { return }
            guard let directives = nodes[index].machine?.receive(inbound, via: .subscriber, now: now) else { return }
            execute(directives, for: index)
            scheduleTick(index)
        case .probeBeacon(let index, let incarnation, let frame, let publisher):
            guard nodes[index].incarnation == incarnation, nodes[index].machine != nil, nodes[index].probing == publisher,
                  let beacon = try? Beacon(frame: frame)
            else { return }
            guard reachable(publisher, index), !random.chance(configuration.faults.controlLoss) else {
                result.controlFaults += 1
                return
            }
            guard let directives = nodes[index].machine?.receiveProbeBeacon(beacon, now: now) else { return }
            execute(directives, for: index)
            scheduleTick(index)
        case .datagram(let index, let incarnation, let bytes, let sender):
            guard nodes[index].incarnation == incarnation, passes(from: sender, to: index),
                  let directives = nodes[index].machine?.receiveDatagram(bytes, from: datagramSource(of: sender), now: now)
            else { return }
            execute(directives, for: index)
            scheduleTick(index)
        case .subscription(let publisher, let incarnation, let prefix, let subscribed, let subscriber):
            guard nodes[publisher].incarnation == incarnation, nodes[publisher].machine != nil else { return }
            subscriptionChanged(publisher: publisher, prefix: prefix, subscribed: subscribed, from: subscriber)
        case .gatewayClosed(let host, let browser, let generation):
            closesInFlight[[host, browser], default: 1] -= 1
            // A newer connection of the same browser to the same gateway replaced this one.
            if let current = nodes[browser].gatewayConnection, current.host == host, current.generation != generation { return }
            // The gateway reports the connection's node topic unsubscribed and then the close, in
            // that order and together (GatewayLinks): never one without the other.
            let browserID = nodes[browser].id
            guard let unsubscribed = nodes[host].machine?.subscriptionChanged(Topic.node(browserID).bytes, subscribed: false, now: now) else { return }
            execute(unsubscribed, for: host)
            guard let directives = nodes[host].machine?.gatewayClosed(browserID, now: now) else { return }
            execute(directives, for: host)
            scheduleTick(host)
        case .disconnected(let index, let incarnation, let from):
            // The monitor reports the parent's address whether the SUB is attached or reconnecting.
            guard nodes[index].incarnation == incarnation, nodes[index].subscribedTo == from || nodes[index].connecting == from else { return }
            nodes[index].machine?.parentDisconnected(now: now)
            scheduleTick(index)
        case .edit:
            edit()
        case .crash(let index):
            crash(index)
        case .restart(let index):
            guard nodes[index].machine == nil else { return }
            result.restarts += 1
            trace("restart n\(index) \(nodes[index].persisted.isEmpty ? "empty" : "with its documents")")
            boot(index, at: now)
        case .partition(let length):
            guard groups == nil, nodes.count >= 2 else { return }
            var assignment = nodes.indices.map { _ in random.int(0..<2) }
            if Set(assignment).count < 2 { assignment[random.int(0..<nodes.count)] ^= 1 }
            groups = assignment
            result.partitions += 1
            trace("partition \(assignment.enumerated().filter { $0.element == 0 }.map { "n\($0.offset)" }.joined(separator: ",")) | rest")
            let healAt = min(now + length, configuration.duration)
            queue.push(.heal, at: healAt)
        case .heal:
            if groups != nil { trace("heal") }
            groups = nil
            oneWay = nil
        case .cutOneWay(let length):
            guard oneWay == nil, nodes.count >= 3 else { return }
            // Three "hosts": packets from the first to the second are dropped; the third reaches both.
            let host = nodes.indices.map { _ in random.int(0..<3) }
            let from = Set(nodes.indices.filter { host[$0] == 0 }), to = Set(nodes.indices.filter { host[$0] == 1 })
            guard !from.isEmpty, !to.isEmpty else { return }
            oneWay = (from, to, now)
            result.partitions += 1
            trace("one-way cut \(from.sorted().map { "n\($0)" }.joined(separator: ",")) → \(to.sorted().map { "n\($0)" }.joined(separator: ","))")
            queue.push(.healOneWay, at: min(now + length, configuration.duration))
        case .healOneWay:
            guard let cut = oneWay else { return }
            // Just before it heals: did the live nodes stand as one tree around the cut? (Asked
            // of cuts that lasted long enough to settle: detection, failover, a merge's patience.)
            if groups == nil, now - cut.since >= .seconds(6) {
                result.oneWayCutsEnded += 1
                if nodes.filter({ $0.machine.map { $0.core.parentID == nil } ?? false }).count == 1 { result.oneWayCutsWhole += 1 }
            }
            trace("one-way cut healed")
            oneWay = nil
        }
    }

    /// Schedules a node's next tick as the runtime's loop does: at the machine's deadline, but
    /// no sooner than one cadence after the last tick. With ``SimulationConfiguration/auditDeadlines``
    /// it ticks at the fixed cadence instead, and a tick before the deadline must do nothing.
    /// A SUB's subscription change reaching the publisher's XPUB, under the access rules if the
    /// publisher applies them.
    private func subscriptionChanged(publisher: Int, prefix: [UInt8], subscribed: Bool, from subscriber: Int) {
        guard reachable(subscriber, publisher) else {
            result.controlFaults += 1
            if subscribed { resetLink(subscriber: subscriber, publisher: publisher) }
            return
        }
        // Withdrawals come only from dropped pipes (`dropPipe`). libzmq dropped those pipes'
        // subscriptions with them, so a certified publisher applies nothing, as the runtime does
        // for a departed peer; above all it must not take the topic from the subscriber's next
        // pipe, which may have subscribed by now. The machine hears of it either way.
        if subscribed, nodes[publisher].rules != nil {
            guard let key = nodes[subscriber].certificate?.nodeKey, let topics = nodes[publisher].rules?.subscription(prefix, subscribed: true, from: key) else { return }
            // Applied to a pipe that exists (a late subscription after a reset is lost with it).
            guard nodes[publisher].subscribers.contains(subscriber) else { return }
            nodes[publisher].applied[subscriber, default: []].formUnion(topics)
            if topics.isEmpty {
                result.subscriptionsRefused += 1
                return
            }
        }
        guard let directives = nodes[publisher].machine?.subscriptionChanged(prefix, subscribed: subscribed, now: now) else { return }
        execute(directives, for: publisher)
        scheduleTick(publisher)
    }

    private func scheduleTick(_ index: Int, started: Bool = false) {
        // Asked in place, once: binding the machine to a local would copy all of its state.
        guard started || nodes[index].tickAt != nil, let deadline = nodes[index].machine?.nextDeadline(now: now) else { return }
        nodes[index].deadline = deadline
        let next = configuration.auditDeadlines
            ? max(now, nodes[index].lastTick + configuration.tick)
            : NodeMachine.timerRun(deadline: deadline, now: now, lastRun: nodes[index].lastTick, cadence: configuration.tick)
        guard next != nodes[index].tickAt else { return }
        nodes[index].tickAt = next
        nodes[index].tickGeneration += 1
        queue.push(.tick(index, incarnation: nodes[index].incarnation, generation: nodes[index].tickGeneration), at: next)
    }

    func trace(_ text: @autoclosure () -> String) {
        logger?("[\(format(now))] \(text())")
    }

    private func format(_ duration: Duration) -> String {
        let ms = nanoseconds(duration) / 1_000_000
        return "\(ms / 1000).\(String(ms % 1000).leftPadded(3))s"
    }

    // MARK: - Network

    /// True if a connection between `a` and `b` works: no partition between them, and no
    /// one-way cut either way (TCP needs both directions).
    func reachable(_ a: Int, _ b: Int) -> Bool {
        passes(from: a, to: b) && passes(from: b, to: a)
    }

    /// True if a datagram from `sender` reaches `receiver`.
    func passes(from sender: Int, to receiver: Int) -> Bool {
        if let groups, groups[sender] != groups[receiver] { return false }
        if let oneWay, oneWay.from.contains(sender), oneWay.to.contains(receiver) { return false }
        return true
    }

    func latency() -> Duration {
        var delay = random.duration(configuration.faults.minimumLatency, configuration.faults.maximumLatency)
        if random.chance(configuration.faults.reorder) { delay += random.duration(.zero, configuration.faults.reorderDelay) }
        return delay
    }

    func transmit(_ frames: [[UInt8]], from sender: Int, to receiver: Int, channel: Channel) {
        guard nodes[receiver].isAlive, reachable(sender, receiver) else {
            result.dropped += 1
            return
        }
        if random.chance(configuration.faults.drop) {
            result.dropped += 1
            return
        }
        let incarnation = nodes[receiver].incarnation
        queue.push(.deliver(to: receiver, incarnation: incarnation, channel: channel, frames: frames, from: sender), at: now + latency())
        if random.chance(configuration.faults.duplicate) {
            queue.push(.deliver(to: receiver, incarnation: incarnation, channel: channel, frames: frames, from: sender), at: now + latency())
        }
    }

    /// A simulated node's address on the discovery segment (one loopback address each, so
    /// each has its own rate limit).
    func datagramSource(of index: Int) -> DatagramSource {
        DatagramSource(host: "127.0.\(index / 250).\(index % 250 + 1)", port: DiscoveryDatagram.defaultPort)
    }

    /// Sends a datagram as UDP would: lost like any delivery, never duplicated by the network's
    /// retransmissions (there are none).
    func sendDatagram(_ bytes: [UInt8], from sender: Int, to receiver: Int) {
        guard nodes[receiver].isAlive, passes(from: sender, to: receiver), !random.chance(configuration.faults.drop) else {
            result.dropped += 1
            return
        }
        queue.push(.datagram(to: receiver, incarnation: nodes[receiver].incarnation, bytes: bytes, from: sender), at: now + latency())
    }

    private func attach(_ subscriber: Int, incarnation: Int, to publisher: Int) {
        guard nodes[subscriber].incarnation == incarnation, nodes[subscriber].isAlive, nodes[subscriber].connecting == publisher else { return }
        let refused = random.chance(configuration.faults.controlLoss)
        guard nodes[publisher].isAlive, reachable(subscriber, publisher), !refused else {
            if refused { result.controlFaults += 1 }
            // libzmq keeps reconnecting in the background.
            queue.push(.attach(subscriber: subscriber, incarnation: incarnation, publisher: publisher), at: now + .milliseconds(100))
            return
        }
        // A certified node asks the host's lobby first: it must admit the subscriber's
        // certificate, and the host must be a member.
        if nodes[publisher].rules != nil {
            guard admit(subscriber, at: publisher), nodes[publisher].certificate?.role == .member else {
                queue.push(.attach(subscriber: subscriber, incarnation: incarnation, publisher: publisher), at: now + .milliseconds(250))
                return
            }
        }
        nodes[subscriber].connecting = nil
        nodes[subscriber].subscribedTo = publisher
        nodes[publisher].subscribers.insert(subscriber)
        nodes[publisher].applied[subscriber] = nil
        if nodes[subscriber].isBrowser {
            nodes[subscriber].gatewayConnectionsOpened += 1
            nodes[subscriber].gatewayConnection = (publisher, nodes[subscriber].gatewayConnectionsOpened)
        }
        // The connection resets before its welcome and subscriptions get through.
        if random.chance(configuration.faults.controlLoss) {
            result.controlFaults += 1
            resetLink(subscriber: subscriber, publisher: publisher)
            return
        }
        let publisherIncarnation = nodes[publisher].incarnation
        // The XPUB attaches the pipe and queues its welcome; the SUB's subscriptions follow.
        if let welcome = nodes[publisher].welcome {
            queue.push(.beacon(to: subscriber, incarnation: incarnation, frame: welcome, from: publisher), at: now + latency())
        }
        for prefix in nodes[subscriber].subscriptions.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            queue.push(.subscription(publisher: publisher, incarnation: publisherIncarnation, prefix: prefix, subscribed: true, from: subscriber), at: now + latency())
        }
    }

    /// The SUB connection from `subscriber` to `publisher` broke (a reset, or a partition that
    /// cut off its welcome or a subscription): the publisher drops the pipe and its
    /// subscriptions, the subscriber's monitor may see the disconnect, and libzmq reconnects
    /// after its interval, re-sending the subscriptions and getting a new welcome.
    func resetLink(subscriber: Int, publisher: Int) {
        guard nodes[subscriber].subscribedTo == publisher else { return }
        dropPipe(of: subscriber, at: publisher)
        if let connection = nodes[subscriber].gatewayConnection {
            queue.push(.gatewayClosed(host: connection.host, browser: subscriber, generation: connection.generation), at: now + latency())
            closesInFlight[[connection.host, subscriber], default: 0] += 1
            nodes[subscriber].gatewayConnection = nil
        }
        nodes[subscriber].subscribedTo = nil
        nodes[subscriber].connecting = publisher
        let incarnation = nodes[subscriber].incarnation
        queue.push(.attach(subscriber: subscriber, incarnation: incarnation, publisher: publisher), at: now + random.duration(.milliseconds(50), .milliseconds(100)))
        notifyDisconnect(subscriber, from: publisher)
    }

    /// The publisher forgets `subscriber`'s pipe, and its XPUB reports the node topics that pipe
    /// had subscribed as unsubscribed.
    private func dropPipe(of subscriber: Int, at publisher: Int) {
        nodes[publisher].subscribers.remove(subscriber)
        nodes[publisher].applied[subscriber] = nil
        // A browser's node topic goes with its connection's close (see `.gatewayClosed`).
        guard nodes[publisher].isAlive, !nodes[subscriber].isBrowser else { return }
        for prefix in nodes[subscriber].subscriptions where prefix.first == 0x4E {
            queue.push(.subscription(publisher: publisher, incarnation: nodes[publisher].incarnation, prefix: prefix, subscribed: false, from: subscriber), at: now + latency())
        }
    }

    /// The subscriber's socket monitor reports the closed connection, unless the notice is lost.
    func notifyDisconnect(_ subscriber: Int, from publisher: Int) {
        if random.chance(configuration.faults.controlLoss) {
            result.controlFaults += 1
            return
        }
        queue.push(.disconnected(subscriber, incarnation: nodes[subscriber].incarnation, from: publisher), at: now + latency())
    }

    func detach(_ index: Int) {
        if let publisher = nodes[index].subscribedTo { dropPipe(of: index, at: publisher) }
        if let connection = nodes[index].gatewayConnection {
            // The gateway sees the close at once if it can, else when its pings go unanswered.
            let delay = reachable(index, connection.host) ? latency() : configuration.gatewayTimeout
            queue.push(.gatewayClosed(host: connection.host, browser: index, generation: connection.generation), at: now + delay)
            closesInFlight[[connection.host, index], default: 0] += 1
            nodes[index].gatewayConnection = nil
        }
        nodes[index].subscribedTo = nil
        nodes[index].connecting = nil
        nodes[index].pushTo = nil
    }

    /// One message at a node, through its access rules (certified links) and its machine.
    /// Returns false if the rules refused it.
    private func receive(_ inbound: Inbound, at index: Int, via channel: Channel, from sender: Int) -> Bool {
        var inbound = inbound
        if channel != .subscriber, nodes[index].rules != nil, case .message(let message) = inbound {
            // What came up from a child (or a browser, under the host's own certificate).
            let key = channel == .puller ? nodes[sender].certificate?.nodeKey : nil
            if channel == .puller { admit(sender, at: index) }
            guard case .accept(let admitted)? = nodes[index].rules?.inbound(message, from: key) else {
                result.accessRefused += 1
                return false
            }
            inbound = .message(admitted)
        }
        if let certificate = nodes[index].certificate, case .message(let message) = inbound, let leaked = Self.uncovered(message, by: certificate) {
            result.failures.append("n\(index) was sent \(message.header.type) on \(message.topic) from n\(sender), naming \(leaked), which its certificate does not cover")
        }
        guard let directives = nodes[index].machine?.receive(inbound, via: channel, now: now) else { return false }
        execute(directives, for: index)
        return true
    }

    /// Runs a node's directives through its shell (the same executor the runtime uses).
    private func execute(_ directives: [NodeDirective], for index: Int) {
        shells[index].execute(directives)
    }

    // MARK: - Faults and edits

    private func crash(_ index: Int) {
        guard nodes[index].isAlive else { return }
        let live = nodes.filter(\.isAlive).count
        guard live > max(2, nodes.count * 6 / 10) else { return }
        result.crashes += 1
        trace("crash n\(index)")
        // With one seed, a node that lost its data dir while that seed is dead has no way back
        // (the deployment guide asks for several seeds): that mode tests the remembered peers.
        // A browser keeps nothing across a reload.
        let keep = !nodes[index].isBrowser && (random.chance(configuration.faults.persistence) || configuration.singleSeed)
        nodes[index].persisted = keep ? (nodes[index].machine?.documents.mapValues(\.document) ?? [:]) : [:]
        nodes[index].rememberedPeers = keep ? RememberedPeers.merge(current: nodes[index].machine?.core.knownPeers ?? [], previous: nodes[index].rememberedPeers) : []
        nodes[index].machine = nil
        detach(index)
        // The kernel closes the sockets: attached subscribers see the disconnect, if they can.
        for subscriber in nodes[index].subscribers.sorted() where nodes[subscriber].subscribedTo == index {
            if reachable(index, subscriber) { notifyDisconnect(subscriber, from: index) }
        }
        nodes[index].subscribers = []
    }

    private func edit() {
        let live = nodes.indices.filter { nodes[$0].isAlive }
        guard !live.isEmpty else { return }
        let index = live[random.int(0..<live.count)]
        let document = documentNames[random.int(0..<documentNames.count)]
        let words = ["a", "bc", "def ", "😀", "中", "\n"]
        let word = words[random.int(0..<words.count)]
        let roll = random.next()
        guard var machine = nodes[index].machine else { return }
        let before = machine.documents[document]?.document.localOperationCount ?? 0
        var inserted = false
        do {
            let (_, directives) = try machine.edit(document, now: now) { doc in
                let length = doc.length()
                if length > 4 && roll % 4 == 0 {
                    let start = Int(roll >> 8) % (length - 1)
                    try doc.delete(start..<min(length, start + 1 + Int(roll >> 20) % 3))
                } else {
                    try doc.insert(word, at: Int(roll >> 8) % (length + 1))
                    inserted = true
                }
            }
            nodes[index].machine = machine
            let after = machine.documents[document]?.document.localOperationCount ?? 0
            let replica = machine.documentReplica
            for counter in before..<after { edits.append((index, replica, document, counter)) }
            if inserted, before < after { inserts[document, default: [:]][replica, default: []].append(before..<after) }
            result.edits += Int(after - before)
            execute(directives, for: index)
            scheduleTick(index)
        } catch {
            nodes[index].machine = machine
        }
    }

    // MARK: - Checks

    /// True for a browser none of whose gateways is alive.
    func isOffline(_ index: Int) -> Bool {
        nodes[index].isBrowser && !nodes[index].join.contains { indexOfPublish[$0].map { nodes[$0].isAlive } ?? false }
    }

    func check() -> SimulationResult {
        var result = self.result
        // A browser whose gateways are all dead is offline, as a page whose servers are down:
        // it keeps retrying, and is not part of the tree to check.
        let live = nodes.indices.filter { nodes[$0].isAlive && !isOffline($0) }
        result.liveNodes = live.count
        // The reference holds every document: a member, not a reader.
        guard let first = live.first(where: { !nodes[$0].isReader }), let reference = nodes[first].machine else {
            result.failures.append("no live node")
            return result
        }
        // Documents: identical everywhere.
        let names = Set(live.flatMap { nodes[$0].machine.map { Array($0.documents.keys) } ?? [] })
        for index in live {
            result.claimsRefused += Int(nodes[index].machine?.core.counters.claimsRefused ?? 0)
            for sync in nodes[index].machine?.documents.values ?? [:].values {
                result.trims += Int(sync.counters.trims)
                result.statesMerged += Int(sync.counters.statesMerged)
                if let problem = sync.counters.lastProblem, problem.hasPrefix("trimming") {
                    result.failures.append("n\(index) \(sync.id): \(problem)")
                }
                // Time travel from wherever the history now starts gives back the document.
                guard configuration.trimming, sync.document.pendingOperationCount == 0 else { continue }
                do {
                    if try sync.document.at(sync.document.versionVector).canonicalContent() != sync.document.canonicalContent() {
                        result.failures.append("n\(index) \(sync.id): rebuilt from its history floor, the document differs")
                    }
                } catch {
                    result.failures.append("n\(index) \(sync.id): cannot rebuild the document from its history floor: \(error)")
                }
            }
        }
        var differing = 0
        for name in names.sorted() {
            let expected = reference.documents[name]
            for index in live {
                if differing >= 4 { break }
                if let certificate = nodes[index].certificate, !certificate.covers(name) {
                    if nodes[index].machine?.documents[name] != nil { result.failures.append("n\(index) holds \(name), which its certificate does not cover") }
                    continue
                }
                guard let mine = nodes[index].machine?.documents[name] else {
                    result.failures.append("n\(index) never got \(name)")
                    continue
                }
                if nodes[index].isReader, let expected, keptOnlyByReader(mine.document.versionVector, beyond: expected.document.versionVector) {
                    // Operations whose author died before any member received them, which only
                    // readers got: hosts never take operations from a reader, not even relayed
                    // ones (docs/guarantees.md). Everything the members hold, the reader holds.
                    result.keptOnlyByReaders += 1
                } else if mine.document.versionVector != expected?.document.versionVector {
                    differing += 1
                    let counters = mine.counters
                    result.failures.append("n\(index) \(name) version \(mine.document.versionVector) ≠ n\(first) \(expected?.document.versionVector.description ?? "none")"
                        + " (pending \(mine.document.pendingOperationCount), history floor \(mine.document.historyFloor), repairs \(counters.repairsStarted), transfers \(counters.transfersCompleted)/\(counters.transfersStarted), states merged \(counters.statesMerged), bad \(counters.badMessages)\(counters.lastProblem.map { ": " + $0 } ?? ""))")
                } else if mine.document.canonicalContent() != expected?.document.canonicalContent() {
                    differing += 1
                    result.failures.append("n\(index) \(name) content differs from n\(first) at the same version")
                }
            }
        }
        if differing > 0, ProcessInfo.processInfo.environment["ZINC_SIM_DEBUG"] != nil {
            for index in live {
                guard let machine = nodes[index].machine else { continue }
                for name in names.sorted() {
                    let sync = machine.documents[name]
                    result.failures.append("  debug n\(index) \(machine.id.shortDescription) parent \(machine.core.parentID?.shortDescription ?? "-") \(name) \(sync?.document.versionVector.description ?? "-") floor \(sync?.document.historyFloor.description ?? "-") \(sync.map { "\($0.counters)" } ?? "")")
                }
            }
        }
        // Edits: every edit is in the survivors' documents unless it died with its author.
        var missingEdits = 0
        for edit in edits {
            let author = edit.replica
            let present = reference.documents[edit.document]?.document.versionVector[author] ?? 0 > edit.counter
            if !present {
                if nodes[edit.author].isAlive && !isOffline(edit.author) && nodes[edit.author].machine?.documents[edit.document].map({ $0.document.versionVector[author] > edit.counter }) == true {
                    missingEdits += 1
                    if missingEdits <= 3 {
                        result.failures.append("edit \(author.shortDescription)@\(edit.counter) in \(edit.document) is at its live author n\(edit.author) but not at n\(first)")
                    }
                } else {
                    result.editsLostWithAuthor += 1
                }
            }
        }
        if missingEdits > 3 { result.failures.append("… \(missingEdits) edits in all are missing at n\(first)") }
        // Exactly once, counted from the content: a document holds one item per inserted
        // character its version covers, no more (an insert applied twice) and no fewer.
        for index in live {
            for (name, sync) in (nodes[index].machine?.documents ?? [:]).sorted(by: { $0.key < $1.key }) {
                let items = sync.document.insertedItemsByReplica
                let version = sync.document.versionVector
                let ledger = inserts[name] ?? [:]
                for replica in Set(items.keys).union(ledger.keys).sorted() {
                    let expected = ledger[replica, default: []].reduce(0) { $0 + Int($1.clamped(to: 0..<version[replica]).count) }
                    let held = items[replica] ?? 0
                    if held != expected {
                        result.failures.append("n\(index) \(name): \(held) items by \(replica.shortDescription), \(expected) inserted within its version (an insert applied twice, or lost)")
                    }
                }
            }
        }
        // Every operation a node holds was made there or applied there once.
        for index in live {
            for (name, sync) in (nodes[index].machine?.documents ?? [:]).sorted(by: { $0.key < $1.key }) {
                let held = sync.document.versionVector.totalOperations - (nodes[index].baseline[name] ?? 0)
                let counted = sync.counters.operationsApplied + sync.counters.localOperations
                if held != counted {
                    result.failures.append("n\(index) \(name): \(counted) operations applied or made, \(held) held (something was applied twice or uncounted)")
                }
            }
        }
        // Readers never host, and nobody's parent is a reader.
        for index in live where nodes[index].isReader && !(nodes[index].machine?.core.childIDs.isEmpty ?? true) {
            result.failures.append("n\(index) is a reader and hosts \(nodes[index].machine?.core.childIDs.count ?? 0) children")
        }
        // Balance: failover lets a successor adopt up to twice its fan-out; it must have moved the
        // excess under its other children unless its last child joined too recently for that (a
        // false suspicion late in the quiet phase, under heavy loss): the rebalance delay plus
        // one second per excess child, and a second of slack for the moves' own messages.
        let end = configuration.duration + configuration.settle
        for index in live {
            guard let machine = nodes[index].machine else { continue }
            let count = machine.core.treeChildCount
            let excess = count - configuration.fanout
            let needed = machine.core.configuration.rebalanceDelay + .seconds(excess + 1)
            // A host none of whose children can host keeps them all (it has nowhere to move them).
            let anyChildCanHost = machine.core.childIDs.contains { child in indexOfID[child].map { nodes[$0].canHost } ?? false }
            if excess > 0 && anyChildCanHost && end - nodes[index].lastChildJoined >= needed {
                result.failures.append("n\(index) hosts \(count) children, over the fan-out of \(configuration.fanout), its last child joined \(end - nodes[index].lastChildJoined) before the end")
            }
        }
        // Gateways: a browser a host still counts as its child is live and has that host as its
        // parent, unless the close of its connection is still on its way.
        for index in live {
            for browserID in nodes[index].machine?.core.gatewayChildIDs ?? [] {
                guard let browser = indexOfID[browserID] else { continue }
                let current = nodes[browser].machine?.core.parentID == nodes[index].id
                if !current, closesInFlight[[index, browser], default: 0] == 0 {
                    result.failures.append("n\(index) still counts browser b\(browser) as its child (\(nodes[browser].isAlive ? "it has another parent" : "it is gone"))")
                }
            }
        }
        // Tree: one root, every parent live and aware of its child, no cycles.
        let roots = live.filter { nodes[$0].machine.map { $0.core.parentID == nil } ?? false }
        result.roots = roots.count
        if roots.count != 1 {
            // Say where each parentless node stands: a root of which term, or stuck looking for a parent.
            let states = roots.compactMap { index in
                nodes[index].machine.map { "n\(index) (\($0.core.role.rawValue), term \($0.core.term), link \($0.core.parentState), \($0.core.childIDs.count) children)" }
            }
            result.failures.append("\(roots.count) roots: \(states.joined(separator: ", "))")
        }
        for index in live {
            var seen: Set<Int> = [index]
            var current = index
            while let parentID = nodes[current].machine?.core.parentID {
                guard let parent = indexOfID[parentID], nodes[parent].isAlive else {
                    result.failures.append("n\(current)'s parent is not alive")
                    break
                }
                guard nodes[parent].machine?.core.childIDs.contains(nodes[current].id) == true else {
                    result.failures.append("n\(current)'s parent n\(parent) does not count it as a child")
                    break
                }
                guard seen.insert(parent).inserted else {
                    if !result.failures.contains(where: { $0.hasPrefix("cycle") }) { result.failures.append("cycle through n\(parent)") }
                    break
                }
                current = parent
            }
        }
        return result
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
