import Testing
@testable import ZincProtocol

@Suite("Pacing queue")
struct PacingQueueTests {
    /// What a shell did with the queue's decisions: (edit, overdue) in the order run.
    typealias Runs = [(String, Bool)]

    func release(_ queue: inout PacingQueue<String>, at now: Duration, ahead: Set<String>) -> Runs {
        var runs: Runs = []
        queue.release(now: now, isAhead: { ahead.contains($0) }) { item, _, overdue in runs.append((item, overdue)) }
        return runs
    }

    @Test("an edit runs at once unless its document is ahead or an earlier edit of it waits")
    func submit() {
        var queue = PacingQueue<String>(limit: .seconds(1))
        #expect(queue.submit("a1", document: "a", now: .zero, isAhead: false) == "a1")
        #expect(queue.submit("a2", document: "a", now: .zero, isAhead: true) == nil)
        #expect(queue.submit("a3", document: "a", now: .milliseconds(10), isAhead: false) == nil, "behind a2: order per document")
        #expect(queue.submit("b1", document: "b", now: .milliseconds(10), isAhead: false) == "b1", "another document is not held up")
        #expect(queue.count == 2 && queue.nextDeadline == .seconds(1))
    }

    @Test("release: in order per document, a waiting edit keeps later ones of its document, others pass")
    func releaseOrder() {
        var queue = PacingQueue<String>(limit: .seconds(1))
        _ = queue.submit("a1", document: "a", now: .zero, isAhead: true)
        _ = queue.submit("b1", document: "b", now: .zero, isAhead: true)
        _ = queue.submit("a2", document: "a", now: .zero, isAhead: false)
        _ = queue.submit("b2", document: "b", now: .zero, isAhead: false)
        let first = release(&queue, at: .milliseconds(100), ahead: ["a"])
        #expect(first.map(\.0) == ["b1", "b2"] && first.allSatisfy { !$0.1 })
        #expect(queue.count == 2 && queue.nextDeadline == .seconds(1))
        let second = release(&queue, at: .milliseconds(200), ahead: [])
        #expect(second.map(\.0) == ["a1", "a2"])
        #expect(queue.isEmpty && queue.nextDeadline == nil)
    }

    @Test("an edit that waited the whole limit runs anyway, marked overdue; isAhead is asked again after each run")
    func overdue() {
        var queue = PacingQueue<String>(limit: .seconds(1))
        _ = queue.submit("a1", document: "a", now: .zero, isAhead: true)
        _ = queue.submit("a2", document: "a", now: .milliseconds(500), isAhead: true)
        #expect(release(&queue, at: .milliseconds(999), ahead: ["a"]).isEmpty)
        // At the first deadline a1 is overdue; after it runs the shell released the slow child,
        // so a2 (not yet overdue itself) runs too, not overdue.
        var ahead: Set<String> = ["a"]
        var runs: Runs = []
        queue.release(now: .seconds(1), isAhead: { ahead.contains($0) }) { item, document, overdue in
            runs.append((item, overdue))
            if overdue { ahead.remove(document) }
        }
        #expect(runs.map(\.0) == ["a1", "a2"] && runs.map(\.1) == [true, false])
    }

    @Test("removeAll hands back every held edit in order, for the shell to fail")
    func removeAll() {
        var queue = PacingQueue<String>(limit: .seconds(1))
        for (index, document) in ["a", "b", "a"].enumerated() { _ = queue.submit("e\(index)", document: document, now: .zero, isAhead: true) }
        #expect(queue.removeAll() == ["e0", "e1", "e2"])
        #expect(queue.isEmpty)
    }
}
