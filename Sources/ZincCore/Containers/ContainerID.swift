/// The kinds of CRDT container a document holds.
public enum ContainerType: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Unicode text (a sequence of scalars) with FugueMax ordering.
    case text = 1
    /// A list of values or nested containers, same ordering as text.
    case list = 2
    /// A map from string keys to values or nested containers, last writer wins per key.
    case map = 3
    /// A single value, last writer wins.
    case register = 4
    /// A single value that keeps every concurrently written value (multi-value register).
    case multiValueRegister = 5
    /// A positive-negative counter.
    case counter = 6
    /// An add-wins set of values.
    case set = 7

    public var description: String {
        switch self {
        case .text: "text"
        case .list: "list"
        case .map: "map"
        case .register: "register"
        case .multiValueRegister: "multiValueRegister"
        case .counter: "counter"
        case .set: "set"
        }
    }

    var isSequence: Bool { self == .text || self == .list }
}

/// The identity of a container, derived from where it lives rather than from who created it:
/// a root container by name and type, a nested one by its parent, its key (or list element)
/// and its type. Two replicas that create the same nested container concurrently therefore
/// create *the same* container, and their contents merge instead of one being lost.
public enum ContainerID: Hashable, Sendable, CustomStringConvertible {
    /// A top-level container. (Not boxed: the common case costs no allocation.)
    case root(name: String, type: ContainerType)
    /// The container stored under `key` of map `parent`.
    indirect case mapEntry(parent: ContainerID, key: String, type: ContainerType)
    /// The container stored as list element `element` of list `parent`.
    indirect case listElement(parent: ContainerID, element: OpID, type: ContainerType)

    public var type: ContainerType {
        switch self {
        case .root(_, let type), .mapEntry(_, _, let type), .listElement(_, _, let type): type
        }
    }

    /// Nesting depth: 0 for a root container.
    package var depth: Int {
        switch self {
        case .root: 0
        case .mapEntry(let parent, _, _), .listElement(let parent, _, _): parent.depth + 1
        }
    }

    public var description: String {
        switch self {
        case .root(let name, let type): "\(type):\(name)"
        case .mapEntry(let parent, let key, let type): "\(parent)/\(key)<\(type)>"
        case .listElement(let parent, let element, let type): "\(parent)[\(element)]<\(type)>"
        }
    }
}

/// Typed references to containers, so the compiler checks that a text edit targets text.
public protocol ContainerRef: Hashable, Sendable {
    var id: ContainerID { get }
    init(unchecked id: ContainerID)
    static var containerType: ContainerType { get }
}

extension ContainerRef {
    /// The root container called `name`.
    public init(_ name: String) { self.init(unchecked: .root(name: name, type: Self.containerType)) }

    /// The reference for `id`, or `nil` if `id` is of another type.
    public init?(_ id: ContainerID) {
        guard id.type == Self.containerType else { return nil }
        self.init(unchecked: id)
    }
}

/// A text container.
public struct TextRef: ContainerRef {
    public let id: ContainerID
    public init(unchecked id: ContainerID) { self.id = id }
    public static var containerType: ContainerType { .text }
    /// The document's main text: the root text container with the empty name.
    public static let main = TextRef("")
}

/// A list container.
public struct ListRef: ContainerRef {
    public let id: ContainerID
    public init(unchecked id: ContainerID) { self.id = id }
    public static var containerType: ContainerType { .list }
}

/// A map container.
public struct MapRef: ContainerRef {
    public let id: ContainerID
    public init(unchecked id: ContainerID) { self.id = id }
    public static var containerType: ContainerType { .map }

    /// The container of type `R` stored under `key` in this map.
    public func child<R: ContainerRef>(_ key: String, as _: R.Type = R.self) -> R {
        R(unchecked: .mapEntry(parent: id, key: key, type: R.containerType))
    }
}

/// A last-writer-wins register.
public struct RegisterRef: ContainerRef {
    public let id: ContainerID
    public init(unchecked id: ContainerID) { self.id = id }
    public static var containerType: ContainerType { .register }
}

/// A multi-value register.
public struct MultiValueRegisterRef: ContainerRef {
    public let id: ContainerID
    public init(unchecked id: ContainerID) { self.id = id }
    public static var containerType: ContainerType { .multiValueRegister }
}

/// A counter.
public struct CounterRef: ContainerRef {
    public let id: ContainerID
    public init(unchecked id: ContainerID) { self.id = id }
    public static var containerType: ContainerType { .counter }
}

/// An add-wins set.
public struct SetRef: ContainerRef {
    public let id: ContainerID
    public init(unchecked id: ContainerID) { self.id = id }
    public static var containerType: ContainerType { .set }
}

extension ContainerID {
    /// Encoding: a tag byte (kind << 4 | type), then the name, or the parent then the key or
    /// element ID. Element replicas are written as 16 bytes.
    package func encode(into writer: inout ByteWriter) {
        switch self {
        case .root(let name, let type):
            writer.write(0x00 | type.rawValue)
            writer.write(string: name)
        case .mapEntry(let parent, let key, let type):
            writer.write(0x10 | type.rawValue)
            parent.encode(into: &writer)
            writer.write(string: key)
        case .listElement(let parent, let element, let type):
            writer.write(0x20 | type.rawValue)
            parent.encode(into: &writer)
            writer.write(element.replica)
            writer.write(varint: element.counter)
        }
    }

    package init(decoding reader: inout ByteReader, depth: Int = 0) throws(FormatError) {
        guard depth < reader.limits.maxDepth else { throw FormatError(.limitExceeded, "container nesting deeper than \(reader.limits.maxDepth)") }
        let tag = try reader.readByte("container tag")
        guard let type = ContainerType(rawValue: tag & 0x0F) else { throw FormatError(.invalid, "container type \(tag & 0x0F)") }
        switch tag >> 4 {
        case 0: self = .root(name: try reader.readString("container name"), type: type)
        case 1:
            let parent = try ContainerID(decoding: &reader, depth: depth + 1)
            guard parent.type == .map else { throw FormatError(.invalid, "map entry container inside a \(parent.type)") }
            self = .mapEntry(parent: parent, key: try reader.readString("container key"), type: type)
        case 2:
            let parent = try ContainerID(decoding: &reader, depth: depth + 1)
            guard parent.type == .list else { throw FormatError(.invalid, "list element container inside a \(parent.type)") }
            let replica = try reader.readReplicaID("container element replica")
            let counter = try reader.readVarint("container element counter")
            self = .listElement(parent: parent, element: OpID(replica: replica, counter: counter), type: type)
        default: throw FormatError(.invalid, "container kind \(tag >> 4)")
        }
    }
}
