import ArgumentParser

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Zinc, side by side with the libraries it competes with, in one run.",
        discussion: """
        Benchmarks print a table of medians and ranges over several rounds (this kind of machine
        is shared and noisy); --json prints one object for scripts instead.
        """,
        subcommands: [
            BenchMessagesCommand.self, BenchLatencyCommand.self, BenchFanoutCommand.self, BenchFailoverCommand.self,
            BenchCRDTCommand.self, BenchStoreCommand.self, BenchBindingCommand.self,
        ]
    )
}
