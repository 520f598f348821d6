import CZeroMQBench

/// Bytes the process holds from malloc right now (glibc's `mallinfo2().uordblks`), or nil
/// where that is not available. The difference around building a value and keeping it is what
/// that value costs in memory, allocator rounding and headers included.
func allocatedBytes() -> Int? {
    let bytes = zinc_bench_allocated_bytes()
    return bytes < 0 ? nil : bytes
}

/// What keeping `make()`'s result costs in allocated bytes (nil where unmeasurable).
func measuredAllocation<T>(_ make: () throws -> T) rethrows -> (value: T, bytes: Int?) {
    let before = allocatedBytes()
    let value = try make()
    guard let before, let after = allocatedBytes() else { return (value, nil) }
    return (value, after - before)
}
