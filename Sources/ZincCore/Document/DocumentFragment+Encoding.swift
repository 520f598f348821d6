/// The binary form of a fragment (documented in docs/protocol.md, "Fragment encoding").
///
/// ```
/// fragment   = header replicas? containers ops
/// header     = u8: bits 0-3 version (1); bit 4 author implied; bit 5 one container;
///              bit 6 one op; bit 7 no replica table
/// ```
/// With "author implied", `replicas[0]` is not written: the decoder takes it from context (the
/// message envelope's origin). Counters and origins are written as deltas from the op's own
/// counter, so a keystroke costs about a dozen bytes.
extension DocumentFragment {
    static let formatVersion: UInt8 = 1

    private enum HeaderBit {
        static let authorImplied: UInt8 = 1 << 4
        static let oneContainer: UInt8 = 1 << 5
        static let oneOp: UInt8 = 1 << 6
        static let noReplicaTable: UInt8 = 1 << 7
    }

    private enum OpBit {
        static let kindMask: UInt8 = 0x07
        static let sameReplica: UInt8 = 1 << 3
        static let continuesCounter: UInt8 = 1 << 4
        static let sameContainer: UInt8 = 1 << 5
        static let continuesLamport: UInt8 = 1 << 6
    }

    private enum InsertBit {
        static let leftNone: UInt8 = 1 << 0
        static let leftPrevious: UInt8 = 1 << 1
        static let rightNone: UInt8 = 1 << 2
        static let hasPieces: UInt8 = 1 << 3
        static let list: UInt8 = 1 << 4
        static let leftSameReplica: UInt8 = 1 << 5
        static let rightSameReplica: UInt8 = 1 << 6
    }

    /// Encodes the fragment. With `author` equal to `replicas[0]`, that ID is left out and must
    /// be passed to ``init(decoding:author:limits:)``.
    package func encoded(omittingAuthor author: ReplicaID?) -> [UInt8] {
        var writer = ByteWriter(capacity: 32)
        encode(into: &writer, omittingAuthor: author)
        return writer.bytes
    }

    package func encode(into writer: inout ByteWriter, omittingAuthor author: ReplicaID? = nil) {
        let implied = author != nil && replicas.first == author
        let written = implied ? replicas.dropFirst() : replicas[...]
        var header = Self.formatVersion
        if implied { header |= HeaderBit.authorImplied }
        if containers.count == 1 { header |= HeaderBit.oneContainer }
        if ops.count == 1 { header |= HeaderBit.oneOp }
        if written.isEmpty { header |= HeaderBit.noReplicaTable }
        writer.write(header)
        if !written.isEmpty {
            writer.write(varint: UInt64(written.count))
            for replica in written { writer.write(replica) }
        }
        if containers.count != 1 { writer.write(varint: UInt64(containers.count)) }
        for container in containers { container.encode(into: &writer) }
        if ops.count != 1 { writer.write(varint: UInt64(ops.count)) }
        var previous = FragmentOp(replica: 0, counter: 0, lamport: 0, container: 0, body: .counterAdd(0))
        var first = true
        for op in ops {
            Self.encode(op, previous: first ? nil : previous, into: &writer)
            previous = op
            first = false
        }
    }

