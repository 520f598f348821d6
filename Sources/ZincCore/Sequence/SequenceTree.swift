/// The ordered items of a text or list CRDT: a B-tree of run-length encoded ``SequenceRun``s
/// whose leaves also hold the visible content, with per-child aggregates (visible items, all
/// items including tombstones, and a secondary measure such as UTF-16 units) for O(log n)
/// position lookups, and a per-replica ``CounterIntervalMap`` from item IDs to leaves.
///
/// Storage is an arena: leaves and internal nodes live in two arrays and refer to each other by
/// index, so walking the tree involves no reference counting and copying a document is a
/// copy-on-write of a few arrays. A leaf emptied of visible content folds into a sibling
/// (``mergeIfTombstonesOnly(_:)``), so a leaf number stays valid only until the next delete.
struct SequenceTree: Sendable {
    /// Visible items are stored as 32-bit values: Unicode scalars for text, indices into the
    /// list's value table for lists. One concrete type keeps the hot paths free of generic
    /// dispatch.
    typealias Element = UInt32

    /// Runs per leaf before it splits.
    static var leafRunCapacity: Int { 32 }
    /// Visible elements per leaf before it splits. Small leaves keep each insert's memmove short.
    static var leafContentCapacity: Int { 512 }
    /// Children per internal node before it splits.
    static var nodeCapacity: Int { 32 }

    struct Leaf: Sendable {
        var runs: [SequenceRun] = []
        /// The visible items' content, in run order (deleted runs contribute nothing).
        var content: [Element] = []
        var parent: Int32 = 0
        /// This leaf's index among its parent's children.
        var slot: Int32 = 0
        var previous: Int32 = -1
        var next: Int32 = -1
        var total: Int = 0
        var measure: Int = 0
    }

    /// A child's aggregates: visible items, all items (tombstones included), secondary measure.
    struct Counts: Sendable, Equatable {
        var visible = 0
        var total = 0
        var measure = 0

        @inline(__always) mutating func add(_ other: Counts) {
            visible &+= other.visible
            total &+= other.total
            measure &+= other.measure
        }

        @inline(__always) mutating func subtract(_ other: Counts) {
            visible &-= other.visible
            total &-= other.total
            measure &-= other.measure
        }
    }

    struct Node: Sendable {
        var children: [Int32] = []
        /// One entry per child, kept in one array so updating a level touches one buffer.
        var counts: [Counts] = []
        var parent: Int32 = -1
        /// This node's index among its parent's children.
        var slot: Int32 = 0
        var childrenAreLeaves = true

        var sum: Counts {
            var sum = Counts()
            for count in counts { sum.add(count) }
            return sum
        }
    }

    var leaves: [Leaf]
    /// Numbers of leaves folded into a sibling, for reuse (their slots hold empty leaves).
    var freeLeaves: [Int32] = []
    var nodes: [Node]
    var root: Int32
    /// Replica index → (counter → leaf).
    var index: [CounterIntervalMap] = []
    /// The content of deleted items (for past states).
    var tombstones = TombstoneContent()
    /// Set while items arrive out of counter order (a state merge): each one is indexed exactly
    /// instead of assuming it is its replica's newest.
    var indexesOutOfOrder = false

    var visibleCount = 0
    var totalCount = 0
    var measureCount = 0
    /// Number of runs across all leaves.
    var runCount = 0
    /// The leaf of the last visible-position lookup and the visible index it starts at, so a
    /// run of edits in one place skips the descent. Reset when another leaf changes size.
    var cursorLeaf: Int32 = -1
    var cursorStart = 0

    /// True for text: the secondary measure counts UTF-16 units (2 for scalars above U+FFFF);
    /// false for lists, where it counts elements.
    var measuresUTF16 = true

    init(measuresUTF16: Bool = true) {
        self.measuresUTF16 = measuresUTF16
        var leaf = Leaf()
        leaf.parent = 0
        leaves = [leaf]
        var node = Node()
        node.children = [0]
        node.counts = [Counts()]
        nodes = [node]
        root = 0
    }

    var firstLeaf: Int32 {
        var node = root
        while true {
            let child = nodes[Int(node)].children[0]
            if nodes[Int(node)].childrenAreLeaves { return child }
            node = child
        }
    }

