/// Unicode scalars (or list value indices) kept one byte each while every one is below 256, and
/// four bytes each from the first that is not. Deleted text is mostly Latin-1, and a replica
/// keeps every deleted character for past versions: 32-bit storage quadrupled that memory (a
/// document rewritten in place keeps four bytes per character it ever held).
struct CompactScalars: Sendable, RandomAccessCollection, Equatable {
    private enum Storage: Sendable {
        case narrow([UInt8])
        case wide([UInt32])
    }

    private var storage: Storage

    init() { storage = .narrow([]) }

    init(_ elements: some Collection<UInt32>) {
        storage = .narrow([])
        append(contentsOf: elements)
    }

    var startIndex: Int { 0 }
    var endIndex: Int {
        switch storage {
        case .narrow(let bytes): bytes.count
        case .wide(let scalars): scalars.count
        }
    }

    subscript(position: Int) -> UInt32 {
        switch storage {
        case .narrow(let bytes): UInt32(bytes[position])
        case .wide(let scalars): scalars[position]
        }
    }

    /// True while one byte per element suffices.
    var isNarrow: Bool {
        if case .narrow = storage { return true }
        return false
    }

    mutating func append(contentsOf elements: some Collection<UInt32>) {
        insert(contentsOf: elements, at: count)
    }

    mutating func insert(contentsOf elements: some Collection<UInt32>, at index: Int) {
        if elements.withContiguousStorageIfAvailable({ insertNarrow($0, at: index) }) == true { return }
        switch storage {
        case .narrow(var bytes) where elements.allSatisfy({ $0 < 0x100 }):
            storage = .narrow([])
            let narrowed = elements.lazy.map { UInt8(truncatingIfNeeded: $0) }
            // Appending (typing forward, deleting forward) skips the general insert's shuffle.
            if index == bytes.count { bytes.append(contentsOf: narrowed) } else { bytes.insert(contentsOf: narrowed, at: index) }
            storage = .narrow(bytes)
        case .narrow(let bytes):
            var scalars = bytes.map(UInt32.init)
            scalars.insert(contentsOf: elements, at: index)
            storage = .wide(scalars)
        case .wide(var scalars):
            // Moved out first, so the insert does not copy the buffer.
            storage = .narrow([])
            scalars.insert(contentsOf: elements, at: index)
            storage = .wide(scalars)
        }
    }

    /// Inserts `elements` if they and the storage are narrow, in loops over plain memory that
    /// vectorise (a 1 KiB delete keeps 1 KiB of deleted text: the generic path's checked
    /// element-by-element narrowing was a tenth of a fan-out client's time). False otherwise.
    private mutating func insertNarrow(_ elements: UnsafeBufferPointer<UInt32>, at index: Int) -> Bool {
        guard case .narrow(var bytes) = storage else { return false }
        var high: UInt32 = 0
        for element in elements { high |= element }
        guard high < 0x100 else { return false }
        storage = .narrow([])
        let zeros = repeatElement(UInt8(0), count: elements.count)
        if index == bytes.count { bytes.append(contentsOf: zeros) } else { bytes.insert(contentsOf: zeros, at: index) }
        bytes.withUnsafeMutableBufferPointer { target in
            for offset in 0..<elements.count { target[index &+ offset] = UInt8(truncatingIfNeeded: elements[offset]) }
        }
        storage = .narrow(bytes)
        return true
    }

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.elementsEqual(rhs) }

    /// Bytes the storage allocated (for memory accounting).
    var allocatedBytes: Int {
        switch storage {
        case .narrow(let bytes): bytes.capacity
        case .wide(let scalars): scalars.capacity * 4
        }
    }
}
