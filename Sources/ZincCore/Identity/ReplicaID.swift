/// The identity of one replica of a document: the *origin UUID* stamped on every change it makes.
///
/// 128 random bits, shown in the usual UUID text form. A replica ID must be unique per replica:
/// two processes sharing one would make their changes indistinguishable. Ordering is by the
/// bytes, and only breaks ties between concurrent changes deterministically.
public struct ReplicaID: Hashable, Comparable, Sendable, CustomStringConvertible {
    package let high: UInt64
    package let low: UInt64

    package init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// A random (version 4) UUID.
    public static func random() -> ReplicaID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// A random (version 4) UUID from `generator` (seeded generators give reproducible IDs).
    package static func random(using generator: inout some RandomNumberGenerator) -> ReplicaID {
        let a: UInt64 = generator.next()
        let b: UInt64 = generator.next()
        let high = (a & ~0xF000) | 0x4000
        let low = (b & ~(0xC000_0000_0000_0000 as UInt64)) | 0x8000_0000_0000_0000
        return ReplicaID(high: high, low: low)
    }

    /// The ID whose text form is `string` (`"6ba7b810-9dad-11d1-80b4-00c04fd430c8"`), or `nil`.
    public init?(_ string: String) {
        var nibbles: [UInt8] = []
        nibbles.reserveCapacity(32)
        for (index, byte) in string.utf8.enumerated() {
            if byte == UInt8(ascii: "-") {
                guard [8, 13, 18, 23].contains(index) else { return nil }
                continue
            }
            guard let nibble = Hex.value(of: byte) else { return nil }
            nibbles.append(nibble)
        }
        guard nibbles.count == 32, string.utf8.count == 36 else { return nil }
        var high: UInt64 = 0, low: UInt64 = 0
        for i in 0..<16 { high = high << 4 | UInt64(nibbles[i]) }
        for i in 16..<32 { low = low << 4 | UInt64(nibbles[i]) }
        self.init(high: high, low: low)
    }

    /// An ID derived deterministically from a name (for tests, simulations and named nodes):
    /// FNV-1a over the name, spread over 128 bits, marked as a version 8 (custom) UUID.
    public init(deterministicFrom name: String) {
        var a: UInt64 = 0xCBF2_9CE4_8422_2325
        var b: UInt64 = 0x8422_2325_CBF2_9CE4
        for byte in name.utf8 {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            b = (b ^ UInt64(byte) ^ (a >> 29)) &* 0x0000_0100_0000_01B3
        }
        let high = (a & ~0xF000) | 0x8000
        let low = (b & ~(0xC000_0000_0000_0000 as UInt64)) | 0x8000_0000_0000_0000
        self.init(high: high, low: low)
    }

    /// 16 bytes, big-endian.
    package var bytes: [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) { result.append(UInt8(truncatingIfNeeded: high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { result.append(UInt8(truncatingIfNeeded: low >> UInt64(shift))) }
        return result
    }

    /// The ID in `bytes` (exactly 16), or `nil`.
    package init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0, low: UInt64 = 0
        for (i, byte) in bytes.enumerated() {
            if i < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.init(high: high, low: low)
    }

    package var uuidString: String {
        let hex = Self.hex(high, digits: 16) + Self.hex(low, digits: 16)
        let chars = Array(hex)
        return String(chars[0..<8]) + "-" + String(chars[8..<12]) + "-" + String(chars[12..<16]) + "-"
            + String(chars[16..<20]) + "-" + String(chars[20..<32])
    }

    /// The first 8 hex digits: enough to tell replicas apart in logs and on screen.
    public var shortDescription: String { String(uuidString.prefix(8)) }

    public var description: String { uuidString }

    public static func < (a: ReplicaID, b: ReplicaID) -> Bool {
        a.high != b.high ? a.high < b.high : a.low < b.low
    }

    private static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: digits - text.count) + text
    }

}

extension ByteWriter {
    package mutating func write(_ replica: ReplicaID) {
        write(uint64: replica.high)
        write(uint64: replica.low)
    }
}

extension ByteReader {
    package mutating func readReplicaID(_ context: @autoclosure () -> String = "replica ID") throws(FormatError) -> ReplicaID {
        let high = try readUInt64(context())
        let low = try readUInt64(context())
        return ReplicaID(high: high, low: low)
    }
}