    var lastLeaf: Int32 {
        var node = root
        while true {
            let child = nodes[Int(node)].children[nodes[Int(node)].children.count - 1]
            if nodes[Int(node)].childrenAreLeaves { return child }
            node = child
        }
    }

    // MARK: - Locating positions

    typealias Location = SequenceLocation

    /// The visible item at visible index `position` (0 ..< visibleCount).
    func locateVisible(_ position: Int) -> Location {
        precondition(position >= 0 && position < visibleCount, "visible index out of range")
        var remaining = position
        var node = Int(root)
        var leaf: Int32
        while true {
            var slot = 0
            nodes[node].counts.withUnsafeBufferPointer { counts in
                while remaining >= counts[slot].visible {
                    remaining -= counts[slot].visible
                    slot += 1
                }
            }
            let child = nodes[node].children[slot]
            if nodes[node].childrenAreLeaves { leaf = child; break }
            node = Int(child)
        }
        var contentOffset = 0
        return leaves[Int(leaf)].runs.withUnsafeBufferPointer { runs in
            for r in 0..<runs.count where !runs[r].isDeleted {
                let length = runs[r].count
                if remaining < length {
                    return Location(leaf: leaf, run: r, offset: remaining, contentOffset: contentOffset + remaining)
                }
                remaining -= length
                contentOffset += length
            }
            preconditionFailure("sequence aggregates disagree with leaf contents")
        }
    }

    /// ``locateVisible(_:)`` through the cursor cache: editing where the last edit happened costs
    /// a scan of one leaf.
    mutating func locateVisibleCached(_ position: Int) -> Location {
        if cursorLeaf >= 0 {
            let count = leaves[Int(cursorLeaf)].content.count
            if position >= cursorStart && position < cursorStart + count {
                return locateInLeaf(cursorLeaf, visible: position - cursorStart)
            }
        }
        let location = locateVisible(position)
        cursorLeaf = location.leaf
        cursorStart = position - location.contentOffset
        return location
    }

    /// The visible item `remaining` items into `leaf`.
    func locateInLeaf(_ leaf: Int32, visible remaining: Int) -> Location {
        var remaining = remaining
        var contentOffset = 0
        return leaves[Int(leaf)].runs.withUnsafeBufferPointer { runs in
            for r in 0..<runs.count where !runs[r].isDeleted {
                let length = runs[r].count
                if remaining < length {
                    return Location(leaf: leaf, run: r, offset: remaining, contentOffset: contentOffset + remaining)
                }
                remaining -= length
                contentOffset += length
            }
            preconditionFailure("sequence aggregates disagree with leaf contents")
        }
    }

    /// The item at full index `position` (0 ..< totalCount), tombstones included.
    func locateFull(_ position: Int) -> Location {
        precondition(position >= 0 && position < totalCount, "full index out of range")
        var remaining = position
        var node = Int(root)
        var leaf: Int32
        while true {
            var slot = 0
            nodes[node].counts.withUnsafeBufferPointer { counts in
                while remaining >= counts[slot].total {
                    remaining -= counts[slot].total
                    slot += 1
                }
            }
            let child = nodes[node].children[slot]
            if nodes[node].childrenAreLeaves { leaf = child; break }
            node = Int(child)
        }
        var contentOffset = 0
        return leaves[Int(leaf)].runs.withUnsafeBufferPointer { runs in
            for r in 0..<runs.count {
                let length = runs[r].count
                if remaining < length {
                    return Location(leaf: leaf, run: r, offset: remaining, contentOffset: contentOffset + (runs[r].isDeleted ? 0 : remaining))
                }
                remaining -= length
                contentOffset += runs[r].visibleCount
            }
            preconditionFailure("sequence aggregates disagree with leaf contents")
        }
    }

