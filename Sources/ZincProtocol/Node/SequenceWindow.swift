/// The sequence numbers seen from one origin: one bit for each of the `width` numbers up to the
/// highest seen, kept as a ring (number n at bit n mod width), so that recording one costs a few
/// word operations, however far the window moves.
struct SequenceWindow: Sendable {
    /// The highest number seen since the window (re)started.
    private(set) var highest: UInt64
    private var words: [UInt64]

    /// A window of `width` numbers (rounded up to whole 64-bit words) holding `first`.
    init(width: Int, first: UInt64) {
        words = Array(repeating: 0, count: max(1, (width + 63) / 64))
        highest = first
        set(first)
    }

    private var width: UInt64 { UInt64(words.count) &* 64 }

    /// Records `sequence`. False if it is in the window and was seen already.
    ///
    /// A number above the highest moves the window up to it; one more than `width` below the
    /// highest starts the window again at it: its origin restarted and numbers a new run from a
    /// new random point (docs/protocol.md §16), as a delay that long within one run would be.
    mutating func insert(_ sequence: UInt64) -> Bool {
        if sequence > highest {
            let advance = sequence - highest
            if advance >= width {
                clearAll()
            } else {
                clear(after: highest, count: advance - 1)
            }
            highest = sequence
            set(sequence)
            return true
        }
        if highest - sequence >= width {
            clearAll()
            highest = sequence
            set(sequence)
            return true
        }
        let (word, mask) = position(of: sequence)
        guard words[word] & mask == 0 else { return false }
        words[word] |= mask
        return true
    }

    private func position(of sequence: UInt64) -> (word: Int, mask: UInt64) {
        let bit = Int(truncatingIfNeeded: sequence % width)
        return (bit >> 6, 1 << UInt64(bit & 63))
    }

    private mutating func set(_ sequence: UInt64) {
        let (word, mask) = position(of: sequence)
        words[word] |= mask
    }

    private mutating func clearAll() {
        for index in words.indices { words[index] = 0 }
    }

    /// Clears the bits of the `count` numbers after `start` (fewer than `width`), a word at a time.
    private mutating func clear(after start: UInt64, count: UInt64) {
        var bit = Int(truncatingIfNeeded: (start &+ 1) % width)
        var remaining = Int(truncatingIfNeeded: count)
        while remaining > 0 {
            let offset = bit & 63
            let run = min(remaining, 64 - offset)
            let mask: UInt64 = run == 64 ? ~0 : ((1 << UInt64(run)) - 1) << UInt64(offset)
            words[bit >> 6] &= ~mask
            remaining -= run
            bit = (bit + run) % Int(width)
        }
    }
}
