extension SequenceTree {
    /// Builds a tree directly from runs in document order and the visible content, leaves
    /// filled to about half their capacity and nodes built bottom-up: O(n), no integration.
    ///
    /// Fails if the content does not match the runs or if two runs claim the same item.
    init(bulkRuns runs: [SequenceRun], content: [Element], measuresUTF16: Bool = true) throws(DecodingError) {
        self.init(measuresUTF16: measuresUTF16)
        let visible = runs.reduce(0) { $0 + $1.visibleCount }
        guard visible == content.count else {
            throw DecodingError(.invalid, "sequence runs hold \(visible) visible items, content has \(content.count)")
        }
        guard !runs.isEmpty else { return }
        let runsPerLeaf = Self.leafRunCapacity / 2
        let contentPerLeaf = Self.leafContentCapacity / 2
        leaves.removeAll(keepingCapacity: true)
        nodes.removeAll(keepingCapacity: true)
        var contentOffset = 0
        var current = Leaf()
        var leafNumber: Int32 = 0
        var placed: [(replica: UInt32, counter: UInt64, length: UInt64, leaf: Int32)] = []
        placed.reserveCapacity(runs.count)

        func flush() {
            current.previous = leafNumber - 1
            current.next = -1
            leaves.append(current)
            if leafNumber > 0 { leaves[Int(leafNumber - 1)].next = leafNumber }
            leafNumber += 1
            current = Leaf()
        }

        for var run in runs {
            while true {
                let room = contentPerLeaf - current.content.count
                // A visible run longer than the room left is cut; the rest continues in the next leaf.
                if !run.isDeleted && run.count > room && room > 0 && current.content.count + run.count > Self.leafContentCapacity {
                    var head = run
                    head.length = Int32(room)
                    append(head)
                    flush()
                    run = run.suffix(from: room)
                    continue
                }
                append(run)
                if current.runs.count >= runsPerLeaf || current.content.count >= contentPerLeaf { flush() }
                break
            }
        }
        if !current.runs.isEmpty || leaves.isEmpty { flush() }

        func append(_ run: SequenceRun) {
            current.runs.append(run)
            if !run.isDeleted {
                current.content.append(contentsOf: content[contentOffset..<contentOffset + run.count])
                contentOffset += run.count
            }
            current.total += run.count
            placed.append((run.id.replica, run.id.counter, UInt64(run.length), leafNumber))
        }

        // Measures, counts.
        runCount = 0
        for index in leaves.indices {
            leaves[index].measure = measure(of: leaves[index].content)
            runCount += leaves[index].runs.count
        }
        visibleCount = content.count
        totalCount = leaves.reduce(0) { $0 + $1.total }
        measureCount = leaves.reduce(0) { $0 + $1.measure }

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
        placed.sort { $0.replica != $1.replica ? $0.replica < $1.replica : $0.counter < $1.counter }
        var previousEnd: (replica: UInt32, end: UInt64)?
        for entry in placed {
            if let previousEnd, previousEnd.replica == entry.replica, entry.counter < previousEnd.end {
                throw DecodingError(.invalid, "two runs claim item \(entry.replica):\(entry.counter)")
            }
            previousEnd = (entry.replica, entry.counter + entry.length)
            ensureReplica(entry.replica)
            if index[Int(entry.replica)].lastValue != entry.leaf {
                index[Int(entry.replica)].append(start: entry.counter, value: entry.leaf)
            }
        }
    }
}
