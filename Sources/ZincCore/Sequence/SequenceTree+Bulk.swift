extension SequenceTree {
    /// Builds a tree directly from runs in document order and the visible content, leaves
    /// filled to about half their capacity and nodes built bottom-up: O(n), no integration.
    ///
    /// Fails if the content does not match the runs or if two runs claim the same item.
    init(bulkRuns runs: [SequenceRun], content: [Element], measuresUTF16: Bool = true) throws(FormatError) {
        self.init(measuresUTF16: measuresUTF16)
        let visible = runs.reduce(0) { $0 + $1.visibleCount }
        guard visible == content.count else {
            throw FormatError(.invalid, "sequence runs hold \(visible) visible items, content has \(content.count)")
        }
        guard !runs.isEmpty else { return }
        let runsPerLeaf = Self.leafRunCapacity / 2
        let contentPerLeaf = Self.leafContentCapacity / 2
        // Visible runs longer than a leaf's share are cut first (rare: big pastes).
        var runs = runs
        if runs.contains(where: { !$0.isDeleted && $0.count > contentPerLeaf }) {
            var cut: [SequenceRun] = []
            cut.reserveCapacity(runs.count + 16)
            for var run in runs {
                while !run.isDeleted && run.count > contentPerLeaf {
                    var head = run
                    head.length = Int32(contentPerLeaf)
                    cut.append(head)
                    run = run.suffix(from: contentPerLeaf)
                }
                cut.append(run)
            }
            runs = cut
        }
        // Leaf boundaries: about half a leaf of runs or of content each.
        leaves.removeAll(keepingCapacity: true)
        nodes.removeAll(keepingCapacity: true)
        leaves.reserveCapacity(runs.count / runsPerLeaf + content.count / contentPerLeaf + 2)
        var keys: [UInt64] = []
        var leafOfRun: [Int32] = []
        keys.reserveCapacity(runs.count)
        leafOfRun.reserveCapacity(runs.count)
        var runStart = 0
        var contentStart = 0
        runs.withUnsafeBufferPointer { runs in
            while runStart < runs.count {
                var runEnd = runStart
                var visible = 0
                var total = 0
                while runEnd < runs.count && runEnd - runStart < runsPerLeaf && visible < contentPerLeaf {
                    visible += runs[runEnd].visibleCount
                    total += runs[runEnd].count
                    runEnd += 1
                }
                let number = Int32(leaves.count)
                var leaf = Leaf()
                leaf.runs = Array(runs[runStart..<runEnd])
                leaf.content = Array(content[contentStart..<contentStart + visible])
                leaf.total = total
                leaf.measure = measure(of: leaf.content)
                leaf.previous = number - 1
                leaf.next = runEnd < runs.count ? number + 1 : -1
                leaves.append(leaf)
                for r in runStart..<runEnd {
                    keys.append(runs[r].id.raw)
                    leafOfRun.append(number)
                }
                runStart = runEnd
                contentStart += visible
            }
        }
        if leaves.isEmpty { leaves.append(Leaf()) }
        runCount = runs.count
        visibleCount = content.count
        var total = 0, measured = 0
        for leaf in leaves {
            total += leaf.total
            measured += leaf.measure
        }
        totalCount = total
        measureCount = measured

        // Internal levels, bottom-up.
        var level: [(child: Int32, counts: Counts)] = leaves.indices.map {
            (Int32($0), Counts(visible: leaves[$0].content.count, total: leaves[$0].total, measure: leaves[$0].measure))
        }
        var childrenAreLeaves = true
        let fanout = Self.nodeCapacity / 2
        repeat {
            var next: [(child: Int32, counts: Counts)] = []
            var start = 0
            while start < level.count {
                let end = min(level.count, start + fanout)
                var node = Node()
                node.childrenAreLeaves = childrenAreLeaves
                let nodeIndex = Int32(nodes.count)
                for entry in level[start..<end] {
                    let slot = Int32(node.children.count)
                    if childrenAreLeaves { leaves[Int(entry.child)].slot = slot } else { nodes[Int(entry.child)].slot = slot }
                    node.children.append(entry.child)
                    node.counts.append(entry.counts)
                    if childrenAreLeaves { leaves[Int(entry.child)].parent = nodeIndex } else { nodes[Int(entry.child)].parent = nodeIndex }
                }
                next.append((nodeIndex, node.sum))
                nodes.append(node)
                start = end
            }
            level = next
            childrenAreLeaves = false
        } while level.count > 1
        root = level[0].child
        nodes[Int(root)].parent = -1
        nodes[Int(root)].slot = 0

        // The ID index, per replica in counter order; overlapping runs mean corrupt input.
        var order = (0..<keys.count).map { UInt32(truncatingIfNeeded: $0) }
        radixSort(&keys, &order)
        var previousEnd: UInt64 = 0
        var previousReplica: UInt32 = .max
        for (position, key) in zip(order, keys) {
            let run = runs[Int(position)]
            let item = ItemID(raw: key)
            if item.replica == previousReplica && item.counter < previousEnd {
                throw FormatError(.invalid, "two runs claim item \(item)")
            }
            previousReplica = item.replica
            previousEnd = item.counter + UInt64(run.length)
            let leaf = leafOfRun[Int(position)]
            ensureReplica(item.replica)
            if index[Int(item.replica)].lastValue != leaf {
                index[Int(item.replica)].append(start: item.counter, value: leaf)
            }
        }
    }
}
