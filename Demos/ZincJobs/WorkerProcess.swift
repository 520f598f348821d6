import Foundation
import Glibc
import ZincCluster

/// A `zinc-jobs worker` child process (a ``NodeProcess`` running the worker), with what the
/// summary needs: when it started and ended, and how.
final class WorkerProcess {
    let node: NodeProcess
    private(set) var startedAt: ContinuousClock.Instant?
    private(set) var endedAt: ContinuousClock.Instant?
    private(set) var fate = "running"

    init(name: String, directory: String) {
        node = NodeProcess(name: name, publish: "tcp://127.0.0.1:*", admin: "ipc://\(directory)/\(name).admin", logPath: "\(directory)/\(name).log")
    }

    var name: String { node.name }
    var admin: String { node.admin }
    var logPath: String { node.logPath }
    var isRunning: Bool { node.isRunning }

    func start(executable: String, join: String, slots: Int, fanout: Int) throws {
        try node.launch(executable: executable, arguments: [
            "worker", "--join", join, "--name", name, "--bind", node.publish, "--slots", "\(slots)", "--fanout", "\(fanout)",
            "--admin", admin, "--parent-pid", "\(getpid())",
        ])
        startedAt = .now
    }

    /// SIGKILL: no goodbye, queued and running jobs die with it.
    func crash() {
        guard isRunning else { return }
        node.crash()
        fate = "killed"
        endedAt = .now
    }

    /// SIGTERM: the worker routes new work away, drains its queue and leaves the tree.
    func leave() {
        guard let pid = node.pid, isRunning else { return }
        kill(pid, SIGTERM)
        fate = "left"
        endedAt = .now
    }

    func stop() {
        node.stop(grace: .seconds(5))
        if endedAt == nil { endedAt = .now }
    }
}
