import ArgumentParser
import Foundation
import ZincBench

struct BenchFanoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanout",
        abstract: "A host publishing deltas to N clients, each of which must get every one; beside raw PUB/SUB.",
        discussion: """
        The host makes --count deltas of --size characters (each inserts a chunk and deletes the
        previous one); the run ends when every client's version vector equals the host's, so
        whatever PUB dropped at its high-water mark was repaired by digest. Raw PUB/SUB with
        libzmq's default high-water mark (1000) and with none run in the same process for
        comparison.

        Examples:
          zinc bench fanout
          zinc bench fanout --count 100000 --subscribers 8 --json
        """
    )

    @Option(help: "Deltas.") var count = 1_000_000
    @Option(help: "Characters per delta.") var size = 1024
    @Option(help: "Clients.") var subscribers = 8
    @Flag(inversion: .prefixedNo, help: "Zinc's nodes batch: packed frames (docs/protocol.md §4), as `zinc node` does unless given --no-batch.") var batch = true
    @Flag(help: "Print one JSON object.") var json = false

    func run() async throws {
        var options = FanoutBenchmark.Options()
        options.batching = batch
        options.count = count
        options.size = size
        options.subscribers = subscribers
        let result = try await FanoutBenchmark(options).run(progress: progress(quiet: json))
        if json {
            try printJSON(result)
            return
        }
        var table = TextTable(["\(count) × \(size) B to \(subscribers) clients", "rate", "delivered"])
        table.add(["raw PUB/SUB, default HWM", formatRate(result.rawDefaultRate), fixed(result.rawDefaultDeliveredFraction * 100, digits: 1) + "%"])
        table.add(["raw PUB/SUB, no HWM", formatRate(result.rawUnlimitedRate), fixed(result.rawUnlimitedDeliveredFraction * 100, digits: 1) + "%"])
        table.add(["Zinc deltas (until every client has all)", formatRate(result.deliveredRate), "\(result.completeSubscribers)/\(subscribers) clients complete"])
        print(table.render())
        print("host produced \(formatRate(result.senderRate)); repairs started: \(result.repairs); ratio to raw without HWM: \(fixed(result.ratio, digits: 2))×")
        let allocated = result.allocatedBytesAfterRun.map { "\($0 / 1_048_576) MiB allocated after the run, " } ?? ""
        print("host: \(result.hostChildFailures) children declared dead, \(result.hostTransfers) transfers completed, \(result.hostEditsHeldBack) edits held back, \(result.hostSlowChildrenReleased) slow children released")
        print("memory: \(allocated)peak resident \(result.peakResidentBytes / 1_048_576) MiB (\(subscribers + 1) replicas in one process)")
    }
}
