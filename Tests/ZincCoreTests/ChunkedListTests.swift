import Testing
@testable import ZincCore

@Suite("Chunked lists")
struct ChunkedListTests {
    @Test("inserts, replacements and removals anywhere keep the same order as an array", arguments: testSeeds(50))
    func matchesAnArray(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var list = ChunkedList<Int>()
        var array: [Int] = []
        var next = 0
        func check() {
            var flattened: [Int] = []
            list.forEach { flattened.append($0) }
            #expect(flattened == array, "seed \(seed)")
        }
        for _ in 0..<3000 {
            next += 1
            switch random.int(0..<10) {
            case 0..<5:
                // Insert before the first element not below a random key (the list stays sorted).
                let key = random.int(0..<(next + 1))
                let position = list.firstPosition { $0 < key }
                list.insert(key, at: position)
                array.insert(key, at: array.firstIndex { $0 >= key } ?? array.count)
            case 5, 6:
                list.append(next * 10)
                array.append(next * 10)
                array.sort()
                list = Self.sorted(list)
            case 7, 8:
                guard !array.isEmpty else { continue }
                let key = array[random.int(0..<array.count)]
                let position = list.firstPosition { $0 < key }
                let pieces = random.int(0..<3)
                list.replace(at: position, with: Array(repeating: key, count: pieces))
                let index = array.firstIndex { $0 >= key } ?? 0
                array.replaceSubrange(index...index, with: Array(repeating: key, count: pieces))
            default:
                let cut = random.int(0..<(next + 1))
                list.removeAll { $0 % 7 == cut % 7 }
                array.removeAll { $0 % 7 == cut % 7 }
            }
        }
        check()
        #expect(list.chunks.allSatisfy { !$0.isEmpty && $0.count <= ChunkedList<Int>.maxChunk })
    }

    static func sorted(_ list: ChunkedList<Int>) -> ChunkedList<Int> {
        var elements: [Int] = []
        list.forEach { elements.append($0) }
        var rebuilt = ChunkedList<Int>()
        for element in elements.sorted() { rebuilt.append(element) }
        return rebuilt
    }
}
