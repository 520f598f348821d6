import Testing
@testable import ZincCore

@Suite("Partition point")
struct PartitionPointTests {
    @Test("the binary search finds what a scan from the start finds, on sorted arrays, slices and every threshold", arguments: testSeeds(200))
    func matchesALinearScan(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        let values = (0..<random.int(0..<40)).map { _ in random.int(0..<20) }.sorted()
        for threshold in -1...21 {
            let expected = values.firstIndex { $0 >= threshold } ?? values.endIndex
            #expect(values.partitionPoint { $0 < threshold } == expected, "seed \(seed), threshold \(threshold)")
            let start = values.isEmpty ? 0 : random.int(0..<values.count + 1)
            let slice = values[start...]
            let expectedInSlice = slice.firstIndex { $0 >= threshold } ?? slice.endIndex
            #expect(slice.partitionPoint { $0 < threshold } == expectedInSlice, "seed \(seed), slice from \(start), threshold \(threshold)")
        }
    }
}
