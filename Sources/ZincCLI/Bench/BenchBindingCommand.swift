import ArgumentParser
import Foundation
import ZincBench

struct BenchBindingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "binding",
        abstract: "The ZeroMQ binding's overhead: PUSH→PULL through Swift and through C, alternated.",
        discussion: """
        Moves --count frames of --size bytes from a PUSH socket on one thread to a PULL socket on
        another, once through Zinc's Swift binding and once through the same loop written against
        libzmq's C API, alternating for --rounds rounds. Prints both rates and the ratio of medians.

        Examples:
          zinc bench binding
          zinc bench binding --count 200000 --rounds 3 --json
          zinc bench binding --endpoint ipc:///tmp/zinc-bench.sock
        """
    )

    @Option(help: "Messages per round.") var count = 1_000_000
    @Option(help: "Bytes per message.") var size = 1024
    @Option(help: "Rounds of each loop (medians are reported).") var rounds = 5
    @Option(help: "Endpoint to bind (loopback or ipc).") var endpoint = "tcp://127.0.0.1:*"
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard count >= 2 else { throw ValidationError("--count must be at least 2") }
        guard size >= 0 && size <= 64 << 20 else { throw ValidationError("--size must be between 0 and 64 MiB") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
    }

    func run() throws {
        var options = BindingBenchmark.Options()
        options.count = count
        options.size = size
        options.rounds = rounds
        options.endpoint = endpoint
        let result = try BindingBenchmark(options).run(progress: progress(quiet: json))
        if json {
            try printJSON(result)
            return
        }
        print("PUSH→PULL, \(count) × \(size) B over \(endpoint), \(rounds) rounds (median [min–max])")
        var table = TextTable(["loop", "sender", "receiver"])
        func cell(_ s: Summary) -> String { "\(formatRate(s.median)) [\(fixed(s.min / 1e6, digits: 2))–\(fixed(s.max / 1e6, digits: 2))]" }
        table.add(["C (libzmq API)", cell(result.cSender), cell(result.cReceiver)])
        table.add(["Swift binding", cell(result.swiftSender), cell(result.swiftReceiver)])
        table.add(["ratio Swift/C", fixed(result.senderRatio, digits: 3) + "×", fixed(result.receiverRatio, digits: 3) + "×"])
        print(table.render())
    }
}