    private static func encode(_ op: FragmentOp, previous: FragmentOp?, into writer: inout ByteWriter) {
        var head: UInt8
        switch op.body {
        case .insert: head = 0
        case .delete: head = 1
        case .mapSet: head = 2
        case .registerSet: head = 3
        case .counterAdd: head = 4
        case .setAdd: head = 5
        case .setRemove: head = 6
        }
        let previousReplica = previous?.replica ?? 0
        let previousContainer = previous?.container ?? 0
        let sameReplica = op.replica == previousReplica
        let continuesCounter = previous.map { sameReplica && $0.counter &+ UInt64($0.length) == op.counter } ?? false
        let continuesLamport = previous.map { $0.lamport &+ UInt64($0.length) == op.lamport } ?? false
        if sameReplica { head |= OpBit.sameReplica }
        if continuesCounter { head |= OpBit.continuesCounter }
        if op.container == previousContainer { head |= OpBit.sameContainer }
        if continuesLamport { head |= OpBit.continuesLamport }
        writer.write(head)
        if !sameReplica { writer.write(varint: UInt64(op.replica)) }
        if !continuesCounter { writer.write(varint: op.counter) }
        if op.container != previousContainer { writer.write(varint: UInt64(op.container)) }
        if !continuesLamport { writer.write(signed: Int64(bitPattern: op.lamport &- op.counter)) }

        func delta(_ counter: UInt64) -> Int64 { Int64(bitPattern: counter &- op.counter) }

        switch op.body {
        case .insert(let left, let right, let content):
            var flags: UInt8 = 0
            if left == nil { flags |= InsertBit.leftNone }
            if let left, left.replica == op.replica, left.counter &+ 1 == op.counter { flags |= InsertBit.leftPrevious }
            if right == nil { flags |= InsertBit.rightNone }
            if !content.pieces.isEmpty { flags |= InsertBit.hasPieces }
            if case .list = content.elements { flags |= InsertBit.list }
            if let left, left.replica == op.replica { flags |= InsertBit.leftSameReplica }
            if let right, right.replica == op.replica { flags |= InsertBit.rightSameReplica }
            writer.write(flags)
            if let left, flags & InsertBit.leftPrevious == 0 {
                if left.replica != op.replica { writer.write(varint: UInt64(left.replica)) }
                writer.write(signed: delta(left.counter))
            }
            if let right {
                if right.replica != op.replica { writer.write(varint: UInt64(right.replica)) }
                writer.write(signed: delta(right.counter))
            }
            switch content.elements {
            case .text(let scalars):
                writer.write(string: Document.string(fromScalars: scalars))
            case .list(let elements):
                writer.write(varint: UInt64(elements.count))
                for element in elements { element.encode(into: &writer) }
            }
            if !content.pieces.isEmpty {
                writer.write(varint: UInt64(content.pieces.count))
                for piece in content.pieces { writer.write(varint: UInt64(piece.count) << 1 | (piece.isDeleted ? 1 : 0)) }
            }
        case .delete(let spans):
            writer.write(varint: UInt64(spans.count))
            for span in spans {
                let same = span.start.replica == op.replica
                writer.write(varint: UInt64(span.length) << 2 | (span.descending ? 2 : 0) | (same ? 1 : 0))
                if !same { writer.write(varint: UInt64(span.start.replica)) }
                writer.write(signed: delta(span.start.counter))
            }
        case .mapSet(let key, let value):
            writer.write(string: key)
            value.encode(into: &writer)
        case .registerSet(let value, let supersedes):
            value.encode(into: &writer)
            encodeRefs(supersedes, into: &writer)
        case .counterAdd(let delta):
            writer.write(signed: delta)
        case .setAdd(let value):
            value.encode(into: &writer)
        case .setRemove(let value, let observed):
            value.encode(into: &writer)
            encodeRefs(observed, into: &writer)
        }
    }

    private static func encodeRefs(_ refs: [FragmentOp.Ref], into writer: inout ByteWriter) {
        writer.write(varint: UInt64(refs.count))
        for ref in refs {
            writer.write(varint: UInt64(ref.replica))
            writer.write(varint: ref.counter)
        }
    }

    /// The fragment's bytes, for sending to other replicas (docs/protocol.md, §7).
    package func encoded() -> [UInt8] {
        encoded(omittingAuthor: nil)
    }

    // MARK: - Decoding

    /// Decodes a fragment made by ``encoded()``. Hostile input is refused with a
    /// ``FormatError``, never trusted: every count and length is checked against bounds.
    package init(decoding bytes: [UInt8]) throws(FormatError) {
        try self.init(decoding: bytes, author: nil, limits: .default)
    }

