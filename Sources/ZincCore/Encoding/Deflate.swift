import CZlib

/// zlib's deflate, for large text columns. Decompression is bounded: the caller states the
/// size it expects (read from the encoding and checked against limits first).
enum Deflate {
    static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        guard !bytes.isEmpty else { return [] }
        var capacity = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(capacity))
        let status = output.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { input in
                compress2(out.baseAddress, &capacity, input.baseAddress, uLong(input.count), level)
            }
        }
        precondition(status == Z_OK, "zlib compress2 failed with \(status)")
        output.removeSubrange(Int(capacity)...)
        return output
    }

    /// Inflates `compressed` into exactly `expectedSize` bytes, or fails.
    static func decompress(_ compressed: UnsafeRawBufferPointer, expectedSize: Int) throws(FormatError) -> [UInt8] {
        guard expectedSize > 0 else {
            guard compressed.isEmpty else { throw FormatError(.invalid, "compressed data for empty content") }
            return []
        }
        var size = uLong(expectedSize)
        var status = Z_OK
        // Uninitialised: zlib writes every byte of a stream that inflates to `expectedSize`, and
        // any other outcome throws (the bytes count as initialised only on success).
        let output = [UInt8](unsafeUninitializedCapacity: expectedSize) { out, initialized in
            status = uncompress(out.baseAddress, &size, compressed.bindMemory(to: UInt8.self).baseAddress, uLong(compressed.count))
            initialized = status == Z_OK && Int(size) == expectedSize ? expectedSize : 0
        }
        guard status == Z_OK, Int(size) == expectedSize else {
            throw FormatError(.invalid, "compressed content is corrupt (zlib \(status), \(size) of \(expectedSize) bytes)")
        }
        return output
    }
}
