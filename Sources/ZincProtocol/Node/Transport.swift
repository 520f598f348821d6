package import ZincCore

/// The network as a node sees it: a PUB socket to its children, a PULL socket from them, a SUB
/// and a PUSH socket to its parent, a probe socket that only takes welcome beacons, and
/// one-shot sends to another tree's PULL endpoint. The socket shell implements it over libzmq,
/// the simulator over its virtual network, tests over ``InMemoryTransport``; all of them run
/// the same ``NodeShell/execute(_:)`` above it.
package protocol Transport: AnyObject {
    /// Connects the SUB socket to a host's PUB endpoint, dropping the previous parent's
    /// (subscriptions are kept).
    func connectSubscriber(to publish: String)
    /// Connects the PUSH socket to a host's PULL endpoint, dropping the previous one and
    /// whatever was still queued for it.
    func connectPusher(to pull: String)
    /// Drops both connections to the parent, and what was queued for it.
    func disconnectParent()
    func subscribe(_ prefix: [UInt8])
    func unsubscribe(_ prefix: [UInt8])
    /// Sends one message to the children (PUB). Never blocks: a transport that cannot take it
    /// now queues or drops it (``Outbox``). A batching transport may hold it until the end of
    /// the shell's turn, to send it in a packed frame with the messages after it (§4).
    func publish(_ message: WireMessage)
    /// Sends one message to the parent (PUSH). Never blocks, like ``publish(_:)``.
    func push(_ message: WireMessage)
    /// Where a batching transport may pack from now on; it sends what it holds for a socket
    /// before that socket stops packing. A transport that does not batch ignores it.
    func setPacking(_ packing: Packing)
    /// The frame every new subscriber of the PUB socket receives first.
    func setWelcome(_ frame: [UInt8])
    /// Points the probe socket at a PUB endpoint (nil: stop probing).
    func probe(_ publish: String?)
    /// Sends one message to a PULL endpoint outside the tree, on a short-lived connection.
    func sendOnce(_ frames: [[UInt8]], toPull pull: String)
    /// Broadcasts a discovery datagram (best effort, like UDP).
    func broadcast(_ datagram: [UInt8])
    /// Sends a discovery datagram to one address (best effort).
    func sendDatagram(_ datagram: [UInt8], to destination: DatagramSource)
}

/// A node's shell: its ``Transport`` plus where application messages and membership events go.
/// ``execute(_:)`` is the one place directives become actions.
package protocol NodeShell: AnyObject {
    associatedtype Network: Transport
    var transport: Network { get }
    /// An application message for this node's handlers.
    func deliver(_ application: ApplicationMessage, origin: ReplicaID)
    /// A membership event for observers and logs.
    func report(_ event: MembershipEvent)
    /// Sends a message to the children (a certified node filters it per child first).
    func publish(_ message: WireMessage)
}

extension NodeShell {
    package func publish(_ message: WireMessage) { transport.publish(message) }

    /// Runs `directives` in order.
    package func execute(_ directives: [NodeDirective]) {
        for directive in directives {
            switch directive {
            case .connectSubscriber(let publish): transport.connectSubscriber(to: publish)
            case .connectPusher(let pull): transport.connectPusher(to: pull)
            case .disconnectParent: transport.disconnectParent()
            case .subscribe(let prefix): transport.subscribe(prefix)
            case .unsubscribe(let prefix): transport.unsubscribe(prefix)
            case .publish(let message): publish(message)
            case .push(let message): transport.push(message)
            case .pack(let packing): transport.setPacking(packing)
            case .setBeacon(let beacon): transport.setWelcome(beacon.frame)
            case .probe(let publish): transport.probe(publish)
            case .sendOnce(let pull, let message): transport.sendOnce(message.frames, toPull: pull)
            case .broadcast(let datagram): transport.broadcast(datagram)
            case .sendDatagram(let datagram, let destination): transport.sendDatagram(datagram, to: destination)
            case .deliver(let application, let origin): deliver(application, origin: origin)
            case .event(let event): report(event)
            }
        }
    }
}
