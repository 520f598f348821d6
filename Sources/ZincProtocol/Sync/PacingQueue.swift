import DequeModule

/// Local edits held back by per-child flow control (docs/protocol.md, "Flow control"): which
/// edit waits, which runs, and when waiting ends, with no I/O. The shell asks whether a
/// document's slowest child is a flow window behind (``FlowWindow/lag``) and runs what this
/// queue hands back.
///
/// - Edits of one document keep their order: an edit waits while an earlier one of its document
///   waits, even if its children have caught up since.
/// - Edits of other documents are not held up by it.
/// - An edit that waited ``limit`` runs anyway, marked overdue: the shell then stops waiting
///   for the children still a window behind (digest repair serves them).
package struct PacingQueue<Item> {
    fileprivate struct Held {
        let document: String
        /// When the edit runs whether or not its children caught up.
        let deadline: Duration
        let item: Item
    }

    /// How long an edit waits at most.
    package let limit: Duration
    /// In arrival order; deadlines are non-decreasing (one limit for all).
    private var held = Deque<Held>()

    package init(limit: Duration) {
        self.limit = limit
    }

    package var isEmpty: Bool { held.isEmpty }
    package var count: Int { held.count }

    /// When the earliest held edit runs regardless: a shell wakes by then.
    package var nextDeadline: Duration? { held.first?.deadline }

    /// An edit of `document` arrives: returned to run now, or nil if it is held (`isAhead`: the
    /// document's slowest child is a flow window behind).
    package mutating func submit(_ item: Item, document: String, now: Duration, isAhead: Bool) -> Item? {
        guard isAhead || held.contains(where: { $0.document == document }) else { return item }
        held.append(Held(document: document, deadline: now + limit, item: item))
        return nil
    }

    /// Hands `run` every held edit that may run at `now`, in order: its document's children
    /// caught up (`isAhead` false), or it waited ``limit`` (`overdue` true). An edit that must
    /// still wait keeps every later edit of its document waiting too. `isAhead` is asked again
    /// after each run: running an edit moves its document's window.
    package mutating func release(now: Duration, isAhead: (String) -> Bool, run: (_ item: Item, _ document: String, _ overdue: Bool) -> Void) {
        var waiting = Deque<Held>()
        var blocked: Set<String> = []
        while let edit = held.popFirst() {
            if blocked.contains(edit.document) {
                waiting.append(edit)
                continue
            }
            let ahead = isAhead(edit.document)
            if ahead && now < edit.deadline {
                blocked.insert(edit.document)
                waiting.append(edit)
                continue
            }
            run(edit.item, edit.document, ahead)
        }
        held = waiting
    }

    /// Removes and returns every held edit, in order (the endpoint is stopping).
    package mutating func removeAll() -> [Item] {
        defer { held.removeAll() }
        return held.map(\.item)
    }
}

extension PacingQueue: Sendable where Item: Sendable {}
extension PacingQueue.Held: Sendable where Item: Sendable {}
