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

    /// The kind of container.
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

/// A typed reference to a container, so the compiler checks that a text edit targets a text:
/// ``TextRef``, ``ListRef``, ``MapRef``, ``RegisterRef``, ``MultiValueRegisterRef``,
/// ``CounterRef`` and ``SetRef`` are this type for each kind.
///
/// ```swift
/// let title = TextRef("title")                            // a root text
/// let notes = MapRef("meta").child("notes", as: TextRef.self)  // a text inside a map
/// ```
public struct ContainerRef<Kind: ContainerKind>: Hashable, Sendable {
    /// The container's identity.
    public let id: ContainerID

    /// The root container called `name`.
    public init(_ name: String) {
        id = .root(name: name, type: Kind.type)
    }

    package init(unchecked id: ContainerID) {
        self.id = id
    }

    /// The reference for `id`, or `nil` if `id` is of another kind.
    package init?(_ id: ContainerID) {
        guard id.type == Kind.type else { return nil }
        self.id = id
    }
}

/// The kind of container a ``ContainerRef`` refers to.
public protocol ContainerKind: Sendable {
    /// The container type of this kind.
    static var type: ContainerType { get }
}

/// Unicode text (``TextRef``).
public enum TextKind: ContainerKind { public static var type: ContainerType { .text } }
/// A list (``ListRef``).
public enum ListKind: ContainerKind { public static var type: ContainerType { .list } }
/// A map (``MapRef``).
public enum MapKind: ContainerKind { public static var type: ContainerType { .map } }
/// A last-writer-wins register (``RegisterRef``).
public enum RegisterKind: ContainerKind { public static var type: ContainerType { .register } }
/// A multi-value register (``MultiValueRegisterRef``).
public enum MultiValueRegisterKind: ContainerKind { public static var type: ContainerType { .multiValueRegister } }
/// A counter (``CounterRef``).
public enum CounterKind: ContainerKind { public static var type: ContainerType { .counter } }
/// An add-wins set (``SetRef``).
public enum SetKind: ContainerKind { public static var type: ContainerType { .set } }

/// A text container.
public typealias TextRef = ContainerRef<TextKind>
/// A list container.
public typealias ListRef = ContainerRef<ListKind>
/// A map container.
public typealias MapRef = ContainerRef<MapKind>
/// A last-writer-wins register.
public typealias RegisterRef = ContainerRef<RegisterKind>
/// A multi-value register.
public typealias MultiValueRegisterRef = ContainerRef<MultiValueRegisterKind>
/// A counter.
public typealias CounterRef = ContainerRef<CounterKind>
/// An add-wins set.
public typealias SetRef = ContainerRef<SetKind>

extension ContainerRef where Kind == TextKind {
    /// The document's main text: the root text container with the empty name.
    public static var main: TextRef { TextRef("") }
}

extension ContainerRef where Kind == MapKind {
    /// The container of kind `K` stored under `key` in this map.
    public func child<K>(_ key: String, as _: ContainerRef<K>.Type = ContainerRef<K>.self) -> ContainerRef<K> {
        ContainerRef<K>(unchecked: .mapEntry(parent: id, key: key, type: K.type))
    }
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
