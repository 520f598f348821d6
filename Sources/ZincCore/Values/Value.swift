/// A JSON-like value stored in maps, lists, registers and sets.
public enum Value: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    case array([Value])
    case object([String: Value])
}

extension Value: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: Value...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, Value)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension Value: CustomStringConvertible {
    /// The value as JSON text (bytes as a base-16 string, keys sorted).
    public var description: String { json }

    package var json: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .double(let value): return value.isFinite ? "\(value)" : "null"
        case .string(let value): return Self.quote(value)
        case .bytes(let value): return Self.quote(value.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined())
        case .array(let values): return "[" + values.map(\.json).joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.sorted { $0.key < $1.key }.map { Self.quote($0.key) + ":" + $0.value.json }.joined(separator: ",") + "}"
        }
    }

    /// `string` as a JSON string literal (RFC 8259 escaping).
    package static func quote(_ string: String) -> String {
        var result = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

extension Value {
    private enum Tag: UInt8 {
        case null = 0, `false` = 1, `true` = 2, int = 3, double = 4, string = 5, bytes = 6, array = 7, object = 8
    }

    /// Encoding: a tag byte, then for int a zigzag varint, double 8 bytes, string and bytes a
    /// length-prefixed payload, array a count then values, object a count then key/value pairs
    /// with keys in ascending order.
    package func encode(into writer: inout ByteWriter) {
        switch self {
        case .null: writer.write(Tag.null.rawValue)
        case .bool(let value): writer.write(value ? Tag.true.rawValue : Tag.false.rawValue)
        case .int(let value):
            writer.write(Tag.int.rawValue)
            writer.write(signed: value)
        case .double(let value):
            writer.write(Tag.double.rawValue)
            writer.write(double: value)
        case .string(let value):
            writer.write(Tag.string.rawValue)
            writer.write(string: value)
        case .bytes(let value):
            writer.write(Tag.bytes.rawValue)
            writer.write(lengthPrefixed: value)
        case .array(let values):
            writer.write(Tag.array.rawValue)
            writer.write(varint: UInt64(values.count))
            for value in values { value.encode(into: &writer) }
        case .object(let members):
            writer.write(Tag.object.rawValue)
            writer.write(varint: UInt64(members.count))
            for (key, value) in members.sorted(by: { $0.key < $1.key }) {
                writer.write(string: key)
                value.encode(into: &writer)
            }
        }
    }

    package init(decoding reader: inout ByteReader, depth: Int = 0) throws(FormatError) {
        guard depth < reader.limits.maxDepth else { throw FormatError(.limitExceeded, "value nesting deeper than \(reader.limits.maxDepth)") }
        let raw = try reader.readByte("value tag")
        guard let tag = Tag(rawValue: raw) else { throw FormatError(.invalid, "value tag \(raw)") }
        switch tag {
        case .null: self = .null
        case .false: self = .bool(false)
        case .true: self = .bool(true)
        case .int: self = .int(try reader.readSigned("int value"))
        case .double:
            let value = try reader.readDouble("double value")
            // NaN is not equal to itself, so it could never be found, removed or compared: refused.
            guard !value.isNaN else { throw FormatError(.invalid, "a double value is NaN") }
            self = .double(value)
        case .string: self = .string(try reader.readString("string value"))
        case .bytes: self = .bytes(try reader.readLengthPrefixed("bytes value"))
        case .array:
            let count = try reader.readCount("array count")
            var values: [Value] = []
            values.reserveCapacity(count)
            for _ in 0..<count { values.append(try Value(decoding: &reader, depth: depth + 1)) }
            self = .array(values)
        case .object:
            let count = try reader.readCount("object count", minimumBytesEach: 2)
            var members: [String: Value] = [:]
            members.reserveCapacity(count)
            for _ in 0..<count {
                let key = try reader.readString("object key")
                guard members.updateValue(try Value(decoding: &reader, depth: depth + 1), forKey: key) == nil else {
                    throw FormatError(.invalid, "object key \(Value.quote(key)) appears twice")
                }
            }
            self = .object(members)
        }
    }
}

extension Value {
    /// True if this value, or one nested in it, is a NaN double. Documents and presence refuse
    /// such values: NaN is unequal to itself, so it could be neither found nor removed, and
    /// peers refuse it on the wire.
    package var containsNaN: Bool {
        switch self {
        case .double(let value): value.isNaN
        case .array(let values): values.contains { $0.containsNaN }
        case .object(let values): values.values.contains { $0.containsNaN }
        default: false
        }
    }
}

