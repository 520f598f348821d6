import ArgumentParser
import Foundation
import Glibc
import Zinc
import ZincCluster
import ZincBench

struct BenchFailoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failover",
        abstract: "Time from SIGKILL of the root to a promoted successor and to full convergence.",
        discussion: """
        Each trial starts --nodes `zinc node` processes on 127.0.0.1 (fan-out 2, so the tree has
        three levels), edits at every node and waits until they agree, then SIGKILLs the root
        and, at the same moment, makes an edit at every survivor. It measures how long until a
        survivor is root under a new term (promotion), until every survivor is attached to one
        tree and holds the same document including those edits (convergence), and until the
        successor, which adopts its siblings beyond the fan-out, has moved the excess down and
        the tree has converged again (balanced). Any edit a survivor acknowledged that is
        missing at the end counts as lost.

        Examples:
          zinc bench failover --trials 20
          zinc bench failover --trials 5 --nodes 9 --json
        """
    )

    @Option(help: "Kills to measure.") var trials = 20
    @Option(help: "Nodes per trial.") var nodes = 6
    @Flag(help: "Print one JSON object.") var json = false

    struct Result: Codable {
        var trials: Int
        var nodes: Int
        /// Convergence after the kill.
        var medianSeconds: Double
        var worstSeconds: Double
        var promotionMedianSeconds: Double
        var promotionWorstSeconds: Double
        /// Every host within its fan-out again, still converged.
        var balancedMedianSeconds: Double
        var balancedWorstSeconds: Double
        var lostEdits: UInt64
        var failedTrials: Int
        var convergeSamples: [Double]
        var promotionSamples: [Double]
        var balancedSamples: [Double]
    }

    func validate() throws {
        guard trials >= 1 else { throw ValidationError("--trials must be at least 1") }
        guard nodes >= 3 && nodes <= 50 else { throw ValidationError("--nodes must be between 3 and 50") }
    }

    func run() throws {
        var converge: [Double] = []
        var promotion: [Double] = []
        var balanced: [Double] = []
        var lost: UInt64 = 0
        var failed = 0
        for trial in 1...trials {
            let outcome = try FailoverTrial(nodes: nodes).run()
            lost += outcome.lost
            if let seconds = outcome.converge, let promoted = outcome.promotion, let balance = outcome.balanced {
                converge.append(seconds)
                promotion.append(promoted)
                balanced.append(balance)
            } else {
                failed += 1
            }
            if !json {
                let text = outcome.problem.map { "FAILED: \($0)" }
                    ?? "promoted after \(fixed(outcome.promotion ?? 0, digits: 3)) s, converged after \(fixed(outcome.converge ?? 0, digits: 3)) s, balanced after \(fixed(outcome.balanced ?? 0, digits: 3)) s"
                FileHandle.standardError.write(Data("trial \(trial)/\(trials): \(text), lost \(outcome.lost)\n".utf8))
            }
        }
        let result = Result(
            trials: trials, nodes: nodes,
            medianSeconds: converge.isEmpty ? 0 : percentile(converge, 0.5), worstSeconds: converge.max() ?? 0,
            promotionMedianSeconds: promotion.isEmpty ? 0 : percentile(promotion, 0.5), promotionWorstSeconds: promotion.max() ?? 0,
            balancedMedianSeconds: balanced.isEmpty ? 0 : percentile(balanced, 0.5), balancedWorstSeconds: balanced.max() ?? 0,
            lostEdits: lost, failedTrials: failed, convergeSamples: converge, promotionSamples: promotion, balancedSamples: balanced)
        if json {
            try printJSON(result)
        } else {
            var table = TextTable(["failover (\(nodes) nodes, \(trials) SIGKILLs of the root)", "median", "worst"])
            table.add(["promotion (a survivor is root, term + 1)", "\(fixed(result.promotionMedianSeconds, digits: 3)) s", "\(fixed(result.promotionWorstSeconds, digits: 3)) s"])
            table.add(["convergence (one tree, identical documents)", "\(fixed(result.medianSeconds, digits: 3)) s", "\(fixed(result.worstSeconds, digits: 3)) s"])
            table.add(["balanced (every host within fan-out 2, converged)", "\(fixed(result.balancedMedianSeconds, digits: 3)) s", "\(fixed(result.balancedWorstSeconds, digits: 3)) s"])
            print(table.render())
            print("lost edits: \(lost); failed trials: \(failed)")
        }
        if failed > 0 || lost > 0 { throw ExitCode.failure }
    }
}

/// One kill: start a small tree, converge, SIGKILL the root, time the healing.
struct FailoverTrial {
    let nodes: Int

