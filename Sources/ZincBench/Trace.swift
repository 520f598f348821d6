import CZlib
import Foundation
package import ZincCore

/// A recorded editing history in the format of josephg/editing-traces: sequential (one user,
/// transactions in order) or concurrent (agents, each transaction naming its parents).
package struct Trace: Sendable {
    /// One edit: delete `deleteCount` scalars at `position`, then insert `insert` there.
    package struct Patch: Sendable, Decodable {
        package var position: Int
        package var deleteCount: Int
        package var insert: String

        package init(position: Int, deleteCount: Int, insert: String) {
            self.position = position
            self.deleteCount = deleteCount
            self.insert = insert
        }

        package init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            position = try container.decode(Int.self)
            deleteCount = try container.decode(Int.self)
            insert = try container.decode(String.self)
        }
    }

    package struct Transaction: Sendable, Decodable {
        package var patches: [Patch]
        /// Concurrent traces only: the agent that made the transaction...
        package var agent: Int?
        /// ...and the transactions whose merged state it was made on ([] = the empty document).
        package var parents: [Int]?
    }

    package var name: String
    package var startContent: String
    package var endContent: String
    package var transactions: [Transaction]
    package var isConcurrent: Bool
    package var agentCount: Int

    package var patchCount: Int { transactions.reduce(0) { $0 + $1.patches.count } }

    private struct File: Decodable {
        var startContent: String?
        var endContent: String
        var txns: [Transaction]
        var kind: String?
        var numAgents: Int?
        var name: String?
    }

    /// Loads a trace from a `.json` or `.json.gz` file.
    package init(contentsOf path: String) throws {
        let data = path.hasSuffix(".gz") ? try Self.gunzip(path) : try Data(contentsOf: URL(fileURLWithPath: path))
        let file = try JSONDecoder().decode(File.self, from: data)
        self.init(file, name: URL(fileURLWithPath: path).lastPathComponent.replacingOccurrences(of: ".json.gz", with: "").replacingOccurrences(of: ".json", with: ""))
    }

    /// Loads a JSON array of traces (`benchmarks/concurrent_traces.py` writes one).
    package static func collection(contentsOf path: String) throws -> [Trace] {
        let data = path.hasSuffix(".gz") ? try gunzip(path) : try Data(contentsOf: URL(fileURLWithPath: path))
        return try JSONDecoder().decode([File].self, from: data).enumerated().map { Trace($1, name: $1.name ?? "case \($0)") }
    }

    private init(_ file: File, name: String) {
        self.name = name
        startContent = file.startContent ?? ""
        endContent = file.endContent
        transactions = file.txns
        isConcurrent = file.kind == "concurrent"
        agentCount = file.numAgents ?? 1
    }

    package init(name: String, endContent: String, transactions: [Transaction], agentCount: Int) {
        self.name = name
        startContent = ""
        self.endContent = endContent
        self.transactions = transactions
        isConcurrent = true
        self.agentCount = agentCount
    }

    static func gunzip(_ path: String) throws -> Data {
        guard let file = gzopen(path, "rb") else { throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path]) }
        defer { gzclose(file) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if count < 0 { throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path]) }
            if count == 0 { break }
            data.append(contentsOf: buffer[0..<Int(count)])
        }
        return data
    }

    /// Where the shared traces live: `$ZINC_TRACES`, else `../shared/traces` next to the
    /// package, else `/work/shared/traces`.
    package static func directory(packageRoot: String = FileManager.default.currentDirectoryPath) -> String? {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["ZINC_TRACES"] { candidates.append(explicit) }
        candidates.append(URL(fileURLWithPath: packageRoot).deletingLastPathComponent().appendingPathComponent("shared/traces").path)
        candidates.append("/work/shared/traces")
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }
}

extension Document {
    /// Applies one trace patch as local edits (positions in Unicode scalars).
    package mutating func apply(_ patch: Trace.Patch) throws {
        if patch.deleteCount > 0 { try delete(patch.position..<patch.position + patch.deleteCount) }
        if !patch.insert.isEmpty { try insert(patch.insert, at: patch.position) }
    }
}

/// Replays traces into documents.
package enum TraceReplay {
    /// Replays a sequential trace as local edits of one replica, one commit per transaction.
    package static func replaySequential(_ trace: Trace, replica: ReplicaID = ReplicaID(deterministicFrom: "trace")) throws -> Document {
        var document = Document(replica: replica)
        document.setUndoEnabled(false)
        if !trace.startContent.isEmpty { try document.insert(trace.startContent, at: 0) }
        for transaction in trace.transactions {
            for patch in transaction.patches { try document.apply(patch) }
            document.commit()
        }
        return document
    }

    /// Replays a concurrent trace: one replica per agent; before each transaction the agent
    /// merges exactly the state its parents describe, so positions mean what they meant.
    /// Returns every agent's document after a final all-to-all merge.
    package static func replayConcurrent(_ trace: Trace, committed: (ReplicaID, DocumentFragment) -> Void = { _, _ in }) throws -> [Document] {
        let agents = max(trace.agentCount, (trace.transactions.compactMap(\.agent).max() ?? 0) + 1)
        var documents = (0..<agents).map { Document(replica: ReplicaID(deterministicFrom: "agent-\($0)")) }
        for index in documents.indices { documents[index].setUndoEnabled(false) }
        var versions: [VersionVector] = []
        var authors: [Int] = []
        for (index, transaction) in trace.transactions.enumerated() {
            let agent = transaction.agent ?? 0
            var target = VersionVector()
            for parent in transaction.parents ?? (index > 0 ? [index - 1] : []) {
                guard parent < versions.count else { throw DocumentError(.invalidOperation, "transaction \(index) names a later parent") }
                target.merge(versions[parent])
            }
            // Bring the agent to exactly the parents' merged state.
            for parent in transaction.parents ?? [] {
                let source = documents[authors[parent]]
                try documents[agent].apply(source.fragment(since: documents[agent].versionVector, upTo: versions[parent]).fragment)
            }
            guard documents[agent].versionVector == target else {
                throw DocumentError(.invalidOperation, "transaction \(index): agent \(agent) holds edits its parents do not")
            }
            for patch in transaction.patches { try documents[agent].apply(patch) }
            committed(documents[agent].replica, documents[agent].commitFragment())
            versions.append(documents[agent].versionVector)
            authors.append(agent)
        }
        for a in documents.indices {
            for b in documents.indices where a != b { try documents[b].merge(documents[a]) }
        }
        return documents
    }
}