    /// The counters of `replica`'s items in `counters` that are tombstones here (items the
    /// sequence lacks are left out), ascending and merged.
    func deletedRanges(replica: UInt32, counters: Range<UInt64>) -> [Range<UInt64>] {
        var result: [Range<UInt64>] = []
        var counter = counters.lowerBound
        while counter < counters.upperBound {
            guard let location = locate(ItemID(replica: replica, counter: counter)) else {
                counter += 1
                continue
            }
            let run = leaves[Int(location.leaf)].runs[location.run]
            let take = min(counters.upperBound - counter, UInt64(run.count - location.offset))
            if run.isDeleted {
                if let last = result.last, last.upperBound == counter {
                    result[result.count - 1] = last.lowerBound..<counter + take
                } else {
                    result.append(counter..<counter + take)
                }
            }
            counter += take
        }
        return result
    }

    /// The leaf holding `item` and the item's location in it, or `nil` if the sequence has no
    /// such item.
    func locate(_ item: ItemID) -> Location? {
        guard !item.isNone else { return nil }
        let replica = Int(item.replica)
        guard replica < index.count, let leafNumber = index[replica].lookup(item.counter) else { return nil }
        let leaf = Int(leafNumber)
        guard leaf < leaves.count else { return nil }
        var contentOffset = 0
        return leaves[leaf].runs.withUnsafeBufferPointer { runs in
            for r in 0..<runs.count {
                if runs[r].contains(item) {
                    let offset = Int(item.raw &- runs[r].id.raw)
                    return Location(leaf: leafNumber, run: r, offset: offset, contentOffset: contentOffset + (runs[r].isDeleted ? 0 : offset))
                }
                contentOffset += runs[r].visibleCount
            }
            return nil
        }
    }

    /// Items (all, visible, measure) before the start of `leaf` in document order.
    func leafStart(_ leaf: Int32) -> (total: Int, visible: Int, measure: Int) {
        var total = 0, visible = 0, measure = 0
        var slot = Int(leaves[Int(leaf)].slot)
        var parent = leaves[Int(leaf)].parent
        while parent >= 0 {
            let node = Int(parent)
            nodes[node].counts.withUnsafeBufferPointer { counts in
                for j in 0..<slot {
                    total += counts[j].total
                    visible += counts[j].visible
                    measure += counts[j].measure
                }
            }
            slot = Int(nodes[node].slot)
            parent = nodes[node].parent
        }
        return (total, visible, measure)
    }

    /// The full index (tombstones counted) of `item`.
    func fullIndex(of item: ItemID) -> Int? {
        guard let location = locate(item) else { return nil }
        return fullIndex(of: location)
    }

    func fullIndex(of location: Location) -> Int {
        var offset = location.offset
        leaves[Int(location.leaf)].runs.withUnsafeBufferPointer { runs in
            for r in 0..<location.run { offset += runs[r].count }
        }
        return leafStart(location.leaf).total + offset
    }

    /// The number of visible items before `item` (its visible index if it is visible).
    func visibleIndex(of item: ItemID) -> Int? {
        guard let location = locate(item) else { return nil }
        return leafStart(location.leaf).visible + location.contentOffset
    }

    /// The secondary measure (e.g. UTF-16 units) of the first `visiblePosition` visible items.
    func measure(before visiblePosition: Int) -> Int {
        if visiblePosition >= visibleCount { return measureCount }
        if visiblePosition <= 0 { return 0 }
        let location = locateVisible(visiblePosition)
        var measure = leafStart(location.leaf).measure
        leaves[Int(location.leaf)].content.withUnsafeBufferPointer { content in
            for i in 0..<location.contentOffset { measure += self.measure(content[i]) }
        }
        return measure
    }

    /// The visible position whose preceding items measure `target` units (rounded down to a
    /// whole element when `target` falls inside one).
    func visiblePosition(atMeasure target: Int) -> Int {
        if target <= 0 { return 0 }
        if target >= measureCount { return visibleCount }
        var remaining = target
        var position = 0
        var node = Int(root)
        var leaf: Int32
        while true {
            let last = nodes[node].children.count - 1
            var slot = 0
            while slot < last && remaining >= nodes[node].counts[slot].measure {
                remaining -= nodes[node].counts[slot].measure
                position += nodes[node].counts[slot].visible
                slot += 1
            }
            let child = nodes[node].children[slot]
            if nodes[node].childrenAreLeaves { leaf = child; break }
            node = Int(child)
        }
        for element in leaves[Int(leaf)].content {
            let units = measure(element)
            if remaining < units { break }
            remaining -= units
            position += 1
        }
        return position
    }

