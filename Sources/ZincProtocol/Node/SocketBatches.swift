/// A batching shell's packed frames in the making (docs/protocol.md §4): one builder for the
/// messages to the children (PUB) and one for those to the parent (PUSH), each used only where
/// the node's ``Packing`` allows. The socket shell and the simulator both keep one, so they
/// batch by the same rules: a frame leaves when its builder says so, the parent's batch before
/// that connection changes, a socket's batch before it stops packing, and the rest at the end
/// of the shell's turn.
package struct SocketBatches: Sendable {
    private var publishes = PackedFrameBuilder()
    private var pushes = PackedFrameBuilder()
    /// Where packing is allowed now: nowhere until the node says otherwise.
    package private(set) var packing = Packing.nowhere

    package init() {}

    /// Adds a message for the children; returns a frame to send now, if one is finished. Only
    /// while ``packing`` allows it: otherwise the message goes on its own.
    package mutating func publish(_ message: WireMessage) -> PackedFrameBuilder.Packed? { publishes.append(message) }

    /// Adds a message for the parent; returns a frame to send now, if one is finished. Only
    /// while ``packing`` allows it.
    package mutating func push(_ message: WireMessage) -> PackedFrameBuilder.Packed? { pushes.append(message) }

    /// What waits for the parent, taken before its connection changes: unbatched, those
    /// messages would already be in the old connection's queue.
    package mutating func finishPushes() -> PackedFrameBuilder.Packed? { pushes.finish() }

    /// Everything waiting, taken at the end of the shell's turn.
    package mutating func finish() -> (publish: PackedFrameBuilder.Packed?, push: PackedFrameBuilder.Packed?) {
        (publishes.finish(), pushes.finish())
    }

    /// Packs where `packing` allows from now on. Returns what waits for a socket that stops
    /// packing, to send before anything after it.
    package mutating func setPacking(_ packing: Packing) -> (publish: PackedFrameBuilder.Packed?, push: PackedFrameBuilder.Packed?) {
        defer { self.packing = packing }
        return (packing.toChildren ? nil : publishes.finish(), packing.toParent ? nil : pushes.finish())
    }
}
