package import ZincCore
import CSQLite
import Foundation
import Glibc

/// How hard the store works to keep an acknowledged edit across crashes.
package enum Durability: String, Sendable, CaseIterable {
    /// fsync at every commit (`synchronous=FULL`): an edit is on disk before it is sent or
    /// acknowledged; survives process crashes and power loss. The default.
    case full
    /// WAL with `synchronous=NORMAL`: survives a crash of the process; a power loss or kernel
    /// crash may lose the last transactions (never corrupts the store).
    case normal
    /// No fsync (`synchronous=OFF`): fastest; an operating-system crash may lose recent edits.
    case off
}

/// Why a store could not be opened or written, in one line.
package struct StoreError: Error, CustomStringConvertible, Sendable {
    package let description: String
    init(_ description: String) { self.description = description }
}

/// A node's documents in SQLite (WAL mode): one row per document holding its latest compacted
/// snapshot and the version vector it covers, plus an append-only log of the fragments applied
/// since. Loading replays the log over the snapshot; compaction folds the log into a new
/// snapshot when it grows past the snapshot's size.
///
/// Used by one thread only (the endpoint's I/O thread), like the connection it owns.
package final class DocumentStore {
    package static let fileName = "zinc.sqlite"
    /// `PRAGMA application_id`: 'ZINC'.
    static let applicationID: Int64 = 0x5A49_4E43
    /// 1: documents and updates. 2: adds `peers` (addresses remembered across restarts).
    static let schemaVersion: Int64 = 2

    package let path: String
    package let durability: Durability
    private let database: SQLiteDatabase
    private let lockDescriptor: Int32
    private var persisted: [String: Persisted] = [:]
    package private(set) var statistics = Statistics()

    /// What is on disk for one document.
    private struct Persisted {
        var version: VersionVector
        var updates = 0
        var updateBytes = 0
        var snapshotBytes = 0
        /// Where the stored document's history starts.
        var historyFloor = VersionVector()
    }

    package struct Statistics: Sendable, Hashable {
        package var commits: UInt64 = 0
        package var bytesWritten: UInt64 = 0
        package var compactions: UInt64 = 0
    }

    /// Opens (creating if needed) the store in `directory`. Fails with a clear message if the
    /// directory cannot be created, another node holds it, or the file is corrupt or foreign.
    package init(directory: String, durability: Durability = .full) throws(StoreError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError("cannot create the data directory \(directory): \(error.localizedDescription)")
        }
        // One node per directory: two writers would each believe they own the replica history.
        let lockPath = directory + "/zinc.lock"
        let descriptor = open(lockPath, O_RDWR | O_CREAT, 0o600)
        guard descriptor >= 0 else { throw StoreError("cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw StoreError("the data directory \(directory) is in use by another zinc node")
        }
        lockDescriptor = descriptor
        path = directory + "/" + Self.fileName
        self.durability = durability
        do {
            database = try SQLiteDatabase(path: path)
            try Self.prepare(database, path: path, durability: durability)
        } catch let error as StoreError {
            close(descriptor)
            throw error
        } catch let error as SQLiteError {
            close(descriptor)
            throw error.isCorrupt
                ? StoreError("\(path) is corrupt or not a database (\(error.message)); move it away to start empty")
                : StoreError("cannot open \(path): \(error)")
        } catch {
            close(descriptor)
            throw StoreError("cannot open \(path): \(error)")
        }
    }

    deinit {
        database.close()
        close(lockDescriptor)
    }

    private static func prepare(_ database: SQLiteDatabase, path: String, durability: Durability) throws {
        let application = try database.scalar("PRAGMA application_id")?.integer ?? 0
        let version = try database.scalar("PRAGMA user_version")?.integer ?? 0
        let tables = try database.scalar("SELECT count(*) FROM sqlite_master")?.integer ?? 0
        if application == 0 && version == 0 && tables == 0 {
            try database.execute("""
                PRAGMA auto_vacuum = INCREMENTAL;
                PRAGMA journal_mode = WAL;
                PRAGMA application_id = \(applicationID);
                PRAGMA user_version = \(schemaVersion);
                CREATE TABLE documents (
                    id TEXT PRIMARY KEY NOT NULL,
                    snapshot BLOB,
                    version BLOB NOT NULL,
                    operations INTEGER NOT NULL
                ) STRICT;
                CREATE TABLE updates (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    document TEXT NOT NULL REFERENCES documents(id),
                    fragment BLOB NOT NULL
                ) STRICT;
                CREATE INDEX updates_by_document ON updates(document, seq);
                """)
        } else if application != applicationID {
            throw StoreError("\(path) is not a Zinc store (another application's SQLite database); use another --data-dir")
        } else if version > schemaVersion {
            throw StoreError("\(path) was written by a newer Zinc (schema \(version), this build reads \(schemaVersion))")
        }
        if version < 2 {
            // New stores and schema-1 stores alike: the table is additive, so upgrading in place
            // loses nothing (and an older Zinc refuses the upgraded file rather than misread it).
            try database.execute("""
                CREATE TABLE IF NOT EXISTS peers (
                    position INTEGER PRIMARY KEY NOT NULL,
                    address TEXT NOT NULL
                ) STRICT;
                PRAGMA user_version = \(schemaVersion);
                """)
        }
        let mode = try database.scalar("PRAGMA journal_mode = WAL")?.text ?? ""
        guard mode.lowercased() == "wal" else { throw StoreError("\(path): cannot switch to WAL mode (got \(mode))") }
        switch durability {
        case .full: try database.execute("PRAGMA synchronous = FULL")
        case .normal: try database.execute("PRAGMA synchronous = NORMAL")
        case .off: try database.execute("PRAGMA synchronous = OFF")
        }
        let check = try database.scalar("PRAGMA quick_check")?.text ?? "no answer"
        guard check == "ok" else { throw StoreError("\(path) is corrupt (quick_check: \(check)); move it away to start empty") }
    }

    // MARK: - Loading

    /// Every stored document, loaded to be edited as `replica`. Callers pass a fresh replica ID
    /// per process start, so counters never repeat whatever the durability setting lost.
    package func loadAll(editingAs replica: ReplicaID, limits: DocumentLimits = .default) throws(StoreError) -> [String: Document] {
        var rows: [(String, [UInt8]?)] = []
        do {
            try database.query("SELECT id, snapshot FROM documents ORDER BY id") { row in
                guard let id = row.value(0).text else { return }
                rows.append((id, row.value(1).blob))
            }
        } catch {
            throw StoreError("cannot read \(path): \(error)")
        }
        var documents: [String: Document] = [:]
        for (id, snapshot) in rows {
            var document: Document
            var state = Persisted(version: VersionVector())
            do {
                if let snapshot, !snapshot.isEmpty {
                    document = try Document(snapshot: snapshot, replica: replica, limits: limits)
                    state.snapshotBytes = snapshot.count
                } else {
                    document = Document(replica: replica, limits: limits)
                }
            } catch {
                throw StoreError("\(path): the snapshot of \"\(id)\" does not load: \(error)")
            }
            var failure: String?
            do {
                try database.query("SELECT fragment FROM updates WHERE document = ? ORDER BY seq", [.text(id)]) { row in
                    guard failure == nil, let bytes = row.value(0).blob else { return }
                    do {
                        _ = try document.apply(encoded: bytes)
                        state.updates += 1
                        state.updateBytes += bytes.count
                    } catch {
                        failure = "\(error)"
                    }
                }
            } catch {
                throw StoreError("cannot read \(path): \(error)")
            }
            if let failure { throw StoreError("\(path): an update of \"\(id)\" does not apply: \(failure)") }
            state.version = document.versionVector
            state.historyFloor = document.historyFloor
            persisted[id] = state
            documents[id] = document
        }
        return documents
    }

    // MARK: - Saving

    /// True if `document` holds operations the store has not recorded.
    package func needsSave(_ id: String, version: VersionVector) -> Bool {
        persisted[id]?.version != version
    }

    /// Records what `document` holds beyond what the store has (one transaction; with `.full`
    /// durability it is on disk when this returns), compacting when the log has grown.
    package func save(_ document: Document, id: String) throws(StoreError) {
        var state = persisted[id] ?? Persisted(version: VersionVector())
        let version = document.versionVector
        // History the store lacks has been trimmed from the document, or the document trimmed
        // history the store still holds: keep its state instead (so the store shrinks too).
        if persisted[id] != nil, document.lacksHistory(since: state.version) || document.historyFloor != state.historyFloor {
            try compact(document, id: id)
            return
        }
        guard state.version != version else { return }
        let fragment = document.fragment(since: state.version)
        let bytes = fragment.encoded()
        do {
            try database.transaction { () throws(SQLiteError) in
                if persisted[id] == nil {
                    try database.query("INSERT OR IGNORE INTO documents (id, snapshot, version, operations) VALUES (?, NULL, ?, 0)", [.text(id), .blob(VersionVector().encoded)])
                }
                try database.query("INSERT INTO updates (document, fragment) VALUES (?, ?)", [.text(id), .blob(bytes)])
            }
        } catch {
            throw StoreError("cannot write \(path): \(error)")
        }
        statistics.commits += 1
        statistics.bytesWritten += UInt64(bytes.count)
        state.version = version
        state.updates += 1
        state.updateBytes += bytes.count
        persisted[id] = state
        if state.updates >= 512 || state.updateBytes > max(64 << 10, state.snapshotBytes) {
            try compact(document, id: id)
        }
    }

    /// Replaces a document's log with one snapshot.
    package func compact(_ document: Document, id: String) throws(StoreError) {
        let snapshot = document.encodedSnapshot()
        let version = document.versionVector
        do {
            try database.transaction { () throws(SQLiteError) in
                try database.query(
                    "INSERT INTO documents (id, snapshot, version, operations) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET snapshot = excluded.snapshot, version = excluded.version, operations = excluded.operations",
                    [.text(id), .blob(snapshot), .blob(version.encoded), .integer(Int64(clamping: version.totalOperations))])
                try database.query("DELETE FROM updates WHERE document = ?", [.text(id)])
            }
            // Give the pages of the folded log back to the file system, and keep the WAL from
            // growing without bound.
            try database.execute("PRAGMA incremental_vacuum")
            try database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        } catch {
            throw StoreError("cannot write \(path): \(error)")
        }
        statistics.compactions += 1
        statistics.bytesWritten += UInt64(snapshot.count)
        persisted[id] = Persisted(version: version, snapshotBytes: snapshot.count, historyFloor: document.historyFloor)
    }

    // MARK: - Peers

    /// The first `limit` peer addresses remembered by ``rememberPeers(_:)``, most useful first:
    /// extra seeds for a restarted node whose configured seeds may be gone.
    package func rememberedPeers(limit: Int) throws(StoreError) -> [String] {
        var addresses: [String] = []
        do {
            try database.query("SELECT address FROM peers ORDER BY position LIMIT ?", [.integer(Int64(max(0, limit)))]) { row in
                if let address = row.value(0).text { addresses.append(address) }
            }
        } catch {
            throw StoreError("cannot read \(path): \(error)")
        }
        return addresses
    }

    /// Replaces the remembered peer addresses in one transaction (the caller bounds them).
    package func rememberPeers(_ addresses: [String]) throws(StoreError) {
        do {
            try database.transaction { () throws(SQLiteError) in
                try database.query("DELETE FROM peers")
                for (position, address) in addresses.enumerated() {
                    try database.query("INSERT INTO peers (position, address) VALUES (?, ?)", [.integer(Int64(position)), .text(address)])
                }
            }
        } catch {
            throw StoreError("cannot write \(path): \(error)")
        }
        statistics.commits += 1
    }

    // MARK: - Checks

    /// `PRAGMA integrity_check`: "ok", or what is wrong.
    package func integrityCheck() throws(StoreError) -> String {
        do {
            var lines: [String] = []
            try database.query("PRAGMA integrity_check") { row in lines.append(row.value(0).text ?? "") }
            return lines.joined(separator: "; ")
        } catch {
            throw StoreError("integrity check of \(path) failed: \(error)")
        }
    }

    /// Bytes on disk: the database and its WAL.
    package var sizeOnDisk: Int {
        [path, path + "-wal"].reduce(0) { total, file in
            var info = stat()
            return total + (stat(file, &info) == 0 ? Int(info.st_size) : 0)
        }
    }
}