    struct Outcome {
        var promotion: Double?
        var converge: Double?
        var balanced: Double?
        var lost: UInt64 = 0
        var problem: String?
    }

    func run() throws -> Outcome {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("zinc-failover-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        guard let base = FreePorts.range(count: 2 * nodes) else { throw CLIError("no free ports") }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let processes = (0..<nodes).map { index in
            NodeProcess(name: "n\(index)", publish: "tcp://127.0.0.1:\(base + 2 * index)", admin: "ipc://\(directory)/n\(index).admin", logPath: "\(directory)/n\(index).log")
        }
        defer { for process in processes { process.stop(grace: .seconds(1)) } }
        try processes[0].start(executable: executable, join: [], fanout: 2, logLevel: "warning")
        guard wait(.seconds(10), { status(processes[0]) != nil }) else { return Outcome(problem: "the root did not start") }
        for process in processes.dropFirst() { try process.start(executable: executable, join: [processes[0].publish], fanout: 2, logLevel: "warning") }
        guard wait(.seconds(15), { processes.dropFirst().allSatisfy { status($0)?.link.isJoined == true } }) else {
            return Outcome(problem: "the tree did not form")
        }
        var acknowledged: [String: UInt64] = [:]
        func edit(_ process: NodeProcess, _ text: String) {
            guard let result = try? AdminClient(address: process.admin, timeout: .milliseconds(500)).send(.insert(text, at: 0, in: "bench")).edit else { return }
            acknowledged[result.replica] = max(acknowledged[result.replica] ?? 0, result.versionVector[result.replica] ?? 0)
        }
        for (index, process) in processes.enumerated() { edit(process, "before \(index) ") }
        guard wait(.seconds(10), { converged(processes) != nil }) else { return Outcome(problem: "no convergence before the kill") }
        let survivors = Array(processes.dropFirst())
        let killed = ContinuousClock.now
        processes[0].crash()
        for (index, process) in survivors.enumerated() { edit(process, "during \(index) ") }
        var outcome = Outcome()
        let deadline = killed + .seconds(20)
        while ContinuousClock.now < deadline {
            if outcome.promotion == nil, survivors.contains(where: { status($0).map { $0.role == .root && $0.term >= 1 } ?? false }) {
                outcome.promotion = seconds(ContinuousClock.now - killed)
            }
            if outcome.promotion != nil, let version = converged(survivors), covers(version, acknowledged, survivors: survivors) {
                if outcome.converge == nil { outcome.converge = seconds(ContinuousClock.now - killed) }
                // Moving a child down must not cost an edit: balanced counts only while converged.
                if survivors.allSatisfy({ (status($0)?.children.count ?? .max) <= 2 }) {
                    outcome.balanced = seconds(ContinuousClock.now - killed)
                    outcome.lost = 0
                    return outcome
                }
            }
            usleep(5_000)
        }
        if let version = converged(survivors) { outcome.lost = missing(version, acknowledged) }
        outcome.problem = outcome.promotion == nil ? "no promotion within 20 s" : outcome.converge == nil ? "no convergence within 20 s" : "a host still over its fan-out after 20 s"
        return outcome
    }

    private func status(_ process: NodeProcess) -> EndpointStatus? {
        try? AdminClient(address: process.admin, timeout: .milliseconds(300)).status()
    }

    /// The common version vector if every process is attached to one tree and holds the same
    /// document; nil otherwise.
    private func converged(_ processes: [NodeProcess]) -> [String: UInt64]? {
        let statuses = processes.compactMap(status)
        guard statuses.count == processes.count, statuses.filter({ $0.role == .root }).count == 1,
              statuses.allSatisfy({ $0.role == .root || $0.link.isJoined }) else { return nil }
        let documents = statuses.compactMap { $0.documents.first { $0.id == "bench" } }
        guard documents.count == statuses.count, let first = documents.first,
              documents.allSatisfy({ $0.sha256 == first.sha256 && $0.versionVector == first.versionVector }) else { return nil }
        return first.versionVector.stringKeyed
    }

    private func covers(_ version: [String: UInt64], _ acknowledged: [String: UInt64], survivors: [NodeProcess]) -> Bool {
        missing(version, acknowledged) == 0
    }

    /// Operations acknowledged at some node but absent from `version` (the killed root's are
    /// included: they reached everyone before the kill).
    private func missing(_ version: [String: UInt64], _ acknowledged: [String: UInt64]) -> UInt64 {
        acknowledged.reduce(0) { total, entry in total + (entry.value > (version[entry.key] ?? 0) ? entry.value - (version[entry.key] ?? 0) : 0) }
    }

    private func wait(_ timeout: Duration, _ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
