/// Reads what ``ByteWriter`` writes, validating every length against the input and the limits.
@usableFromInline
package struct ByteReader: ~Copyable {
    @usableFromInline let base: UnsafeRawBufferPointer
    package private(set) var offset: Int = 0
    package let limits: DecodingLimits

    /// Reads from `buffer`, which must outlive the reader (use ``withReader(_:limits:_:)``).
    @usableFromInline
    package init(_ buffer: UnsafeRawBufferPointer, limits: DecodingLimits = .default) {
        base = buffer
        self.limits = limits
    }

    package var remaining: Int { base.count - offset }
    package var isAtEnd: Bool { offset >= base.count }

    package mutating func readByte(_ context: @autoclosure () -> String = "byte") throws(FormatError) -> UInt8 {
        guard offset < base.count else { throw FormatError(.truncated, context()) }
        defer { offset += 1 }
        return base[offset]
    }

    package mutating func readBytes(_ count: Int, _ context: @autoclosure () -> String = "bytes") throws(FormatError) -> [UInt8] {
        guard count >= 0, count <= remaining else { throw FormatError(.truncated, context()) }
        defer { offset += count }
        return [UInt8](UnsafeRawBufferPointer(rebasing: base[offset..<offset + count]))
    }

    /// A copy of the bytes read since `start` (an earlier ``offset``).
    package func bytes(from start: Int) -> [UInt8] {
        [UInt8](UnsafeRawBufferPointer(rebasing: base[min(start, offset)..<offset]))
    }

    /// Lends the next `count` bytes without copying.
    package mutating func withBytes<R>(_ count: Int, _ context: @autoclosure () -> String = "bytes", _ body: (UnsafeRawBufferPointer) throws(FormatError) -> R) throws(FormatError) -> R {
        guard count >= 0, count <= remaining else { throw FormatError(.truncated, context()) }
        defer { offset += count }
        return try body(UnsafeRawBufferPointer(rebasing: base[offset..<offset + count]))
    }

    package mutating func readUInt16(_ context: @autoclosure () -> String = "uint16") throws(FormatError) -> UInt16 {
        guard remaining >= 2 else { throw FormatError(.truncated, context()) }
        defer { offset += 2 }
        return UInt16(base[offset]) << 8 | UInt16(base[offset + 1])
    }

    package mutating func readUInt32(_ context: @autoclosure () -> String = "uint32") throws(FormatError) -> UInt32 {
        guard remaining >= 4 else { throw FormatError(.truncated, context()) }
        defer { offset += 4 }
        return UInt32(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    package mutating func readUInt64(_ context: @autoclosure () -> String = "uint64") throws(FormatError) -> UInt64 {
        guard remaining >= 8 else { throw FormatError(.truncated, context()) }
        defer { offset += 8 }
        return UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// An unsigned LEB128 varint of at most 10 bytes, rejecting overlong or overflowing forms.
    @inline(__always)
    package mutating func readVarint(_ context: @autoclosure () -> String = "varint") throws(FormatError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < base.count else { throw FormatError(.truncated, context()) }
            let byte = base[offset]
            offset += 1
            if shift == 63 && byte > 1 { throw FormatError(.invalid, context() + ": varint overflows 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                if byte == 0 && shift > 0 { throw FormatError(.invalid, context() + ": overlong varint") }
                return result
            }
            shift += 7
        }
    }

    /// A varint that must fit `bound` (inclusive), as an `Int`.
    @inline(__always)
    package mutating func readVarint(max bound: Int, _ context: @autoclosure () -> String) throws(FormatError) -> Int {
        let value = try readVarint(context())
        guard bound >= 0, value <= UInt64(bound) else { throw FormatError(.limitExceeded, context() + ": \(value) exceeds \(bound)") }
        return Int(value)
    }

    /// A count of elements, checked against ``DecodingLimits/maxElements`` and against the bytes
    /// left (each element needs at least `minimumBytesEach`), so a forged count cannot make the
    /// caller reserve memory the input could never fill.
    package mutating func readCount(_ context: @autoclosure () -> String, minimumBytesEach: Int = 1) throws(FormatError) -> Int {
        let count = try readVarint(max: limits.maxElements, context())
        guard minimumBytesEach == 0 || count <= remaining / max(1, minimumBytesEach) else {
            throw FormatError(.truncated, context() + ": \(count) elements cannot fit in \(remaining) bytes")
        }
        return count
    }

    package mutating func readSigned(_ context: @autoclosure () -> String = "signed varint") throws(FormatError) -> Int64 {
        let raw = try readVarint(context())
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// Length-prefixed bytes, bounded by ``DecodingLimits/maxBytes``.
    package mutating func readLengthPrefixed(_ context: @autoclosure () -> String = "bytes") throws(FormatError) -> [UInt8] {
        let count = try readVarint(max: limits.maxBytes, context())
        return try readBytes(count, context())
    }

    /// A length-prefixed UTF-8 string; invalid UTF-8 is an error, not a replacement character.
    package mutating func readString(_ context: @autoclosure () -> String = "string") throws(FormatError) -> String {
        let count = try readVarint(max: limits.maxBytes, context())
        return try withBytes(count, context()) { (raw) throws(FormatError) -> String in
            guard isValidUTF8(raw) else { throw FormatError(.invalid, context() + ": not valid UTF-8") }
            return String(decoding: raw, as: UTF8.self)
        }
    }

    /// A length-prefixed UTF-8 string decoded straight into Unicode scalar values (no `String`
    /// in between), rejecting invalid UTF-8: overlong forms, surrogates, values past U+10FFFF.
    package mutating func readScalars(_ context: @autoclosure () -> String = "text") throws(FormatError) -> [UInt32] {
        let count = try readVarint(max: limits.maxBytes, context())
        guard count <= remaining else { throw FormatError(.truncated, context()) }
        let bytes = UnsafeRawBufferPointer(rebasing: base[offset..<offset + count])
        offset += count
        return try decodeUTF8Scalars(bytes, context: context())
    }

    package mutating func readDouble(_ context: @autoclosure () -> String = "double") throws(FormatError) -> Double {
        Double(bitPattern: try readUInt64(context()))
    }

    /// Fails unless every byte was consumed.
    package func expectEnd(_ context: @autoclosure () -> String) throws(FormatError) {
        guard isAtEnd else { throw FormatError(.trailingBytes, context() + ": \(remaining) bytes left over") }
    }
}

/// Runs `body` with a reader over `bytes`. Inlinable so that each decoder gets a copy
/// specialised to its own type: the generic one costs a metadata lookup and a boxed copy of
/// the result per message.
@inlinable
package func withReader<R>(
    _ bytes: [UInt8], limits: DecodingLimits = .default,
    _ body: (inout ByteReader) throws(FormatError) -> R
) throws(FormatError) -> R {
    try withRawBytes(bytes) { (raw) throws(FormatError) -> R in
        var reader = ByteReader(raw, limits: limits)
        return try body(&reader)
    }
}

/// `bytes.withUnsafeBytes(body)`, keeping the body's error type: the standard library's
/// rethrows it as `any Error`. Inlinable for the reason ``withReader(_:limits:_:)`` is.
@inlinable
package func withRawBytes<R, E: Error>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
    let outcome: Result<R, E> = bytes.withUnsafeBytes { raw in
        do throws(E) {
            return .success(try body(raw))
        } catch {
            return .failure(error)
        }
    }
    return try outcome.get()
}

/// True if `bytes` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
/// Written out rather than calling `String(validating:)`, whose generic path is slow here.
package func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
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
package func decodeUTF8Scalars(_ bytes: UnsafeRawBufferPointer, context: @autoclosure () -> String) throws(FormatError) -> [UInt32] {
    let count = bytes.count
    var scalars: [UInt32] = []
    scalars.reserveCapacity(count)
    var i = 0
    while i < count {
        // A run of ASCII is widened in one pass (text is mostly ASCII; appending scalar by
        // scalar was a twentieth of a fan-out client's time).
        var end = i
        while end < count && bytes[end] < 0x80 { end &+= 1 }
        if end > i {
            let start = scalars.count, run = end &- i
            scalars.append(contentsOf: repeatElement(0, count: run))
            scalars.withUnsafeMutableBufferPointer { out in
                for k in 0..<run { out[start &+ k] = UInt32(bytes[i &+ k]) }
            }
            i = end
            continue
        }
        let lead = UInt32(bytes[i])
        let length: Int
        var value: UInt32
        let minimum: UInt32
        switch lead {
        case 0xC2...0xDF: length = 2; value = lead & 0x1F; minimum = 0x80
        case 0xE0...0xEF: length = 3; value = lead & 0x0F; minimum = 0x800
        case 0xF0...0xF4: length = 4; value = lead & 0x07; minimum = 0x10000
        default: throw FormatError(.invalid, context() + ": not valid UTF-8")
        }
        guard i + length <= count else { throw FormatError(.invalid, context() + ": not valid UTF-8") }
        for k in 1..<length {
            let byte = UInt32(bytes[i + k])
            guard byte & 0xC0 == 0x80 else { throw FormatError(.invalid, context() + ": not valid UTF-8") }
            value = value << 6 | (byte & 0x3F)
        }
        guard value >= minimum, value <= 0x10FFFF, !(0xD800...0xDFFF).contains(value) else {
            throw FormatError(.invalid, context() + ": not valid UTF-8")
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
