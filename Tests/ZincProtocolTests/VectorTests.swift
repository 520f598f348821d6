import Foundation
import Testing
@testable import ZincCore
@testable import ZincProtocol

/// docs/vectors/: every message type, a fragment of every op kind, a snapshot and a multi-chunk
/// transfer, as hex with their decoded meaning. The tests build each from fixed inputs and check
/// the committed bytes, decode the committed bytes and check their meaning, and re-encode what
/// they decoded byte for byte. `ZINC_WRITE_VECTORS=1 swift test --filter VectorTests` rewrites
/// the files (then review the diff: a change is a wire-format change).
@Suite("Test vectors (docs/vectors)")
struct VectorTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/vectors")
    static let writing = ProcessInfo.processInfo.environment["ZINC_WRITE_VECTORS"] != nil

    static let alice = ReplicaID(deterministicFrom: "vector alice")
    static let bob = ReplicaID(deterministicFrom: "vector bob")
    static let host = ReplicaID(deterministicFrom: "vector host")
    static let endpoints = Endpoints(publish: "tcp://127.0.0.1:5555", pull: "tcp://127.0.0.1:5556")
    static let child = ChildEntry(id: bob, endpoints: Endpoints(publish: "tcp://127.0.0.1:5557", pull: "tcp://127.0.0.1:5558"), rank: 0)

    struct Vector {
        let name: String
        let note: String
        let frames: [[UInt8]]
    }

    // MARK: - The cases

    /// Join, welcome and heartbeat carry flag bit 0 (§4.2), as every node of this version sends them.
    static func header(_ type: MessageType, origin: ReplicaID = alice, sender: ReplicaID = alice, lamport: UInt64 = 0, term: UInt64 = 3) -> MessageHeader {
        let flags = [.join, .welcome, .heartbeat].contains(type) ? MessageHeader.acceptsPackedFlag : 0
        return MessageHeader(type: type, flags: flags, origin: origin, sender: sender, lamport: lamport, term: term)
    }

    static func message(_ name: String, _ note: String, _ topic: Topic, _ type: MessageType, _ payload: [UInt8], origin: ReplicaID = alice, lamport: UInt64 = 0) -> Vector {
        Vector(name: name, note: note, frames: WireMessage(topic: topic, header: header(type, origin: origin, lamport: lamport), payload: payload).frames)
    }

    static func keystroke() throws -> DocumentFragment {
        var document = Document(replica: alice)
        try document.insert("hi", at: 0)
        return document.fragment(since: VersionVector())
    }

    static func messages() throws -> [Vector] {
        let version = VersionVector([alice: 2, bob: 5])
        let digest = DocumentDigest(document: "notes", digest: version.digest, operations: version.totalOperations)
        let presence = Presence(replica: alice, clock: 4, name: "Alice", color: 0x3366_FFFF)
        return [
            Vector(name: "beacon", note: "the welcome frame of a host's PUB socket (one frame, no envelope)",
                   frames: [Beacon(node: alice, endpoints: endpoints, root: host, term: 3, depth: 1, path: [host]).frame]),
            message("delta", "alice typed \"hi\" at the start of notes; the fragment implies its author (the header's origin)",
                    .document("notes"), .delta, try keystroke().encoded(omittingAuthor: alice), lamport: 2),
            message("join", "a joiner that can host, wanting every document, after its parent died", .node(alice), .join,
                    JoinRequest(endpoints: endpoints, interest: .all, subtreeSize: 2, afterFailover: true).encoded),
            message("welcome", "the host's answer, directed to the joiner's node topic", .node(bob), .welcome,
                    Welcome(rank: 1, root: host, depth: 2, grandparent: endpoints, siblings: [child], documents: ["notes"], path: [host, alice]).encoded),
            message("redirect", "a full host sends the joiner to its child bob", .node(alice), .redirect,
                    Redirect(target: bob, endpoints: child.endpoints ?? endpoints).encoded),
            message("syncRequest", "up, on the document topic: what the sender holds", .document("notes"), .syncRequest,
                    SyncRequest(document: "notes", version: version).encoded),
            message("syncReply", "down, directed: the responder's version, a transfer follows", .node(bob), .syncReply,
                    SyncReply(document: "notes", version: version, fragment: [], transferFollows: true).encoded),
            message("transferChunk", "chunk 1 of 3 of a fragment transfer; every chunk carries the covering vector", .node(bob), .transferChunk,
                    TransferChunk(transfer: 7, document: "notes", index: 1, count: 3, kind: .fragment, totalSize: 10, covering: version, bytes: [1, 2, 3, 4]).encoded),
            message("transferAck", "chunks 0 and 1 arrived", .document("notes"), .transferAck,
                    TransferAck(transfer: 7, document: "notes", next: 2).encoded),
            message("heartbeat-down", "published to the children on T", .tree, .heartbeat,
                    Heartbeat(
                        root: host, depth: 1, grandparent: endpoints, children: [child], subtreeSize: 2, digests: [digest], path: [host, alice],
                        rumors: [MembershipView.Rumor(publish: "tcp://127.0.0.1:5559", root: host, age: .zero), MembershipView.Rumor(publish: "tcp://127.0.0.1:5561", root: bob, age: .milliseconds(2500))]).encoded),
            message("heartbeat-up", "pushed to the parent on N + the sender, claiming the replicas of its subtree", .node(alice), .heartbeat,
                    Heartbeat(root: host, depth: 1, subtreeSize: 2, digests: [digest], replicas: [alice, bob], rumors: [MembershipView.Rumor(publish: "tcp://127.0.0.1:5559", root: host, age: .zero)]).encoded),
            message("presence", "alice's name and colour, no cursor", .document("notes"), .presence, presence.encoded()),
            message("application", "a broadcast on channel jobs", .application("jobs"), .application,
                    ApplicationMessage(channel: "jobs", routing: .broadcast, sequence: 9, hops: 1, body: Array("run".utf8)).encoded),
            message("leave-down", "a host leaving tells its children who takes over", .tree, .leave, Leave(successor: child).encoded),
            message("leave-up", "a child leaving tells its parent", .node(alice), .leave, Leave(successor: nil).encoded),
            message("mergeInvitation", "a winning root invites another tree's node", .node(bob), .mergeInvitation,
                    MergeInvitation(root: host, endpoints: endpoints, term: 3).encoded),
            message("held", "up: every member of the sender's subtree holds at least this version", .document("notes"), .held,
                    HeldVersion(version: version).encoded),
            Vector(name: "packed", note: "two messages of notes in one frame (§4): the topic once, then each header and payload (here alice's \"hi\", then a held report)",
                   frames: [WireMessage.packed([
                       try WireMessage(frames: message("", "", .document("notes"), .delta, try keystroke().encoded(omittingAuthor: alice), lamport: 2).frames, maxPayload: 1 << 20),
                       try WireMessage(frames: message("", "", .document("notes"), .held, HeldVersion(version: version).encoded).frames, maxPayload: 1 << 20),
                   ])]),
        ]
    }

    /// One fragment per op kind (and both sequence kinds), each as a delta payload with its
    /// author not implied (replica table present).
    static func fragments() throws -> [Vector] {
        var cases: [(String, String, (inout Document) throws -> Void)] = [
            ("insert-text", "\"héllo\" into the main text", { try $0.insert("héllo", at: 0) }),
            ("insert-list", "two values into a list", { try $0.insert([.int(1), .string("two")], at: 0, in: ListRef("items")) }),
            ("mapSet", "a map entry set, then one removed", { try $0.set("title", to: .string("Zinc"), in: MapRef("meta")); try $0.remove("draft", in: MapRef("meta")) }),
            ("registerSet", "a last-writer-wins register set", { try $0.set(.bool(true), in: RegisterRef("done")) }),
            ("counterAdd", "a counter incremented by 5, decremented by 2", { try $0.increment(CounterRef("votes"), by: 5); try $0.increment(CounterRef("votes"), by: -2) }),
            ("setAdd", "a value added to a set", { try $0.add(.string("swift"), to: SetRef("tags")) }),
        ]
        cases.append(("delete", "\"abcdef\" typed, then \"bcd\" deleted (the fragment since the insert holds the delete alone)", { _ in }))
        cases.append(("setRemove", "a value added then removed (the fragment since the add holds the remove, with the observed tag)", { _ in }))
        var out: [Vector] = []
        for (name, note, body) in cases {
            var document = Document(replica: alice)
            var since = VersionVector()
            switch name {
            case "delete":
                try document.insert("abcdef", at: 0)
                since = document.versionVector
                try document.delete(1..<4)
            case "setRemove":
                try document.add(.string("swift"), to: SetRef("tags"))
                since = document.versionVector
                try document.remove(.string("swift"), from: SetRef("tags"))
            default:
                try body(&document)
            }
            out.append(Vector(name: name, note: note, frames: [document.fragment(since: since).encoded()]))
        }
        return out
    }

    static func snapshotDocument() throws -> Document {
        var document = Document(replica: alice)
        try document.insert("hello world", at: 0)
        try document.delete(5..<11)
        try document.set("title", to: .string("Zinc"), in: MapRef("meta"))
        var other = Document(replica: bob)
        try other.apply(document.fragment(since: VersionVector()))
        try other.insert("!", at: 5)
        try document.apply(other.fragment(since: document.versionVector))
        return document
    }

    /// A fragment transfer in chunks of 16 bytes, window 2: the chunks, in order.
    static func transfer() throws -> [Vector] {
        var settings = SyncSettings()
        settings.chunkSize = 16
        settings.window = 8
        settings.inlineReplyLimit = 0
        var source = Document(replica: alice)
        try source.insert("a transfer in three chunks", at: 0)
        var sync = DocumentSync(id: "notes", document: source, settings: settings)
        let context = RouteContext(node: host, term: 3, hasParent: false, hasChildren: true, isRoot: true, now: .zero, trust: TrustTable(), children: [bob])
        let request = WireMessage(topic: .document("notes"), header: header(.syncRequest, origin: bob, sender: bob), payload: SyncRequest(document: "notes", version: VersionVector([bob: 1])).encoded)
        let out = sync.receive(request, from: .child(bob), context)
        return out.enumerated().map { index, outgoing in
            var message = outgoing.message
            if case .child(let target) = outgoing.destination { message.topic = .node(target) }
            return Vector(name: "transfer-\(index)", note: index == 0 ? "the reply announcing the transfer" : "chunk \(index - 1)", frames: message.frames)
        }
    }

    // MARK: - Meaning

    /// A JSON-ready description of a decoded value, field by field (Mirror), with identities as
    /// UUIDs and bytes as hex: what another implementation compares its decoding with.
    static func meaning(_ value: Any) -> Any {
        // Before the casts: an empty array of anything casts to [UInt8].
        if Mirror(reflecting: value).displayStyle == .collection, Mirror(reflecting: value).children.isEmpty, !(type(of: value) == [UInt8].self) { return [Any]() }
        switch value {
        case let id as ReplicaID: return id.description
        // The one duration on the wire: a rumor's age, in units of 100 ms.
        case let duration as Duration: return "\(Int64(duration / .milliseconds(100)))"
        case let bytes as [UInt8]: return hex(bytes)
        case let string as String: return string
        case let bool as Bool: return bool
        case let number as any BinaryInteger: return "\(number)"
        case let version as VersionVector:
            return Dictionary(uniqueKeysWithValues: version.counters.map { ($0.key.description, "\($0.value)") })
        case let topic as Topic: return hex(topic.bytes)
        case let container as ContainerID: return container.description
        case let elements as InsertContent.Elements:
            if case .text(let scalars) = elements { return ["text": String(String.UnicodeScalarView(scalars.compactMap(Unicode.Scalar.init)))] }
        default: break
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            guard let wrapped = mirror.children.first?.value else { return NSNull() }
            return meaning(wrapped)
        case .collection:
            return mirror.children.map { meaning($0.value) }
        case .set:
            return mirror.children.map { meaning($0.value) }.sorted { "\($0)" < "\($1)" }
        case .dictionary:
            var result: [String: Any] = [:]
            for pair in mirror.children {
                let parts = Array(Mirror(reflecting: pair.value).children)
                if parts.count == 2 { result["\(meaning(parts[0].value))"] = meaning(parts[1].value) }
            }
            return result
        case .enum:
            let name = String(describing: value).prefix { $0 != "(" }
            guard let payload = mirror.children.first?.value else { return String(name) }
            return [String(name): meaning(payload)]
        case .tuple:
            let labelled = mirror.children.allSatisfy { $0.label.map { !$0.hasPrefix(".") } ?? false }
            guard labelled else { return mirror.children.map { meaning($0.value) } }
            var result: [String: Any] = [:]
            for child in mirror.children { result[child.label ?? ""] = meaning(child.value) }
            return result
        default:
            var result: [String: Any] = [:]
            for child in mirror.children {
                guard let label = child.label else { continue }
                result[label] = meaning(child.value)
            }
            return result.isEmpty ? String(describing: value) : result
        }
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex), let byte = UInt8(hex[index..<next], radix: 16) {
            out.append(byte)
            index = next
        }
        return out
    }

    /// A payload of `type` decoded, and encoded again from what was decoded.
    static func payload(_ type: MessageType, _ bytes: [UInt8], origin: ReplicaID) throws -> (value: Any, encoded: [UInt8]) {
        func codec<P: WirePayload>(_: P.Type) throws -> (Any, [UInt8]) {
            let decoded = try P(decoding: bytes)
            return (decoded, decoded.encoded)
        }
        switch type {
        case .delta:
            let fragment = try DocumentFragment(decoding: bytes, author: origin, limits: .default)
            return (fragment, fragment.encoded(omittingAuthor: origin))
        case .presence:
            let presence = try Presence(decoding: bytes)
            return (presence, presence.encoded())
        case .join: return try codec(JoinRequest.self)
        case .welcome: return try codec(Welcome.self)
        case .redirect: return try codec(Redirect.self)
        case .syncRequest: return try codec(SyncRequest.self)
        case .syncReply: return try codec(SyncReply.self)
        case .transferChunk: return try codec(TransferChunk.self)
        case .transferAck: return try codec(TransferAck.self)
        case .heartbeat: return try codec(Heartbeat.self)
        case .application: return try codec(ApplicationMessage.self)
        case .leave: return try codec(Leave.self)
        case .mergeInvitation: return try codec(MergeInvitation.self)
        case .held: return try codec(HeldVersion.self)
        }
    }

    /// Decodes one message vector's frames: the envelope and the payload by its type.
    static func decodeMessage(_ frames: [[UInt8]]) throws -> Any {
        if let packed = try unpacked(frames) { return ["packed": try packed.map { try decodeMessage($0.frames) }] }
        if frames.count == 1 { return ["beacon": meaning(try Beacon(frame: frames[0]))] }
        let message = try WireMessage(frames: frames, maxPayload: 1 << 20)
        let decoded = try payload(message.header.type, message.payload, origin: message.header.origin)
        return ["topic": meaning(message.topic), "header": meaning(message.header), "payload": meaning(decoded.value)]
    }

    /// The messages of a packed frame (one frame that is not a beacon), or nil.
    static func unpacked(_ frames: [[UInt8]]) throws -> [WireMessage]? {
        guard frames.count == 1, frames[0].first != Topic.welcome.bytes.first else { return nil }
        return try WireMessage.unpacking(frames[0], maxPayload: 1 << 20)
    }

    /// Re-encodes what `frames` decode to.
    static func reencodeMessage(_ frames: [[UInt8]]) throws -> [[UInt8]] {
        if let packed = try unpacked(frames) {
            return [WireMessage.packed(try packed.map { try WireMessage(frames: reencodeMessage($0.frames), maxPayload: 1 << 20) })]
        }
        if frames.count == 1 { return [try Beacon(frame: frames[0]).frame] }
        let message = try WireMessage(frames: frames, maxPayload: 1 << 20)
        let decoded = try payload(message.header.type, message.payload, origin: message.header.origin)
        return WireMessage(topic: message.topic, header: message.header, payload: decoded.encoded).frames
    }

    // MARK: - Files

    static func json(_ value: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }

    /// Checks (or, when writing, writes) one vector file; returns the vectors read back.
    static func check(_ file: String, title: String, _ vectors: [Vector], meaning describe: ([[UInt8]]) throws -> Any) throws -> [[String: Any]] {
        let url = directory.appendingPathComponent(file)
        let entries: [[String: Any]] = try vectors.map { vector in
            ["name": vector.name, "note": vector.note, "frames": vector.frames.map(hex), "meaning": try describe(vector.frames)]
        }
        if writing {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try (try json(["title": title, "vectors": entries]) + "\n").write(to: url, atomically: true, encoding: .utf8)
        }
        let stored = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        return stored?["vectors"] as? [[String: Any]] ?? []
    }

    // MARK: - Tests

    @Test("every message type: the committed bytes are what the code sends, decode to their meaning and re-encode exactly")
    func messages() throws {
        let built = try Self.messages()
        let stored = try Self.check("messages.json", title: "Zinc wire messages (docs/protocol.md §4–§5): frames as hex", built, meaning: Self.decodeMessage)
        #expect(stored.count == built.count && Set(built.compactMap { Self.typeName($0.frames) }).count == MessageType.allCases.count + 1,
                "every message type, and the beacon")
        for (vector, entry) in zip(built, stored) {
            let frames = (entry["frames"] as? [String] ?? []).map(Self.bytes)
            #expect(entry["name"] as? String == vector.name)
            #expect(frames == vector.frames, "\(vector.name): the code sends other bytes than the vector")
            #expect(try Self.json(Self.decodeMessage(frames)) == Self.json(entry["meaning"] ?? NSNull()), "\(vector.name): meaning")
            #expect(try Self.reencodeMessage(frames) == frames, "\(vector.name): re-encoding")
        }
    }

    static func typeName(_ frames: [[UInt8]]) -> String? {
        frames.count == 1 ? "beacon" : (try? MessageHeader(decoding: frames[1])).map { "\($0.type)" }
    }

    @Test("a fragment of every op kind decodes to its meaning and re-encodes exactly")
    func fragments() throws {
        let built = try Self.fragments()
        let describe: ([[UInt8]]) throws -> Any = { Self.meaning(try DocumentFragment(decoding: $0[0])) }
        let stored = try Self.check("fragments.json", title: "Zinc fragments (docs/protocol.md §6–§7), author not implied: one per op kind", built, meaning: describe)
        #expect(stored.count == built.count)
        let kinds = Set(try built.flatMap { try DocumentFragment(decoding: $0.frames[0]).ops.map { "\($0.body)".prefix { $0 != "(" } } })
        #expect(kinds == ["insert", "delete", "mapSet", "registerSet", "counterAdd", "setAdd", "setRemove"])
        for (vector, entry) in zip(built, stored) {
            let bytes = Self.bytes((entry["frames"] as? [String])?.first ?? "")
            #expect(bytes == vector.frames[0], "\(vector.name)")
            #expect(try Self.json(describe([bytes])) == Self.json(entry["meaning"] ?? NSNull()), "\(vector.name): meaning")
            #expect(try DocumentFragment(decoding: bytes).encoded() == bytes, "\(vector.name): re-encoding")
        }
    }

    @Test("a snapshot and a multi-chunk transfer decode to their meaning and re-encode exactly")
    func snapshotAndTransfer() throws {
        let snapshot = [Vector(name: "snapshot", note: "alice typed \"hello world\", deleted \" world\", set meta.title; bob typed \"!\"", frames: [try Self.snapshotDocument().encodedSnapshot()])]
        let describeSnapshot: ([[UInt8]]) throws -> Any = { frames in
            let document = try Document(snapshot: frames[0], replica: Self.bob)
            return ["versionVector": Self.meaning(document.versionVector), "content": document.canonicalContent(), "lamport": "\(document.lamport)"]
        }
        let storedSnapshot = try Self.check("snapshot.json", title: "A Zinc snapshot (docs/protocol.md §8)", snapshot, meaning: describeSnapshot)
        let bytes = Self.bytes((storedSnapshot.first?["frames"] as? [String])?.first ?? "")
        #expect(bytes == snapshot[0].frames[0])
        #expect(try Self.json(describeSnapshot([bytes])) == Self.json(storedSnapshot.first?["meaning"] ?? NSNull()))
        #expect(try Document(snapshot: bytes, replica: Self.bob).encodedSnapshot() == bytes, "re-encoding")

        let transfer = try Self.transfer()
        #expect(transfer.count >= 3, "a reply and at least two chunks")
        let storedTransfer = try Self.check("transfer.json", title: "A Zinc transfer (docs/protocol.md §12): the sync reply, then every chunk", transfer, meaning: Self.decodeMessage)
        var payload: [UInt8] = []
        for (vector, entry) in zip(transfer, storedTransfer) {
            let frames = (entry["frames"] as? [String] ?? []).map(Self.bytes)
            #expect(frames == vector.frames, "\(vector.name)")
            #expect(try Self.reencodeMessage(frames) == frames)
            if let chunk = try? TransferChunk(decoding: WireMessage(frames: frames, maxPayload: 1 << 20).payload) { payload += chunk.bytes }
        }
        // The chunks put together are one fragment: the text it carries.
        var receiver = Document(replica: Self.bob)
        try receiver.apply(DocumentFragment(decoding: payload))
        #expect(receiver.text() == "a transfer in three chunks")
    }

    static func discovery() -> [Vector] {
        let announcement = Announcement(cluster: "notes", node: bob, root: host, term: 3, depth: 1, children: 2, fanout: 8, endpoints: Endpoints(publish: "tcp://0.0.0.0:5557", pull: "tcp://0.0.0.0:5558"))
        let answer = SurveyAnswer(
            nonce: 0x0102_0304_0506_0708, cluster: "notes", node: bob, role: .host, parent: host, children: 2, root: host, term: 3, depth: 1,
            endpoints: child.endpoints, documentCount: 2, documents: ["notes", "todo"])
        return [
            Vector(name: "announcement", note: "a hosting node bound to 0.0.0.0 announcing itself (the hearer puts the datagram's source address in)", frames: [DiscoveryDatagram.announcement(announcement).encoded]),
            Vector(name: "survey", note: "zinc discover notes: a census question, zero-padded to 256 bytes", frames: [DiscoveryDatagram.survey(Survey(cluster: "notes", nonce: 0x0102_0304_0506_0708)).encoded]),
            Vector(name: "survey of every cluster", note: "an empty cluster name: every node answers", frames: [DiscoveryDatagram.survey(Survey(cluster: "", nonce: 1)).encoded]),
            Vector(name: "answer", note: "a host's answer, listing its documents", frames: [DiscoveryDatagram.answer(answer).encoded]),
        ]
    }

    @Test("discovery datagrams: the committed bytes are what the code sends, decode to their meaning and re-encode exactly")
    func discoveryDatagrams() throws {
        let built = Self.discovery()
        let describe: ([[UInt8]]) throws -> Any = { frames in
            switch try DiscoveryDatagram(decoding: frames[0]) {
            case .announcement(let announcement): ["announcement": Self.meaning(announcement)]
            case .survey(let survey): ["survey": Self.meaning(survey)]
            case .answer(let answer): ["answer": Self.meaning(answer)]
            }
        }
        let stored = try Self.check("discovery.json", title: "Zinc discovery datagrams (docs/protocol.md §22): UDP payloads as hex", built, meaning: describe)
        #expect(stored.count == built.count)
        for (vector, entry) in zip(built, stored) {
            let bytes = Self.bytes((entry["frames"] as? [String])?.first ?? "")
            #expect(bytes == vector.frames[0], "\(vector.name)")
            #expect(try Self.json(describe([bytes])) == Self.json(entry["meaning"] ?? NSNull()), "\(vector.name): meaning")
            #expect(try DiscoveryDatagram(decoding: bytes).encoded == bytes, "\(vector.name): re-encoding")
        }
    }
}
