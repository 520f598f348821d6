/// Appends Zinc's binary encodings: fixed-width big-endian integers, LEB128 varints, zigzag
/// signed varints, length-prefixed bytes and strings.
package struct ByteWriter: Sendable {
    package private(set) var bytes: [UInt8]

    package init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    package var count: Int { bytes.count }

    /// Makes room for `capacity` bytes in all, so that appending up to it does not reallocate.
    package mutating func reserveCapacity(_ capacity: Int) { bytes.reserveCapacity(capacity) }

    @inline(__always) package mutating func write(_ byte: UInt8) { bytes.append(byte) }

    package mutating func write(_ raw: some Sequence<UInt8>) { bytes.append(contentsOf: raw) }

    // Concrete overloads for arrays: called from other modules, the generic versions above are
    // not specialised, and append a payload element by element instead of copying it.
    package mutating func write(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }

    /// A big-endian 16-bit integer.
    package mutating func write(uint16 value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    /// A big-endian 32-bit integer.
    package mutating func write(uint32 value: UInt32) {
        // One append of the big-endian bytes: per-byte appends check capacity and uniqueness
        // each time, and a message header is mostly fixed-width integers.
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// A big-endian 64-bit integer.
    package mutating func write(uint64 value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// An unsigned LEB128 varint: 7 bits per byte, low bits first, high bit set on all but the last.
    @inline(__always) package mutating func write(varint value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    @inline(__always) package mutating func write(varint value: Int) {
        write(varint: UInt64(clamping: value))
    }

    /// A signed varint: zigzag (0, -1, 1, -2, ... → 0, 1, 2, 3, ...) then LEB128.
    @inline(__always) package mutating func write(signed value: Int64) {
        write(varint: UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// A varint length then the bytes.
    package mutating func write(lengthPrefixed raw: some Collection<UInt8>) {
        write(varint: UInt64(raw.count))
        bytes.append(contentsOf: raw)
    }

    /// A varint length then the bytes (an array: see the overloads of `write(_:)`).
    package mutating func write(lengthPrefixed raw: [UInt8]) {
        write(varint: UInt64(raw.count))
        bytes.append(contentsOf: raw)
    }

    /// A varint byte length then the UTF-8 bytes.
    package mutating func write(string: String) {
        var string = string
        string.withUTF8 { utf8 in
            write(varint: UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// An IEEE 754 double, big-endian.
    package mutating func write(double value: Double) { write(uint64: value.bitPattern) }
}
