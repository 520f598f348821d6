import Foundation
import Testing
@testable import ZincBench
@testable import ZincCore

@Suite("Real editing traces")
struct TraceTests {
    static let names = ["automerge-paper", "seph-blog1", "sveltecomponent", "json-crdt-patch", "friendsforever_flat"]

    @Test("every shared sequential trace replays to its endContent exactly", .enabled(if: Trace.directory() != nil, "needs the shared editing traces (../shared/traces, or ZINC_TRACES)"), arguments: names)
    func sequential(name: String) throws {
        let directory = try #require(Trace.directory())
        let trace = try Trace(contentsOf: "\(directory)/\(name).json.gz")
        let document = try TraceReplay.replaySequential(trace)
        #expect(document.text() == trace.endContent)
        #expect(document.length() == trace.endContent.unicodeScalars.count)
        // The encoding reloads to the same text, and another replica rebuilt from the whole
        // history agrees.
        let loaded = try Document(snapshot: document.encodedSnapshot(), replica: document.replica)
        #expect(loaded.text() == trace.endContent)
        var fresh = Document(replica: ReplicaID(deterministicFrom: "fresh"))
        try fresh.apply(document.fragment(since: VersionVector()))
        #expect(fresh.text() == trace.endContent)
    }

    @Test("past versions of a real trace are exact: every 10,000th transaction, rebuilt from the document and from its snapshot, and again after trimming",
          .enabled(if: Trace.directory() != nil, "needs the shared editing traces (../shared/traces, or ZINC_TRACES)"))
    func pastVersionsOfATrace() throws {
        let directory = try #require(Trace.directory())
        let trace = try Trace(contentsOf: "\(directory)/automerge-paper.json.gz")
        var document = Document(replica: ReplicaID(deterministicFrom: "past"))
        document.setUndoEnabled(false)
        var seen: [(VersionVector, String)] = []
        for (index, transaction) in trace.transactions.enumerated() {
            for patch in transaction.patches { try document.apply(patch) }
            document.commit()
            if index % 10_000 == 0 { seen.append((document.versionVector, document.text())) }
        }
        let reloaded = try Document(snapshot: document.encodedSnapshot(), replica: document.replica)
        for (version, text) in seen {
            #expect(try document.at(version).text() == text)
            #expect(try reloaded.at(version).text() == text)
        }
        let middle = seen[seen.count / 2].0
        try document.trim(below: middle)
        for (version, text) in seen where version.dominates(middle) { #expect(try document.at(version).text() == text) }
        #expect(document.text() == trace.endContent)
    }

    @Test("concurrent traces: agents merging along parents reach endContent")
    func concurrent() throws {
        // The example from the traces README.
        let readme = Trace(
            name: "readme", endContent: "yoooo ho ho\n",
            transactions: [
                .init(patches: [.init(position: 0, deleteCount: 0, insert: "hi there\n")], agent: 0, parents: []),
                .init(patches: [.init(position: 0, deleteCount: 8, insert: ""), .init(position: 0, deleteCount: 0, insert: "yoooo")], agent: 0, parents: [0]),
                .init(patches: [.init(position: 5, deleteCount: 0, insert: " ho ho")], agent: 1, parents: [1]),
            ],
            agentCount: 2)
        for document in try TraceReplay.replayConcurrent(readme) { #expect(document.text() == readme.endContent) }

        // Two branches from one base (edits at distinct places), merged, then edited on the merge.
        let branches = Trace(
            name: "branches", endContent: "Hi! Dear Dan, hello! Bye, Alice.",
            transactions: [
                .init(patches: [.init(position: 0, deleteCount: 0, insert: "Dear Bob, hello!")], agent: 0, parents: []),
                .init(patches: [.init(position: 16, deleteCount: 0, insert: " Bye, Alice")], agent: 0, parents: [0]),
                .init(patches: [.init(position: 0, deleteCount: 0, insert: "Hi! ")], agent: 1, parents: [0]),
                .init(patches: [.init(position: 9, deleteCount: 3, insert: ""), .init(position: 9, deleteCount: 0, insert: "Dan")], agent: 1, parents: [2]),
                .init(patches: [.init(position: 31, deleteCount: 0, insert: ".")], agent: 2, parents: [1, 3]),
            ],
            agentCount: 3)
        let documents = try TraceReplay.replayConcurrent(branches)
        for document in documents { #expect(document.text() == branches.endContent) }
    }

    @Test("a transaction whose agent holds edits its parents do not is refused")
    func inconsistentTrace() {
        let bad = Trace(
            name: "bad", endContent: "",
            transactions: [
                .init(patches: [.init(position: 0, deleteCount: 0, insert: "a")], agent: 0, parents: []),
                .init(patches: [.init(position: 0, deleteCount: 0, insert: "b")], agent: 0, parents: []),
            ],
            agentCount: 1)
        #expect(throws: DocumentError.self) { try TraceReplay.replayConcurrent(bad) }
    }
}
