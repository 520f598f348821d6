import ArgumentParser
import Foundation
import ZincBench

struct BenchEditorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "editor",
        abstract: "A keystroke through a TextBinding, local and remote, in a 1 KB and a 1 MB document.",
        discussion: """
        Two endpoints in this process (a host and a client, inproc) share a document of each
        size; each has a text binding with its caret in the middle. Measures --keystrokes
        keystrokes: local (the client types; its view shows it), remote (the host types; the
        client's view shows it), and, for contrast, an edit followed by a snapshot of the
        document per keystroke. Reports medians, p99 and how much each grows from the small
        document to the large one (1.0: not at all).

        Examples:
          zinc bench editor
          zinc bench editor --keystrokes 5000 --json
        """
    )

    @Option(help: "Keystrokes per path and size.") var keystrokes = 2_000
    @Option(help: "Comma-separated document sizes in bytes.") var sizes = "1024,1048576"
    @Flag(help: "Print one JSON object.") var json = false

    func run() async throws {
        var options = EditorBenchmark.Options()
        options.keystrokes = keystrokes
        options.sizes = sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !options.sizes.isEmpty, options.keystrokes > 0 else { throw ValidationError("give --sizes and a positive --keystrokes") }
        let result = try await EditorBenchmark(options).run(progress: progress(quiet: json))
        if json {
            try printJSON(result)
            return
        }
        var table = TextTable(["path"] + options.sizes.map { "\($0) B p50 / p99 µs" } + ["growth"])
        for path in ["local", "remote", "snapshotPerKeystroke"] {
            let cells = (result.paths[path] ?? []).map { "\(fixed($0.medianMicroseconds, digits: 1)) / \(fixed($0.p99Microseconds, digits: 1))" }
            table.add([path] + cells + [result.growth[path].map { fixed($0, digits: 2) + "×" } ?? "-"])
        }
        print(table.render())
    }
}
