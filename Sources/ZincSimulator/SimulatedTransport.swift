import ZincCore
import ZincProtocol

/// One node's sockets on the simulator's virtual network: what libzmq would do, with the
/// world's latency, loss, duplication and partitions.
final class SimulatedTransport: Transport {
    unowned let world: World
    let index: Int
    /// Batching nodes (``SimulationConfiguration/batching``) send what one step of theirs
    /// sends on a socket as packed frames where the peers accept them, as the socket shell
    /// does with what one turn of its loop sends.
    private var batches: SocketBatches?

    init(world: World, index: Int) {
        self.world = world
        self.index = index
        if world.configuration.batchingRole(of: index) == .batches { batches = SocketBatches() }
    }

    private var node: SimulatedNode {
        get { world.nodes[index] }
        _modify { yield &world.nodes[index] }
    }

    func connectSubscriber(to publish: String) {
        world.detach(index)
        guard let publisher = world.indexOfPublish[publish] else { return }
        node.connecting = publisher
        world.queue.push(.attach(subscriber: index, incarnation: node.incarnation, publisher: publisher), at: world.now + world.latency())
    }

    func connectPusher(to pull: String) {
        flushPushes()
        node.pushTo = world.indexOfPull[pull]
    }

    func disconnectParent() {
        flushPushes()
        world.detach(index)
    }

    func subscribe(_ prefix: [UInt8]) {
        guard node.subscriptions.insert(prefix).inserted else { return }
        guard let publisher = node.subscribedTo, world.nodes[publisher].isAlive else { return }
        // Lost only with the connection: it resets, and the reconnection re-sends every subscription.
        if world.random.chance(world.configuration.faults.controlLoss) {
            world.result.controlFaults += 1
            world.resetLink(subscriber: index, publisher: publisher)
            return
        }
        world.queue.push(.subscription(publisher: publisher, incarnation: world.nodes[publisher].incarnation, prefix: prefix, subscribed: true, from: index), at: world.now + world.latency())
    }

    func unsubscribe(_ prefix: [UInt8]) {
        node.subscriptions.remove(prefix)
    }

    func publish(_ message: WireMessage) {
        switch batches?.publish(message) ?? .alone {
        case .alone: publish(frames: message.frames)
        case .held: break
        case .frame(let full): publishPacked(full.frame)
        }
    }

    func push(_ message: WireMessage) {
        switch batches?.push(message) ?? .alone {
        case .alone: push(frames: message.frames)
        case .held: break
        case .frame(let full): pushPacked(full.frame)
        }
    }

    func setPacking(_ packing: Packing) {
        // What a socket held when it stopped packing was packed while it was allowed: not checked.
        guard let waiting = batches?.setPacking(packing) else { return }
        if let frame = waiting.publish { publish(frames: [frame.frame]) }
        if let frame = waiting.push { push(frames: [frame.frame]) }
    }

    /// Sends what the node's step left in its batches.
    func flush() {
        guard let batch = batches?.finish() else { return }
        if let frame = batch.publish { publishPacked(frame.frame) }
        if let frame = batch.push { pushPacked(frame.frame) }
    }

    /// A packed frame finished while packing to the children is allowed: the node must not
    /// count a legacy node among its tree children now, nor address one (a redirect) (§4).
    private func publishPacked(_ frame: [UInt8]) {
        if let machine = node.machine {
            let legacy = machine.core.childEntries.map(\.id).filter { world.batchingRole(of: $0) == .legacy }
            if !legacy.isEmpty { world.result.failures.append("n\(index) packed a frame for its children at \(world.now) although it counts legacy \(legacy.map(\.shortDescription)) among them") }
        }
        if case .node(let target)? = try? Topic.decodingPrefix(of: frame).topic, world.batchingRole(of: target) == .legacy {
            world.result.failures.append("n\(index) packed a frame addressed to legacy \(target.shortDescription) at \(world.now)")
        }
        publish(frames: [frame])
    }

