import Foundation
import Glibc
import Logging
import Zinc
import ZincCluster
import ZincCore
import ZincProtocol

/// One run of the demo: the submitter (this process, the tree's root), worker processes that
/// join, leave and die on a schedule, and the accounting that proves no job was lost.
final class DemoRun {
    enum Display { case live, plain, quiet }

    struct Options {
        var workers = 6
        var lateJoiners = 3
        var rate = 150.0
        var duration = 24.0
        var cost: ClosedRange<UInt16> = 20...60
        var slots = 2
        var fanout = 3
        var killAfter: Double? = 9
        var leaveAfter: Double? = 15
        var display = Display.live
        /// A claimant silent this long is presumed dead and its unfinished jobs re-sent.
        var claimantSilence: Duration = .milliseconds(1500)
        /// A job nobody claimed this long after it was sent is re-sent.
        var unclaimedTimeout: Duration = .seconds(3)
        var drainTimeout: Duration = .seconds(30)
    }

    private struct Outstanding {
        var job: Job
        var sentAt: ContinuousClock.Instant
    }

    let options: Options
    let directory: String
    private let executable: String
    private let started = ContinuousClock.now
    private var workers: [WorkerProcess] = []
    private var statuses: [String: EndpointStatus] = [:]
    private var submitterID: ReplicaID?
    private var outstanding: [UInt64: Outstanding] = [:]
    private var summary = DemoSummary()
    private var events: [String] = []
    private var doneBy: [String: Int] = [:]
    private var executionsBy: [String: Int] = [:]
    private var completions: [(at: ContinuousClock.Instant, completed: Int)] = []
    private var random = SystemRandomNumberGenerator()
    private var phase = "starting"
    private var lastDraw = ContinuousClock.now - .seconds(1)