    // MARK: - Reading

    /// Every visible element in order.
    func elements() -> [Element] {
        var result: [Element] = []
        result.reserveCapacity(visibleCount)
        var leaf = firstLeaf
        while leaf >= 0 {
            result.append(contentsOf: leaves[Int(leaf)].content)
            leaf = leaves[Int(leaf)].next
        }
        return result
    }

    /// The visible elements in `range` of visible positions.
    func elements(in range: Range<Int>) -> [Element] {
        guard !range.isEmpty else { return [] }
        var result: [Element] = []
        result.reserveCapacity(range.count)
        let start = locateVisible(range.lowerBound)
        var leaf = start.leaf
        var offset = start.contentOffset
        while leaf >= 0 && result.count < range.count {
            let content = leaves[Int(leaf)].content
            let take = min(content.count - offset, range.count - result.count)
            result.append(contentsOf: content[offset..<offset + take])
            offset = 0
            leaf = leaves[Int(leaf)].next
        }
        return result
    }

    /// Every run in document order.
    func forEachRun(_ body: (SequenceRun) throws -> Void) rethrows {
        var leaf = firstLeaf
        while leaf >= 0 {
            for run in leaves[Int(leaf)].runs { try body(run) }
            leaf = leaves[Int(leaf)].next
        }
    }

    /// The ID of the item after `location` in full order (tombstones included), or ``ItemID/none``.
    func itemAfter(_ location: Location) -> ItemID {
        let inLeaf: ItemID? = leaves[Int(location.leaf)].runs.withUnsafeBufferPointer { runs in
            if location.offset + 1 < runs[location.run].count { return runs[location.run].id.advanced(by: location.offset + 1) }
            if location.run + 1 < runs.count { return runs[location.run + 1].id }
            return nil
        }
        if let inLeaf { return inLeaf }
        var leaf = leaves[Int(location.leaf)].next
        while leaf >= 0 {
            if let first = leaves[Int(leaf)].runs.first { return first.id }
            leaf = leaves[Int(leaf)].next
        }
        return .none
    }

    /// The first item in full order, or ``ItemID/none`` for an empty sequence.
    var firstItem: ItemID {
        var leaf = firstLeaf
        while leaf >= 0 {
            if let first = leaves[Int(leaf)].runs.first { return first.id }
            leaf = leaves[Int(leaf)].next
        }
        return .none
    }

    // MARK: - Aggregates

    /// Adds deltas to every ancestor of `leaf` and to the totals.
    mutating func propagate(from leaf: Int32, visible: Int, total: Int, measure: Int) {
        guard visible != 0 || total != 0 || measure != 0 else { return }
        if leaf != cursorLeaf { cursorLeaf = -1 }
        leaves[Int(leaf)].total += total
        leaves[Int(leaf)].measure += measure
        let delta = Counts(visible: visible, total: total, measure: measure)
        var slot = Int(leaves[Int(leaf)].slot)
        var parent = leaves[Int(leaf)].parent
        while parent >= 0 {
            let node = Int(parent)
            nodes[node].counts[slot].add(delta)
            slot = Int(nodes[node].slot)
            parent = nodes[node].parent
        }
        visibleCount += visible
        totalCount += total
        measureCount += measure
    }

    /// Stores each child's position in `node` (after children were inserted or moved).
    mutating func renumberSlots(of node: Int, from first: Int = 0) {
        let leavesBelow = nodes[node].childrenAreLeaves
        for slot in first..<nodes[node].children.count {
            let child = Int(nodes[node].children[slot])
            if leavesBelow { leaves[child].slot = Int32(slot) } else { nodes[child].slot = Int32(slot) }
        }
    }

    /// The position of `child` among `node`'s children, by search (for invariant checks).
    @inline(__always) func slotOf(_ child: Int32, in node: Int) -> Int {
        nodes[node].children.withUnsafeBufferPointer { children in
            var slot = 0
            while children[slot] != child { slot += 1 }
            return slot
        }
    }

    /// The secondary measure of one element.
    @inline(__always) func measure(_ element: Element) -> Int {
        measuresUTF16 && element > 0xFFFF ? 2 : 1
    }

