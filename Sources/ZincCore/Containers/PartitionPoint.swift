extension RandomAccessCollection where Index == Int {
    /// The first index whose element is not `below`, in a collection partitioned by it (every
    /// element for which it holds comes first): `endIndex` if it holds for all. A binary search,
    /// O(log n) calls of `below`.
    @inlinable
    package func partitionPoint(where below: (Element) -> Bool) -> Int {
        var low = startIndex, high = endIndex
        while low < high {
            let middle = low + (high - low) >> 1
            if below(self[middle]) { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