    /// Decodes a fragment. `author` is required when the encoding left it out.
    package init(decoding bytes: [UInt8], author: ReplicaID?, limits: DecodingLimits) throws(FormatError) {
        self = try withReader(bytes, limits: limits) { (reader) throws(FormatError) -> DocumentFragment in
            let fragment = try DocumentFragment(decoding: &reader, author: author)
            try reader.expectEnd("fragment")
            return fragment
        }
    }

    package init(decoding reader: inout ByteReader, author: ReplicaID? = nil) throws(FormatError) {
        self.init()
        try Self.decode(&reader, author: author, replicas: &replicas, containers: &containers, ops: &ops)
    }

    /// Decodes into caller-owned arrays (appending), so a hot path can reuse their storage.
    static func decode(
        _ reader: inout ByteReader, author: ReplicaID?,
        replicas: inout [ReplicaID], containers: inout [ContainerID], ops: inout [FragmentOp]
    ) throws(FormatError) {
        let header = try reader.readByte("fragment header")
        guard header & 0x0F == Self.formatVersion else {
            throw FormatError(.unsupportedVersion, "fragment format \(header & 0x0F)")
        }
        if header & HeaderBit.authorImplied != 0 {
            guard let author else { throw FormatError(.invalid, "fragment omits its author and none was given") }
            replicas.append(author)
        }
        if header & HeaderBit.noReplicaTable == 0 {
            let count = try reader.readCount("fragment replica count", minimumBytesEach: 16)
            guard count > 0, replicas.count + count <= reader.limits.maxReplicas else {
                throw FormatError(.limitExceeded, "fragment names \(count) replicas")
            }
            for _ in 0..<count { replicas.append(try reader.readReplicaID("fragment replica")) }
        }
        let containerCount = header & HeaderBit.oneContainer != 0 ? 1 : try reader.readCount("fragment container count", minimumBytesEach: 2)
        for _ in 0..<containerCount { containers.append(try ContainerID(decoding: &reader)) }
        let opCount = header & HeaderBit.oneOp != 0 ? 1 : try reader.readCount("fragment op count", minimumBytesEach: 2)
        guard opCount == 0 || (!containers.isEmpty && !replicas.isEmpty) else {
            throw FormatError(.invalid, "fragment ops without replicas or containers")
        }
        ops.reserveCapacity(opCount)
        var previous: FragmentOp?
        var totalUnits = 0
        for index in 0..<opCount {
            let op = try Self.decodeOp(&reader, previous: previous, replicaCount: replicas.count, containerCount: containers.count, index: index)
            totalUnits += op.length
            guard totalUnits <= reader.limits.maxElements else {
                throw FormatError(.limitExceeded, "fragment holds more than \(reader.limits.maxElements) operation units")
            }
            ops.append(op)
            previous = op
        }
    }