    func measure(of elements: some Collection<Element>) -> Int {
        guard measuresUTF16 else { return elements.count }
        // Over contiguous storage with wrapping adds, so the loop vectorises: a 1 KiB insert
        // measures its content at every leaf split, and the checked scalar loop was a sixth
        // of a fan-out client's time.
        let astral = elements.withContiguousStorageIfAvailable(Self.astralCount) ?? Array(elements).withUnsafeBufferPointer(Self.astralCount)
        return elements.count &+ astral
    }

    /// Elements outside the Basic Multilingual Plane (two UTF-16 units each).
    private static func astralCount(_ elements: UnsafeBufferPointer<Element>) -> Int {
        // Branch-free (below 0x10000 the subtraction wraps and sets bit 31), so it vectorises.
        var count: UInt32 = 0
        for element in elements { count &+= ((element &- 0x10000) >> 31) ^ 1 }
        return Int(count)
    }

    // MARK: - Index maintenance

    mutating func ensureReplica(_ replica: UInt32) {
        while index.count <= Int(replica) { index.append(CounterIntervalMap()) }
    }

    /// Records that `run`'s items (new, with the replica's highest counters) live in `leaf`.
    mutating func indexNewItems(_ run: SequenceRun, in leaf: Int32) {
        let replica = Int(run.id.replica)
        ensureReplica(run.id.replica)
        if indexesOutOfOrder {
            index[replica].assign(run.id.counter..<run.id.counter + UInt64(run.length), value: leaf)
            return
        }
        if index[replica].lastValue != leaf || index[replica].lastStart.map({ $0 > run.id.counter }) == true {
            if let lastStart = index[replica].lastStart, lastStart >= run.id.counter {
                index[replica].assign(run.id.counter..<run.id.counter + UInt64(run.length), value: leaf)
            } else {
                index[replica].append(start: run.id.counter, value: leaf)
            }
        }
    }

    /// Records that `run`'s items moved to `leaf`.
    mutating func indexMovedItems(_ run: SequenceRun, to leaf: Int32) {
        ensureReplica(run.id.replica)
        index[Int(run.id.replica)].assign(run.id.counter..<run.id.counter + UInt64(run.length), value: leaf)
    }

    /// Records that `run`'s items moved to `leaf`, a leaf of tombstones they were folded into,
    /// and drops the interval before them if it holds none of the replica's items: counters
    /// its other operations used (a delete's), left pointing at whatever leaf once held the
    /// items after them. So a text rewritten in place keeps an index entry per leaf, not two
    /// per rewrite. (Only here: a split moves runs far more often, and its gaps are few.)
    mutating func indexFoldedItems(_ run: SequenceRun, to leaf: Int32) {
        indexMovedItems(run, to: leaf)
        let replica = Int(run.id.replica)
        guard let before = index[replica].interval(endingAt: run.id.counter) else { return }
        let holder = Int(before.value)
        let holds = holder < leaves.count && leaves[holder].parent >= 0 && leaves[holder].runs.contains { other in
            other.id.replica == run.id.replica && other.id.counter < before.end && other.id.counter + UInt64(other.length) > before.start
        }
        if !holds { index[replica].removeInterval(startingAt: before.start) }
    }

    // MARK: - Structural edits inside a leaf

    /// The content offset where run `run` of `leaf` starts.
    func contentOffset(ofRun run: Int, in leaf: Int32) -> Int {
        var offset = 0
        leaves[Int(leaf)].runs.withUnsafeBufferPointer { runs in
            for r in 0..<run { offset += runs[r].visibleCount }
        }
        return offset
    }

    /// Splits run `run` of `leaf` so that a new run starts at `offset` (0 < offset < length).
    mutating func splitRun(_ run: Int, at offset: Int, in leaf: Int32) {
        let suffix = leaves[Int(leaf)].runs[run].suffix(from: offset)
        leaves[Int(leaf)].runs[run].length = Int32(offset)
        leaves[Int(leaf)].runs.insert(suffix, at: run + 1)
        runCount += 1
    }

