import Foundation
import Glibc

/// A `zinc-jobs worker` child process.
final class WorkerProcess {
    let name: String
    let admin: String
    let logPath: String
    private(set) var process: Process?
    private(set) var startedAt: ContinuousClock.Instant?
    private(set) var endedAt: ContinuousClock.Instant?
    private(set) var fate = "running"

    init(name: String, directory: String) {
        self.name = name
        admin = "ipc://\(directory)/\(name).admin"
        logPath = "\(directory)/\(name).log"
    }

    var isRunning: Bool { process?.isRunning ?? false }

    func start(executable: String, join: String, slots: Int, fanout: Int) throws {
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["worker", "--join", join, "--name", name, "--slots", "\(slots)", "--fanout", "\(fanout)",
                             "--admin", admin, "--parent-pid", "\(getpid())"]
        process.standardOutput = log ?? FileHandle.nullDevice
        process.standardError = log ?? FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        startedAt = .now
    }

    /// SIGKILL: no goodbye, queued and running jobs die with it.
    func crash() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        fate = "killed"
        endedAt = .now
    }

    /// SIGTERM: the worker routes new work away, drains its queue and leaves the tree.
    func leave() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        fate = "left"
        endedAt = .now
    }

    func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        if endedAt == nil { endedAt = .now }
    }
}
