import Testing
@testable import Zinc

/// Deltas: composing edits equals applying them one after the other; mapping positions.
@Suite("Text deltas")
struct TextDeltaTests {
    @Test("a composed delta does what its edits do one after the other", arguments: 0..<300)
    func composeMatchesSequentialEdits(seed: Int) {
        var generator = SystemRandomNumberGenerator()
        var seeded = seed == 0 ? UInt64.random(in: 0...UInt64.max, using: &generator) : UInt64(seed)
        func next(_ bound: Int) -> Int {
            seeded = seeded &* 6364136223846793005 &+ 1442695040888963407
            return bound <= 0 ? 0 : Int((seeded >> 33) % UInt64(bound))
        }
        let start = String((0..<next(20)).map { _ in "abcdé🌍xyz".randomElement(using: &generator) ?? "a" })
        var text = start
        var composed = TextDelta()
        for _ in 0..<next(12) + 1 {
            let length = text.unicodeScalars.count
            let piece: TextDelta
            if length > 0 && next(3) == 0 {
                let position = next(length)
                piece = .delete(min(length - position, next(4) + 1), at: position)
            } else {
                piece = .insert(["x", "yz", "🌍", "ab c"][next(4)], at: next(length + 1))
            }
            text = piece.applied(to: text)
            composed = composed.followed(by: piece)
        }
        #expect(composed.applied(to: start) == text, "from \(start) via \(composed.operations)")
    }

    @Test("positions map through inserts, deletes and retains")
    func mapping() {
        let delta = TextDelta([.retain(2), .insert("XY"), .retain(3), .delete(2)])
        #expect(delta.map(0) == 0)
        #expect(delta.map(2) == 2)
        #expect(delta.map(2, sticksRight: true) == 4)
        #expect(delta.map(4) == 6)
        #expect(delta.map(5) == 7 && delta.map(6) == 7 && delta.map(7) == 7)
        #expect(delta.map(9) == 9)
        let selection = TextSelection(anchor: 2, head: 5).mapped(through: delta)
        #expect(selection == TextSelection(anchor: 4, head: 7), "text typed at a selection's edge stays outside it")
    }
}