    /// Merges run `run` with run `run + 1` if the second continues the first.
    @discardableResult
    mutating func mergeIfPossible(_ run: Int, in leaf: Int32) -> Bool {
        let count = leaves[Int(leaf)].runs.count
        guard run >= 0, run + 1 < count else { return false }
        let next = leaves[Int(leaf)].runs[run + 1]
        guard leaves[Int(leaf)].runs[run].canAppend(next) else { return false }
        leaves[Int(leaf)].runs[run].length += next.length
        leaves[Int(leaf)].runs.remove(at: run + 1)
        runCount -= 1
        return true
    }

    /// Inserts `run` (with `content` if visible) after full-order item `location`, or at the very
    /// start when `location` is nil. Returns where the run's first item landed (its leaf and
    /// content offset; add ``leafStart(_:)`` for the visible index).
    @discardableResult
    mutating func insert(_ run: SequenceRun, content: some Collection<Element>, after location: Location?) -> (leaf: Int32, contentOffset: Int) {
        let leaf: Int32
        var runIndex: Int
        var contentOffset: Int
        if let location {
            leaf = location.leaf
            let current = leaves[Int(leaf)].runs[location.run]
            if location.offset + 1 < current.count {
                splitRun(location.run, at: location.offset + 1, in: leaf)
            }
            runIndex = location.run + 1
            // A deleted run adds no content, so its items all sit at the same content offset.
            contentOffset = location.contentOffset + (current.isDeleted ? 0 : 1)
        } else {
            leaf = firstLeaf
            runIndex = 0
            contentOffset = 0
        }
        if runIndex > 0 && leaves[Int(leaf)].runs[runIndex - 1].canAppend(run) {
            leaves[Int(leaf)].runs[runIndex - 1].length += run.length
        } else {
            leaves[Int(leaf)].runs.insert(run, at: runIndex)
            runCount += 1
        }
        var measure = 0
        if !run.isDeleted {
            leaves[Int(leaf)].content.insert(contentsOf: content, at: contentOffset)
            measure = self.measure(of: content)
        }
        indexNewItems(run, in: leaf)
        propagate(from: leaf, visible: run.visibleCount, total: run.count, measure: measure)
        splitIfNeeded(leaf)
        // Splits move a leaf's tail; a visible run whose start is past what stayed moved on.
        var landed = leaf
        var offset = contentOffset
        while !run.isDeleted && offset >= leaves[Int(landed)].content.count && leaves[Int(landed)].next >= 0 {
            offset -= leaves[Int(landed)].content.count
            landed = leaves[Int(landed)].next
        }
        return (landed, offset)
    }

    // MARK: - Splitting

    mutating func splitIfNeeded(_ leaf: Int32) {
        let runs = leaves[Int(leaf)].runs.count
        let content = leaves[Int(leaf)].content.count
        guard runs > Self.leafRunCapacity || content > Self.leafContentCapacity else { return }
        if runs == 1 {
            // One huge run: cut it so the content halves.
            let length = leaves[Int(leaf)].runs[0].count
            splitRun(0, at: length / 2, in: leaf)
        }
        // Choose the split so both halves keep about half of the runs and of the content.
        var splitAt = leaves[Int(leaf)].runs.count / 2
        if content > Self.leafContentCapacity {
            var seen = 0
            let half = content / 2
            for (r, run) in leaves[Int(leaf)].runs.enumerated() {
                if seen + run.visibleCount > half {
                    if seen < half - 1 && run.visibleCount > 1 && half - seen < run.count {
                        splitRun(r, at: half - seen, in: leaf)
                        splitAt = r + 1
                    } else {
                        splitAt = max(1, r)
                    }
                    break
                }
                seen += run.visibleCount
            }
        }
        splitAt = min(max(1, splitAt), leaves[Int(leaf)].runs.count - 1)
        let newLeaf = splitLeaf(leaf, at: splitAt)
        // A large paste can overfill a leaf many times over: keep halving.
        splitIfNeeded(leaf)
        splitIfNeeded(newLeaf)
    }

