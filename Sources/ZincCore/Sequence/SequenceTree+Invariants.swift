extension SequenceTree {
    /// Verifies every structural invariant; traps with a description on the first violation.
    /// For tests and debugging: O(n log n).
    func checkInvariants() {
        var visible = 0, total = 0, measure = 0, runs = 0
        var leaf = firstLeaf
        var previous: Int32 = -1
        var seenLeaves = 0
        while leaf >= 0 {
            let l = leaves[Int(leaf)]
            precondition(l.previous == previous, "leaf \(leaf) has previous \(l.previous), expected \(previous)")
            let leafVisible = l.runs.reduce(0) { $0 + $1.visibleCount }
            let leafTotal = l.runs.reduce(0) { $0 + $1.count }
            precondition(leafVisible == l.content.count, "leaf \(leaf): \(leafVisible) visible items but \(l.content.count) elements")
            precondition(leafTotal == l.total, "leaf \(leaf): total \(l.total), runs sum to \(leafTotal)")
            precondition(self.measure(of: l.content) == l.measure, "leaf \(leaf): measure mismatch")
            precondition(l.runs.count <= Self.leafRunCapacity + 2, "leaf \(leaf) overfull")
            for run in l.runs {
                precondition(run.length > 0, "empty run in leaf \(leaf)")
                precondition(locate(run.id)?.leaf == leaf, "index does not find \(run.id) in leaf \(leaf)")
                precondition(locate(run.lastID)?.leaf == leaf, "index does not find \(run.lastID) in leaf \(leaf)")
            }
            // Check the aggregates of every ancestor slot for this leaf.
            let parent = Int(l.parent)
            let slot = slotOf(leaf, in: parent)
            precondition(Int(l.slot) == slot, "leaf \(leaf) stores slot \(l.slot), is at \(slot)")
            precondition(nodes[parent].counts[slot].visible == leafVisible, "node \(parent) slot \(slot) visible")
            precondition(nodes[parent].counts[slot].total == leafTotal, "node \(parent) slot \(slot) total")
            precondition(nodes[parent].counts[slot].measure == l.measure, "node \(parent) slot \(slot) measure")
            visible += leafVisible
            total += leafTotal
            measure += l.measure
            runs += l.runs.count
            seenLeaves += 1
            previous = leaf
            leaf = l.next
        }
        precondition(seenLeaves + freeLeaves.count == leaves.count, "\(leaves.count - freeLeaves.count - seenLeaves) leaves unreachable")
        for free in freeLeaves {
            precondition(leaves[Int(free)].parent == -1 && leaves[Int(free)].runs.isEmpty, "free leaf \(free) in use")
        }
        precondition(visible == visibleCount && total == totalCount && measure == measureCount, "totals disagree")
        precondition(runs == runCount, "run count \(runCount), counted \(runs)")
        for (n, node) in nodes.enumerated() {
            for (slot, child) in node.children.enumerated() where !node.childrenAreLeaves {
                let c = nodes[Int(child)]
                precondition(c.parent == Int32(n), "node \(child) parent")
                precondition(Int(c.slot) == slot, "node \(child) stores slot \(c.slot), is at \(slot)")
                precondition(c.sum == node.counts[slot], "node \(n) slot \(slot) sums")
            }
            for child in node.children where node.childrenAreLeaves {
                precondition(leaves[Int(child)].parent == Int32(n), "leaf \(child) parent")
            }
        }
    }
}
