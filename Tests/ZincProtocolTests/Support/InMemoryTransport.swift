@testable import ZincCore
@testable import ZincProtocol

/// A ``Transport`` that records what a node asked of the network, in order: the shell's
/// counterpart of swift-nio's `EmbeddedChannel`.
final class InMemoryTransport: Transport {
    enum Action: Hashable {
        case connectSubscriber(String), connectPusher(String), disconnectParent
        case subscribe([UInt8]), unsubscribe([UInt8])
        case publish([[UInt8]]), push([[UInt8]])
        case welcome([UInt8]), probe(String?), sendOnce([[UInt8]], String)
        case broadcast([UInt8]), datagram([UInt8], DatagramSource)
        case packing(Packing)
    }

    private(set) var actions: [Action] = []

    /// Everything recorded since the last call.
    func take() -> [Action] {
        defer { actions.removeAll() }
        return actions
    }

    func connectSubscriber(to publish: String) { actions.append(.connectSubscriber(publish)) }
    func connectPusher(to pull: String) { actions.append(.connectPusher(pull)) }
    func disconnectParent() { actions.append(.disconnectParent) }
    func subscribe(_ prefix: [UInt8]) { actions.append(.subscribe(prefix)) }
    func unsubscribe(_ prefix: [UInt8]) { actions.append(.unsubscribe(prefix)) }
    func publish(_ message: WireMessage) { actions.append(.publish(message.frames)) }
    func push(_ message: WireMessage) { actions.append(.push(message.frames)) }
    func setPacking(_ packing: Packing) { actions.append(.packing(packing)) }
    func setWelcome(_ frame: [UInt8]) { actions.append(.welcome(frame)) }
    func probe(_ publish: String?) { actions.append(.probe(publish)) }
    func sendOnce(_ frames: [[UInt8]], toPull pull: String) { actions.append(.sendOnce(frames, pull)) }
    func broadcast(_ datagram: [UInt8]) { actions.append(.broadcast(datagram)) }
    func sendDatagram(_ datagram: [UInt8], to destination: DatagramSource) { actions.append(.datagram(datagram, destination)) }
}

/// A node on an ``InMemoryTransport``: its machine, and what it delivered and reported.
final class EmbeddedNode: NodeShell {
    let transport = InMemoryTransport()
    var machine: NodeMachine
    private(set) var delivered: [(ApplicationMessage, ReplicaID)] = []
    private(set) var events: [MembershipEvent] = []

    init(_ configuration: NodeConfiguration) {
        machine = NodeMachine(configuration: configuration)
    }

    func deliver(_ application: ApplicationMessage, origin: ReplicaID) { delivered.append((application, origin)) }
    func report(_ event: MembershipEvent) { events.append(event) }

    /// Feeds raw frames as they would arrive on a socket (three frames, a packed frame or a
    /// beacon); a malformed message throws, as the socket shell would count it.
    func receive(_ frames: [[UInt8]], via channel: Channel, now: Duration) throws(InboundError) {
        for inbound in try Inbound.decodingAll(frames: frames, via: channel, maxPayload: 1 << 20) {
            execute(machine.receive(inbound, via: channel, now: now))
        }
    }

    func start(now: Duration) { execute(machine.start(now: now)) }
    func subscription(_ prefix: [UInt8], now: Duration) { execute(machine.subscriptionChanged(prefix, subscribed: true, now: now)) }
}
