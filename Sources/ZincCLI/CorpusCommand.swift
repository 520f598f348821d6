import ArgumentParser
import Foundation
import Zinc
import ZincCore
import ZincProtocol

/// Writes the fuzzers' seed corpus: real encodings of every decoder's input (hidden: a
/// development tool used by scripts/fuzz).
struct CorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz-corpus", abstract: "Write seed inputs for the fuzz harnesses.", shouldDisplay: false)

    @Argument(help: "The corpus directory (one subdirectory per harness).") var directory: String

    func run() throws {
        var seeds: [String: [[UInt8]]] = [:]
        let author = ReplicaID(high: 1, low: 2)
        var document = Document(replica: author)
        var fragments: [[UInt8]] = []
        for (index, word) in ["hello ", "wörld ", "🌍 ", "世界 "].enumerated() {
            try document.insert(word, at: index == 0 ? 0 : document.length())
            fragments.append(document.commitFragment().encoded(omittingAuthor: author))
        }
        try document.delete(2..<5)
        fragments.append(document.commitFragment().encoded(omittingAuthor: author))
        let root = MapRef("")
        try document.set("title", to: .string("Minutes"), in: root)
        try document.set("count", to: .int(42), in: root)
        try document.increment(CounterRef("votes"), by: 3)
        try document.set(.string("v1"), in: RegisterRef("status"))
        try document.remove(.string("gone"), from: SetRef("tags"))
        try document.insert([.string("a"), .bool(true)], at: 0, in: ListRef("items"))
        try document.add(.string("tag"), to: SetRef("tags"))
        fragments.append(document.commitFragment().encoded(omittingAuthor: author))
        fragments.append(document.fragment(since: VersionVector()).encoded())
        seeds["Fragment"] = fragments
        // And one whose history is trimmed halfway (a history base, logs from the floor on).
        var trimmed = document
        let floor = trimmed.versionVector
        try trimmed.insert("later ", at: 0)
        try trimmed.delete(0..<3)
        trimmed.commit()
        try trimmed.trim(below: floor)
        seeds["Snapshot"] = [document.encodedSnapshot(), Document(replica: author).encodedSnapshot(), trimmed.encodedSnapshot()]
        seeds["VersionVector"] = [document.versionVector.encoded, VersionVector().encoded]
        let cursor = document.cursor(at: 3)
        seeds["Presence"] = [
            Presence(replica: author, clock: 3, name: "Ada", color: 0xFF00_00FF, cursor: cursor).encoded(),
            Presence(replica: author, clock: 4, name: "Bob", selection: .init(anchor: cursor, head: document.cursor(at: 5)), metadata: ["x": .int(1)], isLeaving: true).encoded(),
        ]
        let endpoints = Endpoints(publish: "tcp://127.0.0.1:7000", pull: "tcp://127.0.0.1:7001")
        let child = ChildEntry(id: author, endpoints: endpoints, rank: 2)
        let digest = DocumentDigest(document: "doc", digest: 99, operations: 7)
        let payloads: [(UInt8, [UInt8])] = [
            (0, Beacon(node: author, endpoints: endpoints, root: author, term: 1, depth: 2, path: [author]).encoded),
            (1, JoinRequest(endpoints: endpoints, interest: .documents(["a", "b"]), subtreeSize: 3, afterFailover: true).encoded),
            (2, Welcome(rank: 1, root: author, depth: 1, grandparent: endpoints, siblings: [child], documents: ["doc"], path: [author]).encoded),
            (3, Redirect(target: author, endpoints: endpoints).encoded),
            (4, Heartbeat(root: author, depth: 1, grandparent: endpoints, children: [child], subtreeSize: 4, digests: [digest], path: [author], replicas: [author]).encoded),
            (5, SyncRequest(document: "doc", version: document.versionVector).encoded),
            (6, SyncReply(document: "doc", version: document.versionVector, fragment: fragments[0]).encoded),
            (7, TransferChunk(transfer: 1, document: "doc", index: 0, count: 2, kind: .snapshot, totalSize: 100, covering: document.versionVector, bytes: [1, 2, 3]).encoded),
            (8, TransferAck(transfer: 1, document: "doc", next: 1).encoded),
            (9, ApplicationMessage(channel: "jobs", routing: .node(author), sequence: 5, body: Array("work".utf8)).encoded),
            (10, Leave(successor: child).encoded),
            (11, MergeInvitation(root: author, endpoints: endpoints, term: 3).encoded),
            (12, HeldVersion(version: document.versionVector).encoded),
        ]
        seeds["Payloads"] = payloads.map { [$0.0] + $0.1 }
        let header = MessageHeader(type: .delta, origin: author, sender: author, lamport: 9, term: 1)
        seeds["Envelope"] = [Topic.document("doc"), Topic.tree, Topic.node(author), Topic.application("jobs")].map { topic in
            let message = WireMessage(topic: topic, header: header, payload: fragments[0])
            let frames = message.frames
            return [UInt8(frames[0].count), UInt8(frames[1].count)] + frames[0] + frames[1] + frames[2]
        } + [Beacon(node: author, endpoints: endpoints, root: author, term: 0, depth: 0).frame]
        seeds["Gateway"] = [
            GatewayFrame.message(WireMessage(topic: .document("doc"), header: header, payload: fragments[0]).frames).encoded,
            GatewayFrame.message([Beacon(node: author, endpoints: endpoints, root: author, term: 0, depth: 0).frame]).encoded,
            GatewayFrame.subscribe(Topic.node(author).bytes).encoded, GatewayFrame.unsubscribe(Topic.document("doc").bytes).encoded,
        ]
        let encoder = JSONEncoder()
        seeds["Admin"] = try [
            AdminRequest.status, .document("doc"), .insert("hi", at: 0, in: "doc"), .delete(at: 0, length: 1, in: "doc"),
            .set("k", to: .object(["a": .array([.int(1), .double(2.5), .null, .bool(true), .string("s")])]), in: "doc"),
        ].map { Array(try encoder.encode($0)) }
        let authority = CertificateAuthority.generate()
        seeds["Certificate"] = try [
            authority.issue(nodeKey: Array(repeating: 1, count: 32), role: .member, name: "alice", documents: [.all], issued: 1_700_000_000, expires: nil),
            authority.issue(
                nodeKey: Array(repeating: 2, count: 32), role: .reader, name: "kiosk", documents: DocumentPattern.list("pub*,notes") ?? [],
                issued: 1_700_000_000, expires: 1_900_000_000),
        ].map(\.encoded)
        // Signed by the authority the FuzzLobby harness trusts, so a seed reaches admission.
        if let trusted = CertificateAuthority(seed: [UInt8](repeating: 1, count: 32)) {
            let member = try trusted.issue(nodeKey: Array(repeating: 3, count: 32), role: .member, name: "bob", documents: [.all], issued: 1_700_000_000, expires: nil)
            seeds["Lobby"] = [
                LobbyFrame.hello(certificate: member.encoded).encoded,
                LobbyFrame.admitted(certificate: member.encoded).encoded,
                LobbyFrame.refused(.untrustedAuthority, reason: "issued by an authority this node does not trust").encoded,
            ]
        }
        for (name, inputs) in seeds {
            let folder = "\(directory)/\(name)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (index, input) in inputs.enumerated() {
                _ = FileManager.default.createFile(atPath: "\(folder)/seed-\(index)", contents: Data(input))
            }
        }
        print("wrote \(seeds.values.map(\.count).reduce(0, +)) seeds to \(directory)")
    }
}