    /// Moves runs `at...` of `leaf` to a new leaf placed right after it; returns the new leaf.
    @discardableResult
    mutating func splitLeaf(_ leaf: Int32, at splitAt: Int) -> Int32 {
        let moved = Array(leaves[Int(leaf)].runs[splitAt...])
        let contentStart = contentOffset(ofRun: splitAt, in: leaf)
        let movedContent = Array(leaves[Int(leaf)].content[contentStart...])
        leaves[Int(leaf)].runs.removeSubrange(splitAt...)
        leaves[Int(leaf)].content.removeSubrange(contentStart...)
        let movedTotal = moved.reduce(0) { $0 + $1.count }
        let movedMeasure = measure(of: movedContent)
        var fresh = Leaf()
        fresh.runs = moved
        fresh.content = movedContent
        fresh.parent = leaves[Int(leaf)].parent
        fresh.previous = leaf
        fresh.next = leaves[Int(leaf)].next
        fresh.total = movedTotal
        fresh.measure = movedMeasure
        let newLeaf = allocateLeaf(fresh)
        if fresh.next >= 0 { leaves[Int(fresh.next)].previous = newLeaf }
        leaves[Int(leaf)].next = newLeaf
        leaves[Int(leaf)].total -= movedTotal
        leaves[Int(leaf)].measure -= movedMeasure
        for run in moved { indexMovedItems(run, to: newLeaf) }

        let parent = Int(leaves[Int(leaf)].parent)
        let slot = Int(leaves[Int(leaf)].slot)
        let movedCounts = Counts(visible: movedContent.count, total: movedTotal, measure: movedMeasure)
        nodes[parent].counts[slot].subtract(movedCounts)
        nodes[parent].children.insert(newLeaf, at: slot + 1)
        nodes[parent].counts.insert(movedCounts, at: slot + 1)
        renumberSlots(of: parent, from: slot + 1)
        splitNodeIfNeeded(parent)
        return newLeaf
    }

    mutating func splitNodeIfNeeded(_ node: Int) {
        guard nodes[node].children.count > Self.nodeCapacity else { return }
        let half = nodes[node].children.count / 2
        var fresh = Node()
        fresh.children = Array(nodes[node].children[half...])
        fresh.counts = Array(nodes[node].counts[half...])
        fresh.childrenAreLeaves = nodes[node].childrenAreLeaves
        nodes[node].children.removeSubrange(half...)
        nodes[node].counts.removeSubrange(half...)
        let newNode = Int32(nodes.count)
        for child in fresh.children {
            if fresh.childrenAreLeaves { leaves[Int(child)].parent = newNode } else { nodes[Int(child)].parent = newNode }
        }
        let moved = fresh.sum
        if nodes[node].parent < 0 {
            // The root split: grow the tree by one level.
            let newRoot = Int32(nodes.count + 1)
            fresh.parent = newRoot
            nodes.append(fresh)
            var top = Node()
            top.childrenAreLeaves = false
            top.children = [Int32(node), newNode]
            top.counts = [nodes[node].sum, moved]
            nodes[node].parent = newRoot
            nodes[node].slot = 0
            nodes.append(top)
            root = newRoot
            renumberSlots(of: Int(newNode))
            nodes[Int(newNode)].slot = 1
            return
        }
        let parent = Int(nodes[node].parent)
        fresh.parent = Int32(parent)
        nodes.append(fresh)
        renumberSlots(of: Int(newNode))
        let slot = Int(nodes[node].slot)
        nodes[parent].counts[slot].subtract(moved)
        nodes[parent].children.insert(newNode, at: slot + 1)
        nodes[parent].counts.insert(moved, at: slot + 1)
        renumberSlots(of: parent, from: slot + 1)
        splitNodeIfNeeded(parent)
    }
}

/// Where an item of a sequence is: its leaf, run index in the leaf, offset in the run, and the
/// offset of its content in the leaf's content (for a deleted item, where it would be).
struct SequenceLocation: Equatable, Sendable {
    var leaf: Int32
    var run: Int
    var offset: Int
    var contentOffset: Int
}

/// Why a remote insert could not be integrated.
enum SequenceIntegrationError: Error, Equatable, CustomStringConvertible {
    /// An origin names an item this sequence does not have.
    case unknownOrigin(ItemID)
    /// The right origin is not after the left one.
    case originsOutOfOrder(ItemID, ItemID)

    var description: String {
        switch self {
        case .unknownOrigin(let item): "unknown origin \(item)"
        case .originsOutOfOrder(let left, let right): "right origin \(right) is not after left origin \(left)"
        }
    }
}
