/// Why an encoding could not be decoded. Every decoder in Zinc reports one of these instead of
/// trapping, whatever the input.
public struct DecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: String, Sendable, Hashable {
        /// The input ended in the middle of a value.
        case truncated
        /// A value is out of its allowed range or malformed (an overlong varint, bad UTF-8, ...).
        case invalid
        /// A size exceeds a configured ``DecodingLimits`` value.
        case limitExceeded
        /// The format or version is not one this build reads.
        case unsupportedVersion
        /// Bytes were left over after a complete value.
        case trailingBytes
    }

    public let reason: Reason
    /// What was being decoded, and where ("fragment op 3: content length").
    public let context: String

    public init(_ reason: Reason, _ context: String) {
        self.reason = reason
        self.context = context
    }

    public var description: String { "\(reason.rawValue): \(context)" }
}

/// Bounds every decoder checks before allocating, so hostile input cannot make a node allocate
/// or loop without limit. The defaults suit interactive documents; raise them for bulk data.
public struct DecodingLimits: Sendable, Hashable {
    /// The most bytes of any one string, binary value or content run.
    public var maxBytes: Int = 64 << 20
    /// The most elements of any one collection (ops in a fragment, items in a list, keys...).
    public var maxElements: Int = 4 << 20
    /// The most replicas one encoding may name.
    public var maxReplicas: Int = 1 << 20
    /// The deepest nesting of values and containers.
    public var maxDepth: Int = 64
    /// The most visible items a decoded document may hold.
    public var maxDocumentItems: Int = 64 << 20

    public init() {}

    public static let `default` = DecodingLimits()
}

/// Reads what ``ByteWriter`` writes, validating every length against the input and the limits.
public struct ByteReader: ~Copyable {
    @usableFromInline let base: UnsafeRawBufferPointer
    public private(set) var offset: Int = 0
    public let limits: DecodingLimits

    /// Reads from `buffer`, which must outlive the reader (use ``withReader(_:limits:_:)``).
    public init(_ buffer: UnsafeRawBufferPointer, limits: DecodingLimits = .default) {
        base = buffer
        self.limits = limits
    }

    public var remaining: Int { base.count - offset }
    public var isAtEnd: Bool { offset >= base.count }

    public mutating func readByte(_ context: @autoclosure () -> String = "byte") throws(DecodingError) -> UInt8 {
        guard offset < base.count else { throw DecodingError(.truncated, context()) }
        defer { offset += 1 }
        return base[offset]
    }

    public mutating func readBytes(_ count: Int, _ context: @autoclosure () -> String = "bytes") throws(DecodingError) -> [UInt8] {
        guard count >= 0, count <= remaining else { throw DecodingError(.truncated, context()) }
        defer { offset += count }
        return [UInt8](UnsafeRawBufferPointer(rebasing: base[offset..<offset + count]))
    }

    /// Lends the next `count` bytes without copying.
    public mutating func withBytes<R>(_ count: Int, _ context: @autoclosure () -> String = "bytes", _ body: (UnsafeRawBufferPointer) throws(DecodingError) -> R) throws(DecodingError) -> R {
        guard count >= 0, count <= remaining else { throw DecodingError(.truncated, context()) }
        defer { offset += count }
        return try body(UnsafeRawBufferPointer(rebasing: base[offset..<offset + count]))
    }

    public mutating func readUInt16(_ context: @autoclosure () -> String = "uint16") throws(DecodingError) -> UInt16 {
        guard remaining >= 2 else { throw DecodingError(.truncated, context()) }
        defer { offset += 2 }
        return UInt16(base[offset]) << 8 | UInt16(base[offset + 1])
    }

    public mutating func readUInt32(_ context: @autoclosure () -> String = "uint32") throws(DecodingError) -> UInt32 {
        guard remaining >= 4 else { throw DecodingError(.truncated, context()) }
        var value: UInt32 = 0
        for i in 0..<4 { value = value << 8 | UInt32(base[offset + i]) }
        offset += 4
        return value
    }

    public mutating func readUInt64(_ context: @autoclosure () -> String = "uint64") throws(DecodingError) -> UInt64 {
        guard remaining >= 8 else { throw DecodingError(.truncated, context()) }
        var value: UInt64 = 0
        for i in 0..<8 { value = value << 8 | UInt64(base[offset + i]) }
        offset += 8
        return value
    }

