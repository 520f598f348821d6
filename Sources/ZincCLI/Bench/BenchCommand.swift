import Foundation
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
            BenchCRDTCommand.self, BenchStoreCommand.self, BenchBindingCommand.self, BenchEditorCommand.self,
        ]
    )
}

/// A benchmark's progress lines on stderr, or nothing with `--json` (stdout is the JSON).
func progress(quiet: Bool) -> @Sendable (String) -> Void {
    { line in if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) } }
}
