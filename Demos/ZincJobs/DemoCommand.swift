import ArgumentParser
import Foundation

/// `zinc-jobs`: the seed's autonomous load balancing, on Zinc.
@main
struct ZincJobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zinc-jobs",
        abstract: "Autonomous load balancing over a Zinc tree: a host submits jobs, every node processes or forwards them by its own load.",
        discussion: """
        The demo starts a submitter (the tree's root, in this process) and worker processes
        that join it. Jobs travel as Zinc application messages; each node keeps a job or passes
        it to the child whose subtree is least loaded (children report their load up every
        100 ms). Workers record claims and results in a shared Zinc document, the ledger.
        While it runs, workers join, one is killed with SIGKILL and one leaves cleanly; the
        submitter re-sends any job whose claimant died or that nobody claimed in time.

        Delivery is at-least-once and jobs are idempotent: a job may run twice (the count is
        shown), the ledger keeps one result per job, and no job is lost.
        """,
        subcommands: [DemoCommand.self, WorkerCommand.self],
        defaultSubcommand: DemoCommand.self
    )
}

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the demo (the default).")

    @Option(help: "Workers at the start.") var workers = 6
    @Option(help: "Workers that join while it runs.") var lateJoiners = 3
    @Option(help: "Jobs offered per second.") var rate = 150.0
    @Option(help: "Seconds of job submission.") var duration = 24.0
    @Option(help: "Simulated work per job, in milliseconds (each job picks uniformly in this range).") var cost = "20-60"
    @Option(help: "Jobs each worker runs at once.") var slots = 2
    @Option(help: "Children per node before it redirects joiners.") var fanout = 3
    @Option(help: "SIGKILL the busiest host this many seconds in (negative: never).") var killAfter = 9.0
    @Option(help: "One leaf leaves cleanly this many seconds in (negative: never).") var leaveAfter = 15.0
    @Flag(help: "Print events line by line instead of a live screen.") var plain = false
    @Flag(help: "Print the summary as JSON.") var json = false

    func validate() throws {
        guard workers >= 2 else { throw ValidationError("--workers must be at least 2") }
        guard rate > 0, duration > 0 else { throw ValidationError("--rate and --duration must be positive") }
        guard costRange != nil else { throw ValidationError("--cost takes MIN-MAX milliseconds, e.g. 20-60") }
    }

    var costRange: ClosedRange<UInt16>? {
        let parts = cost.split(separator: "-").compactMap { UInt16($0) }
        guard parts.count == 2, parts[0] <= parts[1], parts[0] > 0 else { return nil }
        return parts[0]...parts[1]
    }

    func run() async throws {
        var options = DemoRun.Options()
        options.workers = workers
        options.lateJoiners = lateJoiners
        options.rate = rate
        options.duration = duration
        options.cost = costRange ?? 20...60
        options.slots = slots
        options.fanout = fanout
        options.killAfter = killAfter >= 0 ? killAfter : nil
        options.leaveAfter = leaveAfter >= 0 ? leaveAfter : nil
        options.display = json ? (plain ? .plain : .quiet) : (plain ? .plain : .live)
        let run = try DemoRun(options)
        let summary = await run.execute()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            DemoScreen.printSummary(summary)
        }
        if summary.error != nil || summary.lost > 0 { throw ExitCode(1) }
    }
}
