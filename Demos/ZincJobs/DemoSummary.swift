/// What `zinc-jobs --json` prints at the end. Scripts and tests depend on these keys.
struct DemoSummary: Codable, Sendable {
    struct Worker: Codable, Sendable {
        var name: String
        /// Jobs the ledger says this worker finished (the last finisher wins for a duplicate).
        var done: Int
        /// Executions this worker ran, duplicates included.
        var executions: Int
        /// How long it was part of the run, and its rate over that time.
        var aliveSeconds: Double
        var jobsPerSecond: Double
        /// "running", "killed" or "left".
        var fate: String
    }

    var submitted = 0
    var completed = 0
    /// Submitted but never completed when the run ended: the demo's promise is 0.
    var lost = 0
    /// Executions beyond one per job (harmless: jobs are idempotent, the ledger keeps one result).
    var duplicateExecutions = 0
    var resubmitted = 0
    var secondsToDrain: Double?
    var jobsPerSecond = 0.0
    /// The slowest worker's rate over the fastest's, among workers that ran from start to end.
    var evenness: Double?
    var killed: [String] = []
    var left: [String] = []
    var joinedLater: [String] = []
    var workers: [Worker] = []
    var error: String?
}
