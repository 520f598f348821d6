import ZincCore

/// One unit of work. Its ID is unique in a run and is what makes running it idempotent: the
/// ledger records a result per ID, so a second execution changes nothing.
struct Job: Hashable, Sendable {
    var id: UInt64
    /// The node that submitted it, which workers report their liveness to.
    var submitter: ReplicaID
    /// Simulated work: how long the job keeps a worker slot busy.
    var costMilliseconds: UInt16
    /// 1 for the first submission, 2 for the first resubmission, ...
    var attempt: UInt8

    /// The job's key in the ledger's maps.
    var key: String { "j\(id)" }

    /// Big-endian: id, submitter (16 bytes), cost, attempt.
    func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 27)
        writer.write(uint64: id)
        writer.write(submitter)
        writer.write(uint16: costMilliseconds)
        writer.write(attempt)
        return writer.bytes
    }

    /// Decodes a job body; nil unless it is exactly one well-formed job.
    init?(decoding bytes: [UInt8]) {
        guard let job = try? withReader(bytes, { (reader) throws(FormatError) -> Job in
            let job = Job(
                id: try reader.readUInt64("job id"), submitter: try reader.readReplicaID("job submitter"),
                costMilliseconds: try reader.readUInt16("job cost"), attempt: try reader.readByte("job attempt"))
            try reader.expectEnd("job")
            return job
        }) else { return nil }
        self = job
    }

    init(id: UInt64, submitter: ReplicaID, costMilliseconds: UInt16, attempt: UInt8 = 1) {
        self.id = id
        self.submitter = submitter
        self.costMilliseconds = costMilliseconds
        self.attempt = attempt
    }
}

/// What a node tells its parent about its subtree, every report interval: how many jobs wait
/// or run there and how many workers share them.
struct LoadReport: Hashable, Sendable {
    var queued: UInt32
    var workers: UInt32

    func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 8)
        writer.write(uint32: queued)
        writer.write(uint32: workers)
        return writer.bytes
    }

    init?(decoding bytes: [UInt8]) {
        guard let report = try? withReader(bytes, { (reader) throws(FormatError) -> LoadReport in
            let report = LoadReport(queued: try reader.readUInt32("queued"), workers: try reader.readUInt32("workers"))
            try reader.expectEnd("load report")
            return report
        }) else { return nil }
        self = report
    }

    init(queued: UInt32, workers: UInt32) {
        self.queued = queued
        self.workers = workers
    }
}

/// The shared ledger, a Zinc document every node replicates: who claimed each job, who
/// finished it, and how many executions each worker ran (duplicates included).
enum Ledger {
    static let document = "jobs"
    static let claims = MapRef("claims")
    static let done = MapRef("done")
    static func executions(_ worker: String) -> CounterRef { CounterRef("executions:\(worker)") }

    /// The worker recorded as having finished `key`, if any.
    static func finisher(of key: String, in document: borrowing Document) -> String? {
        if case .value(.string(let name)) = document.value(forKey: key, in: done) { return name }
        return nil
    }

    static func claimant(of key: String, in document: borrowing Document) -> String? {
        if case .value(.string(let name)) = document.value(forKey: key, in: claims) { return name }
        return nil
    }
}

/// Application channels of the demo.
enum Channel {
    /// Jobs, sent to one node (`Routing.node`).
    static let jobs = "jobs"
    /// Load reports, to the parent (`Routing.up`).
    static let load = "load"
    /// "I am alive" from workers to the submitter (`Routing.node`), body: the worker's name.
    static let alive = "alive"
}
