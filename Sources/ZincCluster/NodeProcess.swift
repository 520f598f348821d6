package import Foundation
import Glibc

/// One `zinc node` child process of a local cluster, with its log file.
package final class NodeProcess {
    package let name: String
    package let publish: String
    package let admin: String
    package let logPath: String
    package private(set) var process: Process?
    package private(set) var killedAt: ContinuousClock.Instant?

    package init(name: String, publish: String, admin: String, logPath: String) {
        self.name = name
        self.publish = publish
        self.admin = admin
        self.logPath = logPath
    }

    package var isRunning: Bool { process?.isRunning ?? false }
    package var pid: Int32? { process?.processIdentifier }

    /// Starts (or restarts) the node; its stdout and stderr go to the log file.
    package func start(executable: String, join: [String], fanout: Int, logLevel: String, dataDirectory: String? = nil, keyPath: String? = nil) throws {
        var arguments = ["node", "--id", name, "--bind", publish, "--admin", admin, "--fanout", "\(fanout)",
                         "--log-level", logLevel, "--parent-pid", "\(getpid())"]
        for address in join { arguments += ["--join", address] }
        if let dataDirectory { arguments += ["--data-dir", dataDirectory] }
        if let keyPath { arguments += ["--key", keyPath] }
        try launch(executable: executable, arguments: arguments)
    }

    /// Starts (or restarts) `executable arguments` as this node (any program that runs one,
    /// such as a demo's worker); its stdout and stderr go to the log file.
    package func launch(executable: String, arguments: [String]) throws {
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        guard let log = FileHandle(forWritingAtPath: logPath) else { throw ClusterError("cannot write \(logPath)") }
        log.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        killedAt = nil
    }

    /// SIGKILL: the node gets no chance to say goodbye (a crash, as far as the tree can tell).
    package func crash() {
        guard let pid, isRunning else { return }
        kill(pid, SIGKILL)
        killedAt = .now
        process?.waitUntilExit()
    }

    /// SIGTERM, then SIGKILL if it has not left within `grace`.
    package func stop(grace: Duration = .seconds(3)) {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while process.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// The last line the node logged (why it failed to start, usually).
    package var lastLogLine: String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").last.map(String.init) ?? "(no output)"
    }
}