    /// An unsigned LEB128 varint of at most 10 bytes, rejecting overlong or overflowing forms.
    @inline(__always)
    public mutating func readVarint(_ context: @autoclosure () -> String = "varint") throws(DecodingError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < base.count else { throw DecodingError(.truncated, context()) }
            let byte = base[offset]
            offset += 1
            if shift == 63 && byte > 1 { throw DecodingError(.invalid, context() + ": varint overflows 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                if byte == 0 && shift > 0 { throw DecodingError(.invalid, context() + ": overlong varint") }
                return result
            }
            shift += 7
        }
    }

    /// A varint that must fit `bound` (inclusive), as an `Int`.
    @inline(__always)
    public mutating func readVarint(max bound: Int, _ context: @autoclosure () -> String) throws(DecodingError) -> Int {
        let value = try readVarint(context())
        guard bound >= 0, value <= UInt64(bound) else { throw DecodingError(.limitExceeded, context() + ": \(value) exceeds \(bound)") }
        return Int(value)
    }

    /// A count of elements, checked against ``DecodingLimits/maxElements`` and against the bytes
    /// left (each element needs at least `minimumBytesEach`), so a forged count cannot make the
    /// caller reserve memory the input could never fill.
    public mutating func readCount(_ context: @autoclosure () -> String, minimumBytesEach: Int = 1) throws(DecodingError) -> Int {
        let count = try readVarint(max: limits.maxElements, context())
        guard minimumBytesEach == 0 || count <= remaining / max(1, minimumBytesEach) else {
            throw DecodingError(.truncated, context() + ": \(count) elements cannot fit in \(remaining) bytes")
        }
        return count
    }