    /// A packed frame finished while packing to the parent is allowed: that parent must accept it.
    private func pushPacked(_ frame: [UInt8]) {
        if let target = node.pushTo, world.configuration.batchingRole(of: target) == .legacy {
            world.result.failures.append("n\(index) packed a frame for n\(target), a legacy node, at \(world.now)")
        }
        push(frames: [frame])
    }

    private func flushPushes() {
        if let batch = batches?.finishPushes() { push(frames: [batch.frame]) }
    }

    private func publish(frames: [[UInt8]]) {
        let topic = frames[0]
        let certified = node.rules != nil
        for subscriber in node.subscribers.sorted() where world.nodes[subscriber].subscribedTo == index {
            // A certified publisher's XPUB applies only what its rules allowed each subscriber.
            let prefixes = certified ? node.applied[subscriber, default: []] : world.nodes[subscriber].subscriptions
            guard prefixes.contains(where: { topic.starts(with: $0) }) else { continue }
            if world.nodes[subscriber].isBrowser, frames.count == 1, let messages = try? WireMessage.unpacking(topic, maxPayload: .max) {
                // The gateway sends a browser each message of a packed frame on its own.
                for message in messages { world.transmit(message.frames, from: index, to: subscriber, channel: .subscriber) }
            } else {
                world.transmit(frames, from: index, to: subscriber, channel: .subscriber)
            }
        }
    }

    private func push(frames: [[UInt8]]) {
        guard let target = node.pushTo else { return }
        world.transmit(frames, from: index, to: target, channel: node.isBrowser ? .gateway : .puller)
    }

    func setWelcome(_ frame: [UInt8]) {
        node.welcome = frame
    }

    func probe(_ publish: String?) {
        node.probing = publish.flatMap { world.indexOfPublish[$0] }
        if let target = node.probing, world.nodes[target].isAlive, world.reachable(index, target), let welcome = world.nodes[target].welcome {
            world.queue.push(.probeBeacon(to: index, incarnation: node.incarnation, frame: welcome, publisher: target), at: world.now + world.latency() + world.latency())
        }
    }

    func sendOnce(_ frames: [[UInt8]], toPull pull: String) {
        if let target = world.indexOfPull[pull] { world.transmit(frames, from: index, to: target, channel: .puller) }
    }

    /// One segment: every other node hears it (partitions and losses permitting).
    func broadcast(_ datagram: [UInt8]) {
        for other in world.nodes.indices where other != index { world.sendDatagram(datagram, from: index, to: other) }
    }

    func sendDatagram(_ datagram: [UInt8], to destination: DatagramSource) {
        guard let target = world.nodes.indices.first(where: { world.datagramSource(of: $0) == destination }) else { return }
        world.sendDatagram(datagram, from: index, to: target)
    }
}

/// A simulated node's shell: its transport, and the world's bookkeeping of what it reports.
final class SimulatedShell: NodeShell {
    let transport: SimulatedTransport

    init(world: World, index: Int) {
        transport = SimulatedTransport(world: world, index: index)
    }

    func deliver(_ application: ApplicationMessage, origin: ReplicaID) {}

    func publish(_ message: WireMessage) {
        let world = transport.world, index = transport.index
        guard let rules = world.nodes[index].rules, let machine = world.nodes[index].machine else {
            transport.publish(message)
            return
        }
        for copy in rules.outbound(message, children: machine.core.childIDs, isBrowser: machine.core.isGatewayChild) { transport.publish(copy) }
    }

    func report(_ event: MembershipEvent) {
        let world = transport.world, index = transport.index
        switch event {
        case .promoted: world.result.promotions += 1
        case .mergedInto: world.result.merges += 1
        case .rebalanced: world.result.rebalances += 1
        case .childJoined: world.nodes[index].lastChildJoined = world.now
        default: break
        }
        world.trace("n\(index) \(event)")
    }
}
