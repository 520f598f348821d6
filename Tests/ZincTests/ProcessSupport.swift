import Foundation
import Glibc
import Testing
import Zinc

/// The `zinc` executable under test: `ZINC_BINARY` (set by scripts/test), else this
/// checkout's debug build.
func zincBinary() -> String {
    if let path = ProcessInfo.processInfo.environment["ZINC_BINARY"], !path.isEmpty { return path }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent(".build/debug/zinc").path
}

/// Another executable of the package (a demo), next to `zinc` unless `variable` names it.
func siblingBinary(_ name: String, variable: String) -> String {
    if let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty { return path }
    return URL(fileURLWithPath: zincBinary()).deletingLastPathComponent().appendingPathComponent(name).path
}

/// A `zinc` child process with captured output. Killed at deinit if still running, so a
/// failing test leaves nothing behind.
final class ZincProcess: @unchecked Sendable {
    // @unchecked: created and used by one test task; Process is thread-safe for these calls.
    let process = Process()
    let outputPath: String

    /// Runs `zinc arguments`, or `prefix... zinc arguments` (e.g. `ip netns exec NS`).
    init(_ arguments: [String], prefix: [String] = [], executable: String = zincBinary()) throws {
        outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("zinc-test-\(UUID().uuidString).log").path
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        if let launcher = prefix.first {
            process.executableURL = URL(fileURLWithPath: launcher)
            process.arguments = Array(prefix.dropFirst()) + [executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: outputPath)
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for exit (bounded) and returns the status; SIGKILLs on timeout.
    func wait(timeout: Duration = .seconds(30)) async -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return process.terminationStatus
    }
}

/// Runs `zinc` with `arguments` to completion; returns (exit status, stdout+stderr).
func runZinc(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> (status: Int32, output: String) {
    let process = try ZincProcess(arguments)
    let status = await process.wait(timeout: timeout)
    return (status, process.output)
}

/// A directory for ipc admin sockets, removed by the caller.
func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("zinc-proc-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Blocking admin calls, off the cooperative pool's critical path (they take milliseconds).
func adminStatus(_ address: String) -> EndpointStatus? {
    try? AdminClient(address: address, timeout: .milliseconds(500)).status()
}

/// Runs a system command to completion; returns its exit status and output. With
/// `captureOutput: false` the command runs through `posix_spawn` and `waitpid` with its output
/// in /dev/null: Foundation's `Process` learns of an exit through a descriptor the child
/// inherits, so a command that leaves a daemon behind (`tmux new-session`) never "exits" for it.
@discardableResult
func system(_ executable: String, _ arguments: [String], captureOutput: Bool = true) -> (status: Int32, output: String) {
    guard captureOutput else { return (spawnAndWait(executable, arguments), "") }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do { try process.run() } catch { return (-1, "\(error)") }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// `posix_spawn` with stdin, stdout and stderr on /dev/null, then `waitpid`; the exit status,
/// or -1 if it could not start.
private func spawnAndWait(_ executable: String, _ arguments: [String]) -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for descriptor: Int32 in [0, 1, 2] {
        posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
    }
    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, executable, &actions, nil, argv, environ) == 0 else { return -1 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        guard errno == EINTR else { return -1 }
    }
    // WIFEXITED / WEXITSTATUS are macros Swift does not import.
    return status & 0x7f == 0 ? (status >> 8) & 0xff : -1
}

/// True if nothing has bound `port` on 127.0.0.1 (TCP, or UDP with `SOCK_DGRAM`).
func portIsFree(_ port: Int, type: __socket_type = SOCK_STREAM) -> Bool {
    let fd = socket(AF_INET, Int32(type.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}

/// `count` consecutive free TCP ports on 127.0.0.1, below 32768 (the kernel hands out the
/// ports above to outgoing connections).
func freePorts(_ count: Int) throws -> Int {
    for _ in 0..<200 {
        let base = Int.random(in: 20_000..<(32_000 - count))
        if (base..<base + count).allSatisfy({ portIsFree($0) }) { return base }
    }
    throw PortsUnavailable()
}

struct PortsUnavailable: Error {}
