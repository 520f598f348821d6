/// A batching shell's packed frames in the making (docs/protocol.md §4): one builder for the
/// messages to the children (PUB) and one for those to the parent (PUSH), each used only where
/// the node's ``Packing`` allows. The socket shell and the simulator both keep one, so they
/// batch by the same rules: a message goes alone where packing is not allowed, a frame leaves
/// when its builder says so, the parent's batch before that connection changes, a socket's
/// batch before it stops packing, and the rest at the end of the shell's turn.
package struct SocketBatches: Sendable {
    private var publishes = PackedFrameBuilder()
    private var pushes = PackedFrameBuilder()
    /// Where packing is allowed now: nowhere until the node says otherwise.
    package private(set) var packing = Packing.nowhere

    /// What the shell sends now for a message it hands over.
    package enum Release: Sendable, Hashable {
        /// The message itself, in three frames: packing is not allowed on its socket.
        case alone
        /// Nothing yet: the message waits in the frame being built.
        case held
        /// A finished frame, to send before anything else; the message waits in the next one.
        case frame(PackedFrameBuilder.Packed)
    }

    package init() {}

    /// Hands over a message for the children.
    package mutating func publish(_ message: WireMessage) -> Release {
        guard packing.toChildren else { return .alone }
        return publishes.append(message).map(Release.frame) ?? .held
    }

    /// Hands over a message for the parent.
    package mutating func push(_ message: WireMessage) -> Release {
        guard packing.toParent else { return .alone }
        return pushes.append(message).map(Release.frame) ?? .held
    }

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
