import ArgumentParser
import Dispatch
import Foundation
import Glibc
import Zinc
import ZincCluster

struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Run a local tree cluster: nodes join, edit, lose their host, heal and converge.",
        discussion: """
        Starts --nodes `zinc node` processes on tcp://127.0.0.1. They all join the first one;
        its fan-out redirects the rest down the tree, which balances itself. Edits are made at
        random nodes through their admin interfaces while the live tree is drawn. After
        --kill-host-after seconds the root is killed with SIGKILL: its children suspect it,
        declare it dead, agree on a successor, and the tree heals under a new term. The old
        host is restarted and rejoins as a client. At the end every live node must hold the
        identical document, with no edit made at a surviving node lost.

        With no flags it runs the demo described above (7 nodes, fan-out 2, ~15 seconds).

        Examples:
          zinc cluster
          zinc cluster --nodes 15 --fanout 3 --edits 1000
          zinc cluster --nodes 5 --no-kill --duration 5 --plain
          zinc cluster --json > summary.json
        """
    )

    @Option(help: "Nodes to start.") var nodes = 7
    @Option(help: "Children per host before joiners are redirected down.") var fanout = 2
    @Option(help: "First TCP port (each node takes two); default: a free range.") var basePort: Int?
    @Option(help: "Edits to make across the nodes.") var edits = 300
    @Option(help: "Seconds after the tree forms to SIGKILL the root.") var killHostAfter = 4.0
    @Flag(help: "Do not kill the host.") var noKill = false
    @Option(help: "Seconds after the kill to restart the old host (it rejoins as a client).") var restartAfter = 3.0
    @Flag(help: "Do not restart the killed host.") var noRestart = false
    @Option(help: "Seconds of editing after the tree forms.") var duration = 8.0
    @Option(help: "Seconds to wait for convergence at the end.") var settleTimeout = 20.0
    @Flag(help: "Print events line by line instead of redrawing the screen.") var plain = false
    @Flag(help: "Print only a JSON summary on stdout.") var json = false
    @Flag(help: "Keep the nodes' logs even when everything passed.") var keepLogs = false
    @Option(help: "The nodes' log level.") var nodeLogLevel = "info"
    @Option(help: "A cluster key file (zinc keygen): every node and admin connection uses CURVE.") var key: String?
    @Flag(help: "Do not give the nodes data directories (a killed node then comes back empty).") var noPersist = false
    @Flag(help: "Explain each stage on screen (what the zinc-tree demo shows).") var explain = false

    func validate() throws {
        guard nodes >= 2 && nodes <= 200 else { throw ValidationError("--nodes must be between 2 and 200") }
        guard fanout >= 1 else { throw ValidationError("--fanout must be at least 1") }
        guard edits >= 0 else { throw ValidationError("--edits cannot be negative") }
        guard duration > 0, killHostAfter >= 0, restartAfter >= 0 else { throw ValidationError("times must be positive") }
        if let basePort, basePort < 1024 || basePort + 2 * nodes > 65_535 { throw ValidationError("--base-port must leave room for \(2 * nodes) ports above 1024") }
    }

    func run() throws {
        var options = ClusterRun.Options()
        options.nodes = nodes
        options.fanout = fanout
        options.edits = edits
        options.kill = noKill ? nil : killHostAfter
        options.restart = noRestart ? nil : restartAfter
        options.duration = duration
        options.settleTimeout = settleTimeout
        options.nodeLogLevel = nodeLogLevel
        options.persist = !noPersist
        options.explain = explain
        options.keyPath = key
        options.key = try Credentials.loadClusterKey(key)
        options.display = json ? .quiet : (plain || isatty(STDOUT_FILENO) == 0 ? .plain : .live)
        guard let base = basePort ?? FreePorts.range(count: 2 * nodes) else { throw CLIError("no free range of \(2 * nodes) TCP ports on 127.0.0.1") }
        options.basePort = base
        let run = try ClusterRun(options)
        let summary = run.execute()
        if json {
            try printJSON(summary)
        } else {
            print(summary.text)
        }
        if summary.converged && summary.lostOperations == 0 && !keepLogs && summary.error == nil {
            run.removeLogs()
        } else {
            if !json { print("logs: \(run.directory)") }
        }
        if !(summary.converged && summary.lostOperations == 0 && summary.error == nil) { throw ExitCode.failure }
    }
}
