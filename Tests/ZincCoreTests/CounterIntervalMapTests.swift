import Testing
@testable import ZincCore

@Suite("Counter interval maps")
struct CounterIntervalMapTests {
    @Test("appends, assigns and dropped intervals map every counter as a plain array does, with no entry repeating the one before", arguments: testSeeds(60))
    func matchesAnArray(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var map = CounterIntervalMap()
        // The model: the value of every counter below `size` (nil before the first interval).
        let size = 3000
        var model = [Int32?](repeating: nil, count: size)
        var appended: UInt64 = 0
        for _ in 0..<1500 {
            let value = Int32(random.int(0..<4))
            if random.int(0..<4) == 0 || map.isEmpty {
                // Callers append past every interval (new items of a replica).
                appended = max(appended, map.lastStart ?? 0) + UInt64(random.int(1..<40))
                guard appended < UInt64(size) else { break }
                map.append(start: appended, value: value)
                for counter in Int(appended)..<size { model[counter] = value }
            } else if random.int(0..<5) == 0 {
                // Dropping an interval gives its counters to the one before.
                let counter = UInt64(random.int(1..<size))
                guard let interval = map.interval(endingAt: counter) else { continue }
                #expect(interval.end == counter && interval.start < counter, "seed \(seed)")
                #expect(model[Int(interval.start)..<Int(counter)].allSatisfy { $0 == interval.value }, "seed \(seed)")
                guard interval.start > 0, let before = model[Int(interval.start) - 1] else { continue }
                map.removeInterval(startingAt: interval.start)
                for counter in Int(interval.start)..<Int(counter) { model[counter] = before }
            } else {
                let lower = random.int(0..<size - 1)
                let upper = min(size, lower + random.int(1..<300))
                map.assign(UInt64(lower)..<UInt64(upper), value: value)
                for counter in lower..<upper { model[counter] = value }
            }
        }
        for counter in 0..<size where model[counter] != nil {
            #expect(map.lookup(UInt64(counter)) == model[counter], "seed \(seed), counter \(counter)")
        }
        let entries = map.chunks.flatMap { $0 }
        #expect(zip(entries, entries.dropFirst()).allSatisfy { $0.value != $1.value && $0.start < $1.start }, "seed \(seed)")
    }
}
