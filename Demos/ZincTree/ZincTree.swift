import ArgumentParser
import Foundation
import Glibc
import Zinc
import ZincCluster

/// `zinc-tree`: the tree-cluster demo. It runs `zinc node` processes like `zinc cluster`
/// does, and explains each stage on screen as it happens.
@main
struct ZincTree: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zinc-tree",
        abstract: "Watch a Zinc tree form, lose its root, promote a successor, heal and converge, with each step explained.",
        discussion: """
        Starts --nodes `zinc node` processes on tcp://127.0.0.1 (the `zinc` executable next
        to this one, or $ZINC_BINARY), edits across them, SIGKILLs the root, restarts it, and
        checks that every live node ends with the identical document.

        Examples:
          zinc-tree
          zinc-tree --nodes 12 --fanout 3
          zinc-tree --plain          # a log with the explanations, for a terminal without redraw
        """
    )

    @Option(help: "Nodes to start.") var nodes = 7
    @Option(help: "Children per host before joiners are redirected down.") var fanout = 2
    @Option(help: "Edits to make across the nodes.") var edits = 200
    @Option(help: "Seconds of editing after the tree forms.") var duration = 12.0
    @Option(help: "Seconds after the tree forms to SIGKILL the root.") var killHostAfter = 4.0
    @Option(help: "Seconds after the kill to restart the old host.") var restartAfter = 4.0
    @Flag(help: "Print stages and events line by line instead of redrawing the screen.") var plain = false
    @Option(help: "The zinc executable the nodes run.") var zinc: String?

    func validate() throws {
        guard nodes >= 3 && nodes <= 100 else { throw ValidationError("--nodes must be between 3 and 100") }
        guard fanout >= 1 else { throw ValidationError("--fanout must be at least 1") }
    }

    func run() throws {
        guard let executable = zinc ?? Self.findZinc() else {
            throw ValidationError("cannot find the zinc executable: build it (swift build --product zinc) or pass --zinc PATH")
        }
        var options = ClusterRun.Options()
        options.title = "zinc-tree"
        options.nodeExecutable = executable
        options.explain = true
        options.nodes = nodes
        options.fanout = fanout
        options.edits = edits
        options.duration = duration
        options.kill = killHostAfter
        options.restart = restartAfter
        options.nodeLogLevel = "warning"
        options.display = plain || isatty(STDOUT_FILENO) == 0 ? .plain : .live
        guard let base = FreePorts.range(count: 2 * nodes) else { throw ValidationError("no free range of \(2 * nodes) TCP ports on 127.0.0.1") }
        options.basePort = base
        let run = try ClusterRun(options)
        let summary = run.execute()
        print(summary.text)
        let passed = summary.converged && summary.lostOperations == 0 && summary.error == nil
        if passed { run.removeLogs() } else { print("logs: \(run.directory)") }
        if !passed { throw ExitCode.failure }
    }

    /// $ZINC_BINARY, then `zinc` next to this executable, then the PATH.
    static func findZinc() -> String? {
        let manager = FileManager.default
        if let path = ProcessInfo.processInfo.environment["ZINC_BINARY"], manager.isExecutableFile(atPath: path) { return path }
        let here = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let sibling = here.appendingPathComponent("zinc").path
        if manager.isExecutableFile(atPath: sibling) { return sibling }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/zinc"
            if manager.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