    private static func decodeOp(
        _ reader: inout ByteReader, previous: FragmentOp?, replicaCount: Int, containerCount: Int, index: Int
    ) throws(FormatError) -> FragmentOp {
        // Built only when an error is reported: interpolating per op would cost more than decoding.
        let context = LazyContext(index: index)
        let head = try reader.readByte(context.description)
        guard head & 0x80 == 0 else { throw FormatError(.invalid, "\(context.description): reserved bit set") }
        let replica = head & OpBit.sameReplica != 0 ? (previous?.replica ?? 0) : try reader.readVarint(max: replicaCount - 1, "\(context.description) replica")
        let counter: UInt64
        if head & OpBit.continuesCounter != 0 {
            guard let previous, previous.replica == replica else { throw FormatError(.invalid, "\(context.description): continues no op") }
            counter = previous.counter &+ UInt64(previous.length)
        } else {
            counter = try reader.readVarint("\(context.description) counter")
        }
        guard counter <= ItemID.maxCounter else { throw FormatError(.invalid, "\(context.description): counter \(counter) too large") }
        let container = head & OpBit.sameContainer != 0 ? (previous?.container ?? 0) : try reader.readVarint(max: containerCount - 1, "\(context.description) container")
        let lamport: UInt64
        if head & OpBit.continuesLamport != 0 {
            guard let previous else { throw FormatError(.invalid, "\(context.description): continues no op") }
            lamport = previous.lamport &+ UInt64(previous.length)
        } else {
            lamport = counter &+ UInt64(bitPattern: try reader.readSigned("\(context.description) lamport"))
        }

        func referenced(fromDelta delta: Int64) throws(FormatError) -> UInt64 {
            let value = counter &+ UInt64(bitPattern: delta)
            guard value <= ItemID.maxCounter else { throw FormatError(.invalid, "\(context.description): reference counter out of range") }
            return value
        }
        func readRefs() throws(FormatError) -> [FragmentOp.Ref] {
            let count = try reader.readCount("\(context.description) references", minimumBytesEach: 2)
            var refs: [FragmentOp.Ref] = []
            refs.reserveCapacity(count)
            for _ in 0..<count {
                let replica = try reader.readVarint(max: replicaCount - 1, "\(context.description) reference replica")
                let counter = try reader.readVarint("\(context.description) reference counter")
                guard counter <= ItemID.maxCounter else { throw FormatError(.invalid, "\(context.description): reference counter out of range") }
                refs.append(.init(replica: replica, counter: counter))
            }
            return refs
        }

        let body: FragmentOp.Body
        switch head & OpBit.kindMask {
        case 0:
            let flags = try reader.readByte("\(context.description) insert flags")
            guard flags & 0x80 == 0 else { throw FormatError(.invalid, "\(context.description): reserved insert bit") }
            var left: FragmentOp.Ref?
            if flags & InsertBit.leftNone == 0 {
                if flags & InsertBit.leftPrevious != 0 {
                    guard counter > 0 else { throw FormatError(.invalid, "\(context.description): no previous item") }
                    left = .init(replica: replica, counter: counter - 1)
                } else {
                    let leftReplica = flags & InsertBit.leftSameReplica != 0 ? replica : try reader.readVarint(max: replicaCount - 1, "\(context.description) left replica")
                    left = .init(replica: leftReplica, counter: try referenced(fromDelta: reader.readSigned("\(context.description) left")))
                }
            }
            var right: FragmentOp.Ref?
            if flags & InsertBit.rightNone == 0 {
                let rightReplica = flags & InsertBit.rightSameReplica != 0 ? replica : try reader.readVarint(max: replicaCount - 1, "\(context.description) right replica")
                right = .init(replica: rightReplica, counter: try referenced(fromDelta: reader.readSigned("\(context.description) right")))
            }
            let elements: InsertContent.Elements
            if flags & InsertBit.list != 0 {
                let count = try reader.readCount("\(context.description) list elements")
                var items: [ListElement] = []
                items.reserveCapacity(count)
                for _ in 0..<count { items.append(try ListElement(decoding: &reader)) }
                elements = .list(items)
            } else {
                elements = .text(try reader.readScalars("\(context.description) text"))
            }
            var pieces: [InsertContent.Piece] = []
            if flags & InsertBit.hasPieces != 0 {
                let count = try reader.readCount("\(context.description) pieces")
                guard count > 0 else { throw FormatError(.invalid, "\(context.description): empty piece list") }
                var visible = 0
                var total = 0
                for _ in 0..<count {
                    let raw = try reader.readVarint("\(context.description) piece")
                    let pieceCount = Int(clamping: raw >> 1)
                    guard pieceCount > 0, pieceCount <= reader.limits.maxElements else { throw FormatError(.invalid, "\(context.description): piece of \(pieceCount) items") }
                    total += pieceCount
                    guard total <= reader.limits.maxElements else { throw FormatError(.limitExceeded, "\(context.description): too many items") }
                    if raw & 1 == 0 { visible += pieceCount }
                    pieces.append(.init(count: pieceCount, isDeleted: raw & 1 != 0))
                }
                guard visible == elements.count else { throw FormatError(.invalid, "\(context.description): pieces name \(visible) visible items, content has \(elements.count)") }
            } else {
                guard elements.count > 0 else { throw FormatError(.invalid, "\(context.description): empty insert") }
            }
            body = .insert(left: left, right: right, content: InsertContent(elements: elements, pieces: pieces))
        case 1:
            let count = try reader.readCount("\(context.description) spans", minimumBytesEach: 2)
            guard count > 0 else { throw FormatError(.invalid, "\(context.description): empty delete") }
            var spans: [FragmentOp.Span] = []
            spans.reserveCapacity(count)
            var total = 0
            for _ in 0..<count {
                let raw = try reader.readVarint("\(context.description) span")
                let length = Int(clamping: raw >> 2)
                total += length
                guard length > 0, total <= reader.limits.maxElements else { throw FormatError(.invalid, "\(context.description): span of \(length) items") }
                let spanReplica = raw & 1 != 0 ? replica : try reader.readVarint(max: replicaCount - 1, "\(context.description) span replica")
                let start = try referenced(fromDelta: reader.readSigned("\(context.description) span start"))
                spans.append(.init(start: .init(replica: spanReplica, counter: start), length: length, descending: raw & 2 != 0))
            }
            body = .delete(spans)
        case 2:
            body = .mapSet(key: try reader.readString("\(context.description) key"), value: try MapValue(decoding: &reader))
        case 3:
            body = .registerSet(value: try Value(decoding: &reader), supersedes: try readRefs())
        case 4:
            body = .counterAdd(try reader.readSigned("\(context.description) delta"))
        case 5:
            body = .setAdd(try Value(decoding: &reader))
        case 6:
            body = .setRemove(try Value(decoding: &reader), observed: try readRefs())
        default:
            throw FormatError(.invalid, "\(context.description): kind \(head & OpBit.kindMask)")
        }
        let op = FragmentOp(replica: replica, counter: counter, lamport: lamport, container: container, body: body)
        guard counter <= ItemID.maxCounter - UInt64(op.length) else { throw FormatError(.invalid, "\(context.description): counters overflow") }
        guard lamport < LamportClock.remoteCeiling - UInt64(op.length) else {
            throw FormatError(.invalid, "\(context.description): Lamport time \(lamport) beyond 2^52")
        }
        return op
    }
}

