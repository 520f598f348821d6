import Foundation
import Testing

/// The load-balancing demo, run for real: worker processes join, one is SIGKILLed, one leaves.
@Suite("zinc-jobs", .serialized, .timeLimit(.minutes(2)))
struct JobsDemoTests {
    struct Summary: Decodable {
        struct Worker: Decodable {
            var name: String
            var done: Int
            var fate: String
        }
        var submitted: Int
        var completed: Int
        var lost: Int
        var duplicateExecutions: Int
        var resubmitted: Int
        var killed: [String]
        var left: [String]
        var joinedLater: [String]
        var workers: [Worker]
        var evenness: Double?
        var error: String?
    }

    @Test("every job is done despite a killed host and a leaving worker, and the work spreads over all workers")
    func noJobLost() async throws {
        let binary = siblingBinary("zinc-jobs", variable: "ZINC_JOBS_BINARY")
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Issue.record("zinc-jobs is not built at \(binary) (scripts/test builds it)")
            return
        }
        let run = try ZincProcess(
            ["run", "--workers", "5", "--late-joiners", "1", "--rate", "100", "--duration", "8",
             "--kill-after", "3", "--leave-after", "5", "--json"],
            executable: binary)
        let status = await run.wait(timeout: .seconds(90))
        let output = run.output
        guard let start = output.range(of: "{\n") else {
            Issue.record("no JSON summary (status \(status)):\n\(output)")
            return
        }
        let summary = try JSONDecoder().decode(Summary.self, from: Data(output[start.lowerBound...].utf8))
        #expect(status == 0, "\(output)")
        #expect(summary.error == nil)
        #expect(summary.submitted >= 700, "100 jobs/s for 8 s")
        #expect(summary.lost == 0)
        #expect(summary.completed == summary.submitted)
        #expect(summary.killed.count == 1 && summary.left.count == 1 && summary.joinedLater.count == 1)
        // Every worker present from start to end did a share of the work.
        let steady = summary.workers.filter { $0.fate == "running" && !summary.joinedLater.contains($0.name) }
        #expect(!steady.isEmpty && steady.allSatisfy { $0.done > summary.submitted / 20 }, "\(summary.workers.map { "\($0.name) \($0.done)" })")
        #expect((summary.evenness ?? 0) > 0.3)
        // At-least-once: re-sending is expected after the kill; each re-send runs at most once more.
        #expect(summary.duplicateExecutions <= summary.resubmitted)
    }
}
