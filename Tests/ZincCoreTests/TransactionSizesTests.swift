import Foundation
import Testing
@testable import ZincCore

@Suite("Transaction sizes")
struct TransactionSizesTests {
    /// The check as the format states it, in two steps: split the bytes into varints (all
    /// complete, none longer than nine bytes), then add them up, every running end within the limit.
    static func model(_ sizes: [UInt8], base: UInt64, limit: UInt64) -> UInt64? {
        var varints: [[UInt8]] = [[]]
        for byte in sizes {
            varints[varints.count - 1].append(byte)
            if byte & 0x80 == 0 { varints.append([]) }
        }
        guard varints.removeLast().isEmpty, varints.allSatisfy({ $0.count <= 9 }) else { return nil }
        var end = base
        for varint in varints {
            let value = varint.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element & 0x7F) << (7 * UInt64($1.offset)) }
            guard end <= limit, value <= limit - end else { return nil }
            end += value
        }
        return end
    }

    @Test("the loading check (eight one-byte sizes at a time) agrees with the check as the format states it, on sizes of every shape", arguments: testSeeds(300))
    func matchesTheModel(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var sizes: [UInt8] = []
        for _ in 0..<random.int(0..<80) {
            switch random.int(0..<10) {
            case 0: sizes.append(UInt8(random.int(128..<256)))  // a continuation byte
            case 1: sizes.append(0)
            default: sizes.append(UInt8(random.int(1..<128)))
            }
        }
        var log = ReplicaLog()
        log.base = UInt64(random.int(0..<50))
        log.transactionSizes = sizes
        let total = Self.model(sizes, base: log.base, limit: .max) ?? log.base
        // Limits around the sum, where a wrong bound shows: below it, at it, above it.
        for limit in [log.base, total &- 1, total, total + 1, total + UInt64(random.int(0..<300)), .max] {
            #expect(log.checkedLastTransactionEnd(within: limit) == Self.model(sizes, base: log.base, limit: limit), "seed \(seed), limit \(limit), sizes \(sizes)")
        }
    }

    @Test("trimming a log keeps exactly the transaction ends above the floor, the first measured from it", arguments: testSeeds(200))
    func trimKeepsTheEndsAboveTheFloor(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var log = ReplicaLog()
        var counter: UInt64 = 0
        var ends: [UInt64] = []
        for _ in 0..<random.int(0..<60) {
            // Mostly keystrokes, some pastes longer than one varint byte.
            counter += UInt64(random.chance(0.2) ? random.int(128..<40_000) : random.int(1..<4))
            ends.append(counter)
            log.noteTransactionEnd(counter)
        }
        let total = counter + UInt64(random.int(0..<5))  // operations after the last end: still open
        log.runs = [LogRun(counter: 0, lamport: 0, length: UInt32(total + 1), container: 0, kind: .insert, payload: 0)]
        let floor = UInt64(random.int(0..<Int(total + 1)))
        log.trim(below: floor)
        let kept = ends.filter { $0 > floor }
        #expect(log.base == max(floor, 0), "seed \(seed)")
        #expect(log.transactionEnds == kept, "seed \(seed), floor \(floor)")
        #expect(log.lastTransactionEnd == (kept.last ?? 0), "seed \(seed)")
        #expect(log.checkedLastTransactionEnd(within: total + 1) == (kept.last ?? floor), "seed \(seed)")
    }
}
