extension SequenceTree {
    /// Folds `leaf` into a sibling once its visible content is gone. Without this, a document
    /// rewritten in place (a log window, a status line) kept one or two leaves per rewrite for
    /// ever: about 1.2 KB of structure per 1 KiB rewrite in each replica. With it, tombstones
    /// pack up to ``leafRunCapacity`` runs per leaf, and neighbouring runs of one burst fold
    /// back into one run.
    ///
    /// Merges only with a sibling under the same parent, so the internal nodes above keep their
    /// aggregates; the emptied leaf's number goes to ``freeLeaves`` for the next split.
    mutating func mergeIfTombstonesOnly(_ leaf: Int32) {
        guard leaves[Int(leaf)].content.isEmpty else { return }
        let parent = Int(leaves[Int(leaf)].parent)
        let slot = Int(leaves[Int(leaf)].slot)
        let siblings = nodes[parent].children.count
        if slot > 0, fits(nodes[parent].children[slot - 1], leaf) {
            mergeLeaves(nodes[parent].children[slot - 1], leaf)
        } else if slot + 1 < siblings, fits(leaf, nodes[parent].children[slot + 1]) {
            mergeLeaves(leaf, nodes[parent].children[slot + 1])
        }
    }

    private func fits(_ left: Int32, _ right: Int32) -> Bool {
        leaves[Int(left)].runs.count + leaves[Int(right)].runs.count <= Self.leafRunCapacity
            && leaves[Int(left)].content.count + leaves[Int(right)].content.count <= Self.leafContentCapacity
    }

    /// Moves every run and element of `right` to the end of `left` (its previous sibling under
    /// the same parent) and frees `right`.
    private mutating func mergeLeaves(_ left: Int32, _ right: Int32) {
        let moved = leaves[Int(right)]
        let boundary = leaves[Int(left)].runs.count
        leaves[Int(left)].runs.append(contentsOf: moved.runs)
        leaves[Int(left)].content.append(contentsOf: moved.content)
        leaves[Int(left)].total += moved.total
        leaves[Int(left)].measure += moved.measure
        for run in moved.runs { indexFoldedItems(run, to: left) }
        if boundary > 0 { mergeIfPossible(boundary - 1, in: left) }

        leaves[Int(left)].next = moved.next
        if moved.next >= 0 { leaves[Int(moved.next)].previous = left }
        let parent = Int(moved.parent)
        let slot = Int(moved.slot)
        nodes[parent].counts[slot - 1].add(nodes[parent].counts[slot])
        nodes[parent].children.remove(at: slot)
        nodes[parent].counts.remove(at: slot)
        renumberSlots(of: parent, from: slot)

        leaves[Int(right)] = Leaf()
        leaves[Int(right)].parent = -1
        freeLeaves.append(right)
        if cursorLeaf == left || cursorLeaf == right { cursorLeaf = -1 }
    }

    /// A leaf number for `leaf`: a freed one if any, else a new one.
    mutating func allocateLeaf(_ leaf: Leaf) -> Int32 {
        if let number = freeLeaves.popLast() {
            leaves[Int(number)] = leaf
            return number
        }
        leaves.append(leaf)
        return Int32(leaves.count - 1)
    }
}