    public mutating func readSigned(_ context: @autoclosure () -> String = "signed varint") throws(DecodingError) -> Int64 {
        let raw = try readVarint(context())
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// Length-prefixed bytes, bounded by ``DecodingLimits/maxBytes``.
    public mutating func readLengthPrefixed(_ context: @autoclosure () -> String = "bytes") throws(DecodingError) -> [UInt8] {
        let count = try readVarint(max: limits.maxBytes, context())
        return try readBytes(count, context())
    }

    /// A length-prefixed UTF-8 string; invalid UTF-8 is an error, not a replacement character.
    public mutating func readString(_ context: @autoclosure () -> String = "string") throws(DecodingError) -> String {
        let count = try readVarint(max: limits.maxBytes, context())
        return try withBytes(count, context()) { (raw) throws(DecodingError) -> String in
            guard isValidUTF8(raw) else { throw DecodingError(.invalid, context() + ": not valid UTF-8") }
            return String(decoding: raw, as: UTF8.self)
        }
    }

    /// A length-prefixed UTF-8 string decoded straight into Unicode scalar values (no `String`
    /// in between), rejecting invalid UTF-8: overlong forms, surrogates, values past U+10FFFF.
    public mutating func readScalars(_ context: @autoclosure () -> String = "text") throws(DecodingError) -> [UInt32] {
        let count = try readVarint(max: limits.maxBytes, context())
        guard count <= remaining else { throw DecodingError(.truncated, context()) }
        let bytes = UnsafeRawBufferPointer(rebasing: base[offset..<offset + count])
        offset += count
        return try decodeUTF8Scalars(bytes, context: context())
    }

    public mutating func readDouble(_ context: @autoclosure () -> String = "double") throws(DecodingError) -> Double {
        Double(bitPattern: try readUInt64(context()))
    }

    /// Fails unless every byte was consumed.
    public func expectEnd(_ context: @autoclosure () -> String) throws(DecodingError) {
        guard isAtEnd else { throw DecodingError(.trailingBytes, context() + ": \(remaining) bytes left over") }
    }
}

/// Runs `body` with a reader over `bytes`.
public func withReader<R>(
    _ bytes: [UInt8], limits: DecodingLimits = .default,
    _ body: (inout ByteReader) throws(DecodingError) -> R
) throws(DecodingError) -> R {
    let outcome: Result<R, DecodingError> = bytes.withUnsafeBytes { raw in
        var reader = ByteReader(raw, limits: limits)
        do throws(DecodingError) {
            return .success(try body(&reader))
        } catch {
            return .failure(error)
        }
    }
    return try outcome.get()
}

/// True if `bytes` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
/// Written out rather than calling `String(validating:)`, whose generic path is slow here.
public func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
    var i = 0
    let count = bytes.count
    while i < count {
        let lead = bytes[i]
        if lead < 0x80 {
            i += 1
            continue
        }
        let length: Int
        var value: UInt32
        let minimum: UInt32
        switch lead {
        case 0xC2...0xDF: length = 2; value = UInt32(lead & 0x1F); minimum = 0x80
        case 0xE0...0xEF: length = 3; value = UInt32(lead & 0x0F); minimum = 0x800
        case 0xF0...0xF4: length = 4; value = UInt32(lead & 0x07); minimum = 0x10000
        default: return false
        }
        guard i + length <= count else { return false }
        for k in 1..<length {
            let byte = bytes[i + k]
            guard byte & 0xC0 == 0x80 else { return false }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        guard value >= minimum, value <= 0x10FFFF, !(0xD800...0xDFFF).contains(value) else { return false }
        i += length
    }
    return true
}

/// Decodes well-formed UTF-8 into scalar values, or throws (overlong forms, surrogates and
/// values past U+10FFFF are errors).
public func decodeUTF8Scalars(_ bytes: UnsafeRawBufferPointer, context: @autoclosure () -> String) throws(DecodingError) -> [UInt32] {
    let count = bytes.count
    var scalars: [UInt32] = []
    scalars.reserveCapacity(count)
    var i = 0
    while i < count {
        let lead = UInt32(bytes[i])
        if lead < 0x80 {
            scalars.append(lead)
            i += 1
            continue
        }
        let length: Int
        var value: UInt32
        let minimum: UInt32
        switch lead {
        case 0xC2...0xDF: length = 2; value = lead & 0x1F; minimum = 0x80
        case 0xE0...0xEF: length = 3; value = lead & 0x0F; minimum = 0x800
        case 0xF0...0xF4: length = 4; value = lead & 0x07; minimum = 0x10000
        default: throw DecodingError(.invalid, context() + ": not valid UTF-8")
        }
        guard i + length <= count else { throw DecodingError(.invalid, context() + ": not valid UTF-8") }
        for k in 1..<length {
            let byte = UInt32(bytes[i + k])
            guard byte & 0xC0 == 0x80 else { throw DecodingError(.invalid, context() + ": not valid UTF-8") }
            value = value << 6 | (byte & 0x3F)
        }
        guard value >= minimum, value <= 0x10FFFF, !(0xD800...0xDFFF).contains(value) else {
            throw DecodingError(.invalid, context() + ": not valid UTF-8")
        }
        scalars.append(value)
        i += length
    }
    return scalars
}

/// Sorts `keys` ascending and permutes `values` alongside (LSD radix sort, 11 bits per pass,
/// skipping passes whose digit is constant). O(n) for the 64-bit packed IDs it is used on.
func radixSort(_ keys: inout [UInt64], _ values: inout [UInt32]) {
    let count = keys.count
    guard count > 1 else { return }
    var otherKeys = [UInt64](repeating: 0, count: count)
    var otherValues = [UInt32](repeating: 0, count: count)
    var histogram = [Int](repeating: 0, count: 2048)
    var combinedOr: UInt64 = 0, combinedAnd: UInt64 = .max
    for key in keys { combinedOr |= key; combinedAnd &= key }
    let varying = combinedOr ^ combinedAnd
    var shift: UInt64 = 0
    while shift < 64 {
        if (varying >> shift) & 0x7FF != 0 {
            for i in 0..<2048 { histogram[i] = 0 }
            for key in keys { histogram[Int((key >> shift) & 0x7FF)] += 1 }
            var total = 0
            for i in 0..<2048 {
                let c = histogram[i]
                histogram[i] = total
                total += c
            }
            for i in 0..<count {
                let digit = Int((keys[i] >> shift) & 0x7FF)
                let position = histogram[digit]
                histogram[digit] = position + 1
                otherKeys[position] = keys[i]
                otherValues[position] = values[i]
            }
            swap(&keys, &otherKeys)
            swap(&values, &otherValues)
        }
        shift += 11
    }
}