extension MapValue {
    func encode(into writer: inout ByteWriter) {
        switch self {
        case .value(let value):
            writer.write(0)
            value.encode(into: &writer)
        case .container(let type):
            writer.write(1)
            writer.write(type.rawValue)
        case .deleted:
            writer.write(2)
        }
    }

    init(decoding reader: inout ByteReader) throws(FormatError) {
        switch try reader.readByte("map value tag") {
        case 0: self = .value(try Value(decoding: &reader))
        case 1:
            let raw = try reader.readByte("map container type")
            guard let type = ContainerType(rawValue: raw) else { throw FormatError(.invalid, "container type \(raw)") }
            self = .container(type)
        case 2: self = .deleted
        case let tag: throw FormatError(.invalid, "map value tag \(tag)")
        }
    }
}

extension ListElement {
    func encode(into writer: inout ByteWriter) {
        switch self {
        case .value(let value):
            writer.write(0)
            value.encode(into: &writer)
        case .container(let type):
            writer.write(1)
            writer.write(type.rawValue)
        }
    }

    init(decoding reader: inout ByteReader) throws(FormatError) {
        switch try reader.readByte("list element tag") {
        case 0: self = .value(try Value(decoding: &reader))
        case 1:
            let raw = try reader.readByte("list container type")
            guard let type = ContainerType(rawValue: raw) else { throw FormatError(.invalid, "container type \(raw)") }
            self = .container(type)
        case let tag: throw FormatError(.invalid, "list element tag \(tag)")
        }
    }
}

/// "fragment op N", built on demand.
private struct LazyContext {
    let index: Int
    var description: String { "fragment op \(index)" }
}
