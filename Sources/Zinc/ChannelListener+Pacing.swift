import DequeModule
import Logging
import ZincProtocol

/// A local edit held back because its document's slowest child was a flow window behind.
struct HeldEdit {
    let document: String
    /// When the node stops waiting for the slow child and runs the edit anyway.
    let deadline: Duration
    let command: EndpointCore.Command
}

/// Per-child flow control (docs/protocol.md, "Flow control"): the source of local edits slows
/// to its slowest child instead of running ahead until the publisher drops and digest repair
/// catches the child up again and again.
extension ChannelListener {
    /// Runs `command`, a local edit of `document`, now or once the document's slowest child has
    /// caught up to within ``EndpointConfiguration/flowWindow`` deltas. Edits of one document
    /// keep their order.
    func runPaced(_ document: String, _ command: EndpointCore.Command) {
        if heldBack.contains(where: { $0.document == document }) || isAhead(document) {
            heldBack.append(HeldEdit(document: document, deadline: now + configuration.pacingLimit, command: command))
            counters.editsHeldBack += 1
            return
        }
        command.run(self)
    }

    private func isAhead(_ document: String) -> Bool {
        machine.flowLag(document) >= configuration.flowWindow
    }

    /// Runs the held edits whose children caught up, in order per document. A child that kept
    /// an edit waiting for the whole pacing limit no longer holds the source back: it is
    /// served by digest repair until it reports holding what the source held then.
    func releaseHeldEdits() {
        var waiting = Deque<HeldEdit>()
        var blocked: Set<String> = []
        while let edit = heldBack.popFirst() {
            if let stopReason {
                edit.command.fail(stopReason)
                continue
            }
            if blocked.contains(edit.document) {
                waiting.append(edit)
                continue
            }
            if isAhead(edit.document) {
                guard now >= edit.deadline else {
                    blocked.insert(edit.document)
                    waiting.append(edit)
                    continue
                }
                while isAhead(edit.document) {
                    let released = machine.stopWaitingForSlowestChildren(edit.document)
                    guard !released.isEmpty else { break }
                    counters.slowChildrenReleased += UInt64(released.count)
                    let names = released.map(\.shortDescription).joined(separator: ", ")
                    logger.warning("stopped waiting for children a flow window behind for \(configuration.pacingLimit); digests will repair them", metadata: ["document": "\(edit.document)", "children": "\(names)"])
                }
            }
            edit.command.run(self)
        }
        heldBack = waiting
    }

    /// Fails every held edit (the endpoint is stopping).
    func failHeldEdits(_ reason: EndpointError) {
        while let edit = heldBack.popFirst() { edit.command.fail(reason) }
    }
}
