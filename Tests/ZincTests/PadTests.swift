import Foundation
import Glibc
import Testing
import Zinc

/// The terminal editor, driven through tmux like a person at three terminals.
@Suite("zinc-pad under tmux", .serialized, .timeLimit(.minutes(2)))
struct PadTests {
    let socket = "zinc-test-\(UUID().uuidString.prefix(8))"

    func padBinary() -> String {
        if let path = ProcessInfo.processInfo.environment["ZINC_PAD_BINARY"], !path.isEmpty { return path }
        return URL(fileURLWithPath: zincBinary()).deletingLastPathComponent().appendingPathComponent("zinc-pad").path
    }

    /// A tmux command; only `capture-pane` needs its output (and must not be the one that
    /// starts the server, which would inherit the pipe).
    @discardableResult
    func tmux(_ arguments: [String]) -> String {
        system("/usr/bin/tmux", ["-L", socket] + arguments, captureOutput: arguments.first == "capture-pane").output
    }

    /// The text area of a pad's screen (everything above the two status lines), trailing
    /// blanks dropped.
    func screenText(_ session: String) -> String {
        let lines = tmux(["capture-pane", "-p", "-t", session]).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let text = lines.prefix { !$0.hasPrefix(" \(session) · ") }
        return text.map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
            .joined(separator: "\n").trimmingCharacters(in: .newlines)
    }

    @Test("three editors type into one document, the host is killed, they type more, and all three screens agree")
    func threeEditors() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux"), FileManager.default.isExecutableFile(atPath: padBinary()) else {
            print("skipping: tmux or zinc-pad is missing (scripts/test installs and builds both)")
            return
        }
        let directory = try temporaryDirectory()
        defer {
            tmux(["kill-server"])
            try? FileManager.default.removeItem(atPath: directory)
        }
        let port = ProcessTests().freePort()
        let host = try ZincProcess(["node", "--id", "pad-host", "--bind", "tcp://127.0.0.1:\(port)", "--admin", "ipc://\(directory)/host.admin"])
        #expect(await eventually(.seconds(10)) { adminStatus("ipc://\(directory)/host.admin") != nil })
        let names = ["ada", "bob", "cy"]
        for name in names {
            let command = "HOME=\(directory) \(padBinary()) --join tcp://127.0.0.1:\(port) --name \(name) --no-persist --admin ipc://\(directory)/\(name).admin notes"
            tmux(["new-session", "-d", "-s", name, "-x", "100", "-y", "14", command])
        }
        #expect(await eventually(.seconds(15)) { names.allSatisfy { adminStatus("ipc://\(directory)/\($0).admin")?.link.isJoined == true } })

        tmux(["send-keys", "-t", "ada", "Ada: hello 🌍 世界"])
        #expect(await eventually(.seconds(10)) { screenText("bob").contains("Ada: hello 🌍 世界") })
        tmux(["send-keys", "-t", "bob", "C-End", "End", "Enter", "Bob: second line"])
        #expect(await eventually(.seconds(10)) { screenText("cy").contains("Bob: second line") })
        tmux(["send-keys", "-t", "cy", "PgDn", "End", "Enter", "Cy: third"])
        #expect(await eventually(.seconds(10)) { names.allSatisfy { screenText($0).contains("Cy: third") } })

        // The host dies; the pads promote one of themselves and keep going.
        host.signal(SIGKILL)
        _ = await host.wait()
        tmux(["send-keys", "-t", "ada", "PgDn", "End", "Enter", "Ada: after the kill"])
        tmux(["send-keys", "-t", "cy", "PgUp", "Home", "[cy] "])
        tmux(["send-keys", "-t", "bob", "BSpace"])
        let agreed = await eventually(.seconds(20)) {
            let screens = names.map(screenText)
            return Set(screens).count == 1 && screens[0].contains("Ada: after the kill") && screens[0].hasPrefix("[cy] ")
        }
        let screens = names.map(screenText)
        #expect(agreed, "all three screens show the same text:\n\(screens.joined(separator: "\n-----\n"))")
        #expect(screens[0].contains("Ada: hello 🌍 世界") && screens[0].contains("Cy: third"))
        let statuses = names.compactMap { adminStatus("ipc://\(directory)/\($0).admin") }
        #expect(statuses.filter { $0.role == .root && $0.term == 1 }.count == 1, "one pad was promoted")
        for name in names { tmux(["send-keys", "-t", name, "C-q"]) }
    }
}
