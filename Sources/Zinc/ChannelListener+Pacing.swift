import Logging
import ZincProtocol

/// Per-child flow control (docs/protocol.md, "Flow control"): the source of local edits slows
/// to its slowest child instead of running ahead until the publisher drops and digest repair
/// catches the child up again and again. The policy is ``PacingQueue``'s; this runs what it
/// decides.
extension ChannelListener {
    /// Runs `command`, a local edit of `document`, now or once the document's slowest child has
    /// caught up to within ``EndpointConfiguration/flowWindow`` deltas. Edits of one document
    /// keep their order.
    func runPaced(_ document: String, _ command: EndpointCore.Command) {
        guard let runnable = heldBack.submit(command, document: document, now: now, isAhead: isAhead(document)) else {
            counters.editsHeldBack += 1
            return
        }
        runnable.run(self)
    }

    private func isAhead(_ document: String) -> Bool {
        machine.isAhead(document, window: configuration.flowWindow)
    }

    /// Runs the held edits whose children caught up, in order per document. A child that kept
    /// an edit waiting for the whole pacing limit no longer holds the source back: it is
    /// served by digest repair until it reports holding what the source held then.
    func releaseHeldEdits() {
        heldBack.release(now: now, isAhead: isAhead) { command, document, overdue in
            // An edit run just before may have stopped the endpoint.
            if let stopReason {
                command.fail(stopReason)
                return
            }
            if overdue { stopWaitingForSlowestChildren(document) }
            command.run(self)
        }
    }

    private func stopWaitingForSlowestChildren(_ document: String) {
        let released = machine.stopWaitingForChildren(document, behind: configuration.flowWindow)
        guard !released.isEmpty else { return }
        counters.slowChildrenReleased += UInt64(released.count)
        let names = released.map(\.shortDescription).joined(separator: ", ")
        logger.warning("stopped waiting for children a flow window behind for \(configuration.pacingLimit); digests will repair them", metadata: ["document": "\(document)", "children": "\(names)"])
    }

    /// Fails every held edit (the endpoint is stopping).
    func failHeldEdits(_ reason: EndpointError) {
        for command in heldBack.removeAll() { command.fail(reason) }
    }
}