    init(_ options: Options) throws {
        self.options = options
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("zinc-jobs-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    }

    private var elapsed: Double { (.now - started).inSeconds }

    func execute() async -> DemoSummary {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .error
            return handler
        }
        var endpoint: Endpoint?
        do {
            var configuration = EndpointConfiguration(id: .random())
            configuration.name = "submitter"
            configuration.bind = "tcp://127.0.0.1:*"
            configuration.fanout = options.fanout
            configuration.interest = .documents([Ledger.document])
            let root = try Endpoint(configuration)
            endpoint = root
            try await run(root)
        } catch {
            summary.error = "\(error)"
            note("stopped: \(error)")
        }
        phase = "stopping the workers"
        for worker in workers { worker.stop() }
        await endpoint?.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
        return summary
    }

    // MARK: - The run

    private func run(_ endpoint: Endpoint) async throws {
        guard let address = endpoint.addresses?.publish else { throw ClusterError("the submitter has no address") }
        submitterID = endpoint.id
        let ledger = try await endpoint.document(Ledger.document)
        let node = JobNode(endpoint: endpoint, ledger: ledger, name: "submitter", isWorker: false, slots: 1)
        try await endpoint.register(JobHandler(node: node))
        let ticker = Task {
            while !Task.isCancelled {
                await node.tick(isWorker: false)
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        defer { ticker.cancel() }

        note("submitter (the root) listens on \(address); starting \(options.workers) workers that all join it (fan-out \(options.fanout): a full host redirects joiners down)")
        for index in 1...options.workers { try startWorker(index, join: address) }
        try await waitForTree()

        phase = "submitting"
        note("submitting \(Int(options.rate)) jobs/s for \(Int(options.duration)) s; each node keeps a job or passes it to its least-loaded subtree")
        let submitStart = ContinuousClock.now
        var submittedUpTo: UInt64 = 0
        var lateJoined = 0
        var killDone = options.killAfter == nil, leaveDone = options.leaveAfter == nil
        var lastCheck = ContinuousClock.now, lastPoll = ContinuousClock.now
        let end = submitStart + .milliseconds(Int64(options.duration * 1000))
        let total = UInt64(options.rate * options.duration)
        var submitting = true
        while submitting {
            let now = ContinuousClock.now
            let sinceStart = (now - submitStart).inSeconds
            // Exactly rate × duration jobs, however busy the machine: the last pass catches up.
            submitting = now < end
            let due = submitting ? min(total, UInt64(options.rate * sinceStart)) : total
            while submittedUpTo < due {
                submittedUpTo += 1
                let job = Job(id: submittedUpTo, submitter: endpoint.id, costMilliseconds: UInt16.random(in: options.cost, using: &random))
                outstanding[job.id] = Outstanding(job: job, sentAt: now)
                await node.submit(job)
            }
            summary.submitted = Int(submittedUpTo)
            // Late joiners arrive one per second from a quarter of the way in.
            if lateJoined < options.lateJoiners, sinceStart >= options.duration * 0.2 + Double(lateJoined) {
                lateJoined += 1
                let index = options.workers + lateJoined
                try startWorker(index, join: address)
                summary.joinedLater.append("w\(index)")
                note("w\(index) joins (asking the root; a full host redirects it down the tree)")
            }
            if !killDone, let at = options.killAfter, sinceStart >= at {
                killDone = true
                killBusiestHost()
            }
            if !leaveDone, let at = options.leaveAfter, sinceStart >= at {
                leaveDone = true
                leaveOneLeaf()
            }
            if now - lastCheck >= .milliseconds(250) {
                lastCheck = now
                try await checkLedger(ledger, node: node)
            }
            if now - lastPoll >= .milliseconds(500) {
                lastPoll = now
                pollStatuses()
            }
            draw()
            try await Task.sleep(for: .milliseconds(5))
        }

        phase = "draining"
        note("submission over: \(summary.submitted) jobs; waiting until the ledger shows every one done")
        let drainStart = ContinuousClock.now
        while !outstanding.isEmpty, ContinuousClock.now - drainStart < options.drainTimeout {
            try await checkLedger(ledger, node: node)
            if ContinuousClock.now - lastPoll >= .milliseconds(500) {
                lastPoll = .now
                pollStatuses()
            }
            draw()
            try await Task.sleep(for: .milliseconds(100))
        }
        try await checkLedger(ledger, node: node)
        summary.secondsToDrain = (.now - drainStart).inSeconds
        summary.lost = outstanding.count
        phase = outstanding.isEmpty ? "done" : "gave up waiting"
        note(outstanding.isEmpty
             ? "all \(summary.submitted) jobs done; \(summary.duplicateExecutions) ran twice (absorbed: one result per job in the ledger)"
             : "\(outstanding.count) jobs never completed")
        finishSummary(submitStart: submitStart)
        draw(force: true)
    }

    private func startWorker(_ index: Int, join: String) throws {
        let worker = WorkerProcess(name: "w\(index)", directory: directory)
        try worker.start(executable: executable, join: join, slots: options.slots, fanout: options.fanout)
        workers.append(worker)
    }

    private func waitForTree() async throws {
        phase = "forming the tree"
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            pollStatuses()
            draw()
            let attached = workers.filter { statuses[$0.name]?.link.isJoined == true }
            if attached.count == workers.count {
                let depth = statuses.values.map(\.depth).max() ?? 0
                note("tree formed: \(workers.count) workers under the submitter, depth \(depth)")
                return
            }
            if let dead = workers.first(where: { !$0.isRunning }) { throw ClusterError("\(dead.name) exited (log: \(dead.logPath))") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ClusterError("the workers did not attach within 20 s")
    }

    // MARK: - Faults

    private func killBusiestHost() {
        let live = workers.filter(\.isRunning)
        guard let victim = live.max(by: { (statuses[$0.name]?.children.count ?? 0) < (statuses[$1.name]?.children.count ?? 0) }) else { return }
        let children = statuses[victim.name]?.children.count ?? 0
        victim.crash()
        summary.killed.append(victim.name)
        note("SIGKILL \(victim.name) (host of \(children)): its queued and running jobs die with it; its children promote one of themselves, the submitter re-sends what \(victim.name) had claimed")
    }

    private func leaveOneLeaf() {
        let leaves = workers.filter { $0.isRunning && (statuses[$0.name]?.children.isEmpty ?? false) }
        guard let leaver = leaves.randomElement(using: &random) else { return }
        leaver.leave()
        summary.left.append(leaver.name)
        note("\(leaver.name) leaves cleanly: it reports no capacity, finishes its queue, then says goodbye")
    }

    // MARK: - Accounting

    /// Reads the ledger: finished jobs leave `outstanding`; jobs whose claimant went silent, or
    /// that nobody claimed in time, are sent again.
    private func checkLedger(_ ledger: DocumentHandle, node: JobNode) async throws {
        let keys = outstanding.keys.map { ($0, "j\($0)") }
        let states = try await ledger.read { document in
            keys.map { (id: $0.0, finisher: Ledger.finisher(of: $0.1, in: document), claimant: Ledger.claimant(of: $0.1, in: document)) }
        }
        let (done, executions) = try await ledger.read { document -> ([String: Int], [String: Int]) in
            var done: [String: Int] = [:]
            for key in document.keys(in: Ledger.done) {
                if let name = Ledger.finisher(of: key, in: document) { done[name, default: 0] += 1 }
            }
            var executions: [String: Int] = [:]
            for name in done.keys { executions[name] = Int(document.value(of: Ledger.executions(name))) }
            return (done, executions)
        }
        doneBy = done
        executionsBy = executions
        let now = ContinuousClock.now
        let lastAlive = node.lastAlive
        for state in states {
            guard var entry = outstanding[state.id] else { continue }
            if state.finisher != nil {
                outstanding[state.id] = nil
                continue
            }
            let resend: Bool
            if let claimant = state.claimant {
                let heard = lastAlive[claimant]
                resend = now - entry.sentAt > options.claimantSilence && (heard.map { now - $0 > options.claimantSilence } ?? true)
            } else {
                resend = now - entry.sentAt > options.unclaimedTimeout
            }
            guard resend else { continue }
            entry.job.attempt &+= 1
            entry.sentAt = now
            outstanding[state.id] = entry
            summary.resubmitted += 1
            await node.submit(entry.job)
        }
        summary.completed = done.values.reduce(0, +)
        summary.duplicateExecutions = max(0, executions.values.reduce(0, +) - summary.completed)
        completions.append((now, summary.completed))
        completions.removeAll { now - $0.at > .seconds(2) }
    }

    private var recentRate: Double {
        guard let first = completions.first, let last = completions.last, last.at > first.at else { return 0 }
        return Double(last.completed - first.completed) / (last.at - first.at).inSeconds
    }

    private func pollStatuses() {
        for worker in workers {
            guard worker.isRunning else {
                statuses[worker.name] = nil
                continue
            }
            statuses[worker.name] = try? AdminClient(address: worker.admin, timeout: .milliseconds(300)).status()
        }
    }

    private func finishSummary(submitStart: ContinuousClock.Instant) {
        let end = ContinuousClock.now
        summary.jobsPerSecond = Double(summary.completed) / max(0.001, (end - submitStart).inSeconds)
        summary.workers = workers.map { worker in
            let alive = ((worker.endedAt ?? end) - (worker.startedAt ?? started)).inSeconds
            let done = doneBy[worker.name] ?? 0
            return DemoSummary.Worker(
                name: worker.name, done: done, executions: executionsBy[worker.name] ?? 0,
                aliveSeconds: alive, jobsPerSecond: Double(done) / max(0.001, alive), fate: worker.fate)
        }
        let steady = summary.workers.filter { $0.fate == "running" && !summary.joinedLater.contains($0.name) }.map(\.jobsPerSecond)
        if let low = steady.min(), let high = steady.max(), high > 0 { summary.evenness = low / high }
    }

    // MARK: - Display

    private func note(_ text: String) {
        let line = String(format: "%6.2fs  ", elapsed) + text
        events.append(line)
        if options.display == .plain {
            print(line)
            fflush(nil)
        }
    }

    private func draw(force: Bool = false) {
        guard options.display == .live, force || ContinuousClock.now - lastDraw >= .milliseconds(250) else { return }
        lastDraw = .now
        let rows = workers.map { worker in
            DemoScreen.Row(
                name: worker.name, status: statuses[worker.name], fate: worker.isRunning ? "running" : worker.fate,
                done: doneBy[worker.name] ?? 0, executions: executionsBy[worker.name] ?? 0)
        }
        let names = Dictionary(statuses.map { ($0.value.id.description, $0.key) }, uniquingKeysWith: { first, _ in first })
            .merging(submitterID.map { [$0.description: "submitter"] } ?? [:]) { first, _ in first }
        let screen = DemoScreen.render(
            title: "zinc-jobs — \(workers.count) workers, fan-out \(options.fanout), \(Int(options.rate)) jobs/s offered   t=\(String(format: "%.1f", elapsed))s   \(phase)",
            rows: rows, names: names, summary: summary, outstanding: outstanding.count, rate: recentRate, events: events.suffix(9))
        print("\u{1B}[H" + screen.map { $0 + "\u{1B}[K" }.joined(separator: "\n") + "\n\u{1B}[J", terminator: "")
        fflush(nil)
    }
}

