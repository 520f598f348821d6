import Foundation
import Testing
import ZincBench
import ZincCore
@testable import ZincStore

@Suite("document store (SQLite)")
struct StoreTests {
    func directory() throws -> String { try temporaryDirectory() }

    @Test("documents round-trip through updates and compaction, edited afterwards as a fresh replica")
    func roundTrip() throws {
        let path = try directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var document = Document(replica: ReplicaID(deterministicFrom: "author"))
        do {
            let store = try DocumentStore(directory: path)
            for index in 0..<1500 {
                try document.insert("\(index % 10)", at: index / 2)
                if index % 7 == 0 { try document.set("k\(index % 5)", to: .int(Int64(index)), in: MapRef("")) }
                document.commit()
                try store.save(document, id: "notes")
            }
            #expect(store.statistics.compactions > 0, "the log was folded into snapshots")
            #expect(try store.integrityCheck() == "ok")
        }
        let store = try DocumentStore(directory: path)
        let fresh = ReplicaID(deterministicFrom: "restarted")
        var loaded = try #require(try store.loadAll(editingAs: fresh)["notes"])
        #expect(loaded.canonicalContent() == document.canonicalContent())
        #expect(loaded.versionVector == document.versionVector)
        try loaded.insert("!", at: 0)
        #expect(loaded.versionVector[fresh] == 1, "new edits use the new replica; old counters never repeat")
    }

    @Test("peer addresses round-trip (in order, read up to a limit); a schema-1 store is upgraded in place with its documents")
    func peers() throws {
        let path = try directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var document = Document(replica: ReplicaID(deterministicFrom: "author"))
        try document.insert("kept", at: 0)
        document.commit()
        let addresses = (0..<20).map { "tcp://127.0.0.1:\(7000 + $0)" }
        do {
            let store = try DocumentStore(directory: path)
            #expect(try store.rememberedPeers(limit: 16).isEmpty)
            try store.rememberPeers(addresses)
            try store.save(document, id: "notes")
        }
        do {
            let store = try DocumentStore(directory: path)
            #expect(try store.rememberedPeers(limit: 16) == Array(addresses.prefix(16)))
            try store.rememberPeers(["tcp://127.0.0.1:9000"])
            #expect(try store.rememberedPeers(limit: 16) == ["tcp://127.0.0.1:9000"])
        }
        // Turn it back into a schema-1 store, as an older Zinc wrote it.
        do {
            let database = try SQLiteDatabase(path: path + "/" + DocumentStore.fileName)
            try database.execute("DROP TABLE peers; PRAGMA user_version = 1;")
            database.close()
        }
        let store = try DocumentStore(directory: path)
        #expect(try store.rememberedPeers(limit: 16).isEmpty)
        #expect(try store.loadAll(editingAs: ReplicaID(deterministicFrom: "next"))["notes"]?.canonicalContent() == document.canonicalContent())
        try store.rememberPeers(["tcp://127.0.0.1:9001"])
        #expect(try store.rememberedPeers(limit: 16) == ["tcp://127.0.0.1:9001"])
        #expect(try store.integrityCheck() == "ok")
    }

    @Test("a second node cannot open a directory in use; foreign and corrupt files give a clear error")
    func refusals() throws {
        let path = try directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try DocumentStore(directory: path)
        #expect(throws: StoreError.self) { try DocumentStore(directory: path) }
        do {
            _ = try DocumentStore(directory: path)
        } catch {
            #expect(error.description.contains("in use by another zinc node"))
        }
        _ = first

        let foreign = try directory()
        defer { try? FileManager.default.removeItem(atPath: foreign) }
        let database = try SQLiteDatabase(path: "\(foreign)/\(DocumentStore.fileName)")
        try database.execute("CREATE TABLE recipes (name TEXT)")
        database.close()
        do {
            _ = try DocumentStore(directory: foreign)
            Issue.record("a foreign database was accepted")
        } catch {
            #expect(error.description.contains("not a Zinc store"))
        }

        let garbage = try directory()
        defer { try? FileManager.default.removeItem(atPath: garbage) }
        _ = FileManager.default.createFile(atPath: "\(garbage)/\(DocumentStore.fileName)", contents: Data(repeating: 0x42, count: 8192))
        do {
            _ = try DocumentStore(directory: garbage)
            Issue.record("a garbage file was accepted")
        } catch {
            #expect(error.description.contains("corrupt or not a database"), "\(error)")
        }
    }

    @Test("the automerge-paper trace: the compacted store stays within 2× the document's encoding", .enabled(if: Trace.directory() != nil, "needs the shared editing traces (../shared/traces, or ZINC_TRACES)"))
    func traceSize() throws {
        let traces = try #require(Trace.directory())
        let trace = try Trace(contentsOf: "\(traces)/automerge-paper.json.gz")
        let document = try TraceReplay.replaySequential(trace)
        let path = try directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try DocumentStore(directory: path)
        try store.save(document, id: "paper")
        try store.compact(document, id: "paper")
        let encoding = document.encodedSnapshot().count
        #expect(store.sizeOnDisk <= 2 * encoding, "store \(store.sizeOnDisk) B vs encoding \(encoding) B")
        let loaded = try store.loadAll(editingAs: .random())
        #expect(loaded["paper"]?.text() == trace.endContent)
    }
}
