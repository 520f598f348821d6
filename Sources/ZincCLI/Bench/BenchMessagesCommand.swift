import ArgumentParser
import Foundation
import ZincBench

struct BenchMessagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messages",
        abstract: "Throughput of Zinc messages between two Endpoints, beside raw libzmq PUSH/PULL in the same run.",
        discussion: """
        Sends --count messages of --size bytes from a client Endpoint to its host: encode,
        queue to the I/O thread, send; receive, decode, check the sender, de-duplicate, route
        and hand to a MessageHandler. The same count goes through raw libzmq PUSH/PULL (C) in the
        same run. Rates are medians of --rounds; ratio = Zinc receiver rate / raw receiver rate.
        JSON keys: senderRate, receiverRate, rawSenderRate, rawReceiverRate, ratio.

        Examples:
          zinc bench messages
          zinc bench messages --count 200000 --transport ipc --json
        """
    )

    @Option(help: "Messages per round.") var count = 1_000_000
    @Option(help: "Bytes per message.") var size = 1024
    @Option(help: "tcp, ipc or inproc.") var transport = "tcp"
    @Option(help: "Rounds (medians are reported).") var rounds = 3
    @Flag(inversion: .prefixedNo, help: "Zinc's nodes batch: packed frames (docs/protocol.md §4), as `zinc node` does unless given --no-batch.") var batch = true
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard ["tcp", "ipc", "inproc"].contains(transport) else { throw ValidationError("--transport must be tcp, ipc or inproc") }
        guard count >= 1000, size >= 1, rounds >= 1 else { throw ValidationError("--count ≥ 1000, --size ≥ 1, --rounds ≥ 1") }
    }

    func run() async throws {
        var options = MessagesBenchmark.Options()
        options.batching = batch
        options.count = count
        options.size = size
        options.transport = transport
        options.rounds = rounds
        let result = try await MessagesBenchmark(options).run(progress: progress(quiet: json))
        if json {
            try printJSON(result)
            return
        }
        var table = TextTable(["\(count) × \(size) B over \(transport)", "sender", "receiver"])
        table.add(["raw libzmq PUSH/PULL", formatRate(result.rawSenderRate), formatRate(result.rawReceiverRate)])
        table.add(["Zinc Endpoint → Endpoint", formatRate(result.senderRate), formatRate(result.receiverRate)])
        table.add(["ratio (Zinc / raw)", fixed(result.senderRate / result.rawSenderRate, digits: 2) + "×", fixed(result.ratio, digits: 2) + "×"])
        print(table.render())
        if result.lost > 0 { print("LOST \(result.lost) messages") }
    }
}
