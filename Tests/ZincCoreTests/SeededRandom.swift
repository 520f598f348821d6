/// A small, fast, seedable generator (SplitMix64) so every randomized test can print the seed
/// that reproduces a failure.
struct SeededRandom: RandomNumberGenerator {
    private(set) var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
}

/// Seeds for a randomized test: `ZINC_SEED=n` replays one seed, otherwise `count` seeds.
func testSeeds(_ count: Int, base: UInt64 = 0) -> [UInt64] {
    if let text = ProcessInfo.processInfo.environment["ZINC_SEED"], let seed = UInt64(text) { return [seed] }
    return (0..<UInt64(count)).map { base &+ $0 &* 7919 &+ 1 }
}

import Foundation
