import Testing
import ZincCore
@testable import ZincProtocol

/// De-duplication of application messages (docs/protocol.md §16): a window of sequence numbers
/// per origin, for a bounded number of origins.
@Suite("Seen application messages")
struct SeenApplicationMessagesTests {
    static let origins = (0..<5).map { ReplicaID(deterministicFrom: "origin \($0)") }

    /// Inserts each number in turn; which of them were new.
    static func insert(_ sequences: some Sequence<UInt64>, into window: inout SequenceWindow) -> [Bool] {
        sequences.map { window.insert($0) }
    }

    @Test("a window remembers the last width numbers; above moves it, far below starts it again")
    func window() {
        var window = SequenceWindow(width: 64, first: 1)
        var new = Self.insert([1], into: &window)
        #expect(new == [false])
        new = Self.insert(2...64, into: &window)
        #expect(new.allSatisfy { $0 })
        new = Self.insert(1...64, into: &window)
        #expect(new.allSatisfy { !$0 }, "each was seen")
        // Up by 36: the window is 37...100, and the bits 65...99 reuse are cleared.
        new = Self.insert([100], into: &window)
        #expect(new == [true] && window.highest == 100)
        new = Self.insert(37...64, into: &window)
        #expect(new.allSatisfy { !$0 }, "still in the window")
        new = Self.insert(65...99, into: &window)
        #expect(new.allSatisfy { $0 }, "never seen")
        // 36 is 64 below the highest: the origin restarted, and the window starts again there;
        // the old run's numbers are forgotten.
        new = Self.insert([36, 37, 36], into: &window)
        #expect(new == [true, true, false] && window.highest == 37)
        // A jump of a whole width or more forgets everything before it.
        new = Self.insert([37 + 64, 37], into: &window)
        #expect(new == [true, true], "37 is 64 below the highest: forgotten by the jump, and a restart")
        new = Self.insert([38, 38 + 63, 38], into: &window)
        #expect(new == [true, true, false], "38 is 63 below the highest, in the window, and was seen")
    }

    @Test("a width not of whole words is rounded up")
    func roundedWidth() {
        var window = SequenceWindow(width: 10, first: 1)
        let new = Self.insert([64, 1], into: &window)
        #expect(new == [true, false], "1 is within the 64 numbers up to 64")
    }

    @Test("the table matches a set-based model over random traffic from more origins than it holds")
    func againstModel() {
        for seed in UInt64(1)...300 {
            var random = SplitMix(state: seed)
            let width = [64, 128, 192][Int(seed % 3)]
            let maxOrigins = Int(seed % 4) + 1
            var seen = SeenApplicationMessages(width: width, maxOrigins: maxOrigins)
            var model = Model(width: UInt64(width), maxOrigins: maxOrigins)
            var next = [UInt64](repeating: 1_000, count: Self.origins.count)
            for step in 0..<600 {
                let which = Int.random(in: 0..<Self.origins.count, using: &random)
                // Mostly near the origin's recent numbers (duplicates and reordering); now and
                // then a jump ahead, or a restart far below.
                let sequence: UInt64
                switch UInt8.random(in: 0..<100, using: &random) {
                case 0..<3: sequence = UInt64.random(in: 1...500, using: &random)
                case 3..<8: sequence = next[which] + UInt64.random(in: 1...UInt64(3 * width), using: &random)
                default: sequence = next[which] - min(next[which] - 1, UInt64.random(in: 0...UInt64(width + 8), using: &random))
                }
                next[which] = max(next[which], sequence) + 1
                let expected = model.insert(origin: which, sequence: sequence)
                let actual = seen.insert(origin: Self.origins[which], sequence: sequence)
                #expect(actual == expected, "seed \(seed), step \(step): origin \(which), sequence \(sequence)")
                if actual != expected { return }
            }
            #expect(seen.origins == min(maxOrigins, model.owners.count), "seed \(seed)")
        }
    }

    /// The rules of §16 with plain sets: per origin, the numbers seen within `width` of the
    /// highest; the origin first heard longest ago forgotten when a new one finds it full.
    struct Model {
        let width: UInt64
        let maxOrigins: Int
        var owners: [Int] = []
        var highest: [Int: UInt64] = [:]
        var numbers: [Int: Set<UInt64>] = [:]

        mutating func insert(origin: Int, sequence: UInt64) -> Bool {
            guard let top = highest[origin] else {
                if owners.count == maxOrigins {
                    let forgotten = owners.removeFirst()
                    highest[forgotten] = nil
                    numbers[forgotten] = nil
                }
                owners.append(origin)
                highest[origin] = sequence
                numbers[origin] = [sequence]
                return true
            }
            if sequence > top {
                highest[origin] = sequence
                numbers[origin] = (numbers[origin] ?? []).filter { sequence - $0 < width }.union([sequence])
                return true
            }
            if top - sequence >= width {
                // A restarted origin: its window starts again.
                highest[origin] = sequence
                numbers[origin] = [sequence]
                return true
            }
            return numbers[origin, default: []].insert(sequence).inserted
        }
    }
}
