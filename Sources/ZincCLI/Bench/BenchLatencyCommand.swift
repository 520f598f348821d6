import ArgumentParser
import Foundation
import ZincBench

struct BenchLatencyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "Latency against messages sent: raw PUB/SUB, Zinc one hop, and a depth-3 tree.",
        discussion: """
        Sends timestamped messages at --rate per second over tcp loopback and reports the
        average, p50 and p99 latency for each count: raw libzmq PUB→SUB; Zinc one hop (a client
        → its host → another client); and a depth-3 tree (a leaf → the root → a leaf of another
        branch, six hops). The seed's sweep goes to 1,000,000 (--counts 1000,5000,10000,50000,
        100000,500000,1000000; about 5 minutes per path at 10,000/s).

        Examples:
          zinc bench latency
          zinc bench latency --counts 1000,10000 --json
        """
    )

    @Option(help: "Comma-separated message counts.") var counts = "1000,5000,10000,50000,100000"
    @Option(help: "Messages per second.") var rate = 10_000
    @Option(help: "Bytes per message.") var size = 1024
    @Flag(inversion: .prefixedNo, help: "Zinc's nodes batch: packed frames (docs/protocol.md §4), as `zinc node` does unless given --no-batch.") var batch = true
    @Flag(help: "Print one JSON object.") var json = false

    func run() async throws {
        var options = LatencyBenchmark.Options()
        options.batching = batch
        options.counts = counts.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !options.counts.isEmpty, options.counts.allSatisfy({ $0 > 0 }) else { throw ValidationError("--counts must list positive numbers") }
        options.rate = rate
        options.size = size
        let result = try await LatencyBenchmark(options).run(progress: progress(quiet: json))
        if json {
            try printJSON(result)
            return
        }
        var table = TextTable(["messages", "raw avg/p50/p99 µs", "one hop avg/p50/p99 µs", "depth 3 avg/p50/p99 µs"])
        for (index, count) in options.counts.enumerated() {
            func cell(_ path: String) -> String {
                guard let point = result.paths[path]?[index] else { return "-" }
                return "\(fixed(point.averageMicroseconds, digits: 0)) / \(fixed(point.p50Microseconds, digits: 0)) / \(fixed(point.p99Microseconds, digits: 0))"
            }
            table.add(["\(count)", cell("raw"), cell("oneHop"), cell("depth3")])
        }
        print(table.render())
    }
}
