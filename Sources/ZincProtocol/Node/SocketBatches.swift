/// A batching shell's packed frames in the making (docs/protocol.md §4): one builder for the
/// messages to the children (PUB) and one for those to the parent (PUSH). The socket shell and
/// the simulator both keep one, so they batch by the same rules: a frame leaves when its
/// builder says so, the parent's batch before that connection changes, and the rest at the end
/// of the shell's turn.
package struct SocketBatches: Sendable {
    private var publishes = PackedFrameBuilder()
    private var pushes = PackedFrameBuilder()

    package init() {}

    /// Adds a message for the children; returns a frame to send now, if one is finished.
    package mutating func publish(_ message: WireMessage) -> PackedFrameBuilder.Packed? { publishes.append(message) }

    /// Adds a message for the parent; returns a frame to send now, if one is finished.
    package mutating func push(_ message: WireMessage) -> PackedFrameBuilder.Packed? { pushes.append(message) }

    /// What waits for the parent, taken before its connection changes: unbatched, those
    /// messages would already be in the old connection's queue.
    package mutating func finishPushes() -> PackedFrameBuilder.Packed? { pushes.finish() }

    /// Everything waiting, taken at the end of the shell's turn.
    package mutating func finish() -> (publish: PackedFrameBuilder.Packed?, push: PackedFrameBuilder.Packed?) {
        (publishes.finish(), pushes.finish())
    }
}
