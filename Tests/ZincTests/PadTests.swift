import Foundation
import Glibc
import Testing
import Zinc

/// Where the pads and tmux are (scripts/test installs tmux and builds zinc-pad).
enum PadSetup {
    static var padBinary: String { siblingBinary("zinc-pad", variable: "ZINC_PAD_BINARY") }
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") && FileManager.default.isExecutableFile(atPath: padBinary)
    }
}

/// Terminals driven through tmux, like people at their keyboards.
final class PadSession: @unchecked Sendable {
    // @unchecked: used by one test task at a time.
    let socket = "zinc-test-\(UUID().uuidString.prefix(8))"
    let directory: String
    let helper = ProcessTests()

    init() throws {
        directory = try temporaryDirectory()
    }

    deinit {
        tmux(["kill-server"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A tmux command; only `capture-pane` needs its output (and must not be the one that
    /// starts the server, which would inherit the pipe).
    @discardableResult
    func tmux(_ arguments: [String]) -> String {
        system("/usr/bin/tmux", ["-L", socket] + arguments, captureOutput: arguments.first == "capture-pane").output
    }

    func admin(_ name: String) -> String { "ipc://\(directory)/\(name).admin" }

    /// Starts a pad named `name` on document `notes`, hosting on a port below 32768.
    func startPad(_ name: String, join: Int) {
        let port = helper.freePort()
        let command = "HOME=\(directory) \(PadSetup.padBinary) --join tcp://127.0.0.1:\(join) --bind tcp://127.0.0.1:\(port) --name \(name) --no-persist --admin \(admin(name)) notes"
        tmux(["new-session", "-d", "-s", name, "-x", "100", "-y", "14", command])
    }

    /// A node named `host` and one pad, `ada`, joined to it: returns the node's process.
    func startHostAndAda(id: String) async throws -> ZincProcess {
        let port = helper.freePort()
        let host = try ZincProcess(["node", "--id", id, "--bind", "tcp://127.0.0.1:\(port)", "--admin", admin("host")])
        #expect(await eventually(.seconds(10)) { adminStatus(self.admin("host")) != nil })
        startPad("ada", join: port)
        #expect(await eventually(.seconds(15)) { adminStatus(self.admin("ada"))?.link.isJoined == true })
        return host
    }

    func keys(_ name: String, _ keys: String...) {
        tmux(["send-keys", "-t", name] + keys)
    }

    /// The text area of a pad's screen (everything above the two status lines), trailing
    /// blanks of each row dropped.
    func screen(_ name: String) -> [String] {
        let lines = tmux(["capture-pane", "-p", "-t", name]).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return lines.prefix { !$0.hasPrefix(" \(name) · ") }.map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
    }

    /// The two status lines under the text.
    func statusLines(_ name: String) -> String {
        let lines = tmux(["capture-pane", "-p", "-t", name]).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return lines.drop { !$0.hasPrefix(" \(name) · ") }.joined(separator: "\n")
    }

    func screenText(_ name: String) -> String {
        screen(name).joined(separator: "\n").trimmingCharacters(in: .newlines)
    }

    /// The text of a screen whose one logical line wraps at 100 columns (no spaces, no wide
    /// characters): the rows joined back.
    func wrappedScreenText(_ name: String) -> String {
        screen(name).joined()
    }

    func document(_ name: String) -> String? {
        try? AdminClient(address: admin(name), timeout: .milliseconds(500)).document("notes").text
    }
}

/// The terminal editor, driven through tmux like a person at three terminals.
@Suite("zinc-pad under tmux", .serialized, .timeLimit(.minutes(5)), .enabled(if: PadSetup.available, "needs tmux and zinc-pad (scripts/test installs and builds both)"))
struct PadTests {
    @Test("three pads type bursts at once, one at the start and two at the end: every burst lands once, contiguous and in order, everywhere",
          arguments: 0..<20)
    func concurrentBursts(repetition: Int) async throws {
        let session = try PadSession()
        let port = session.helper.freePort()
        let host = try ZincProcess(["node", "--id", "pad-host-\(repetition)", "--bind", "tcp://127.0.0.1:\(port)", "--admin", session.admin("host")])
        #expect(await eventually(.seconds(10)) { adminStatus(session.admin("host")) != nil })
        _ = try AdminClient(address: session.admin("host")).send(.insert("[seed]", at: 0, in: "notes"))
        let names = ["ada", "bob", "cy"]
        for name in names { session.startPad(name, join: port) }
        #expect(await eventually(.seconds(15)) { names.allSatisfy { session.screenText($0) == "[seed]" } })
        session.keys("ada", "C-Home")
        session.keys("bob", "C-End")
        session.keys("cy", "C-End")
        try await Task.sleep(for: .milliseconds(200))

        var bursts: [String: [String]] = [:]
        for round in 0..<4 {
            for name in names {
                let burst = "<\(name.prefix(1))\(round)-0123456789abcdef>"
                bursts[name, default: []].append(burst)
                session.keys(name, "-l", burst)
            }
            // Every replica and every screen agrees before the next round.
            let expectedLength = "[seed]".count + bursts.values.joined().map(\.count).reduce(0, +)
            let agreed = await eventually(.seconds(20)) {
                let texts = (names + ["host"]).map(session.document)
                return Set(texts).count == 1 && texts[0]?.count == expectedLength
                    && names.allSatisfy { session.wrappedScreenText($0) == texts[0] }
            }
            #expect(agreed, "round \(round): \((names + ["host"]).map { "\($0): \(session.document($0) ?? "-")" })")
        }
        let text = try #require(session.document("host"))
        let seed = try #require(text.range(of: "[seed]"))
        for (name, sequence) in bursts {
            var searchFrom = name == "ada" ? text.startIndex : seed.upperBound
            for burst in sequence {
                let found = text.ranges(of: burst)
                #expect(found.count == 1, "\(burst) appears once, contiguous: \(text)")
                guard let range = found.first else { continue }
                #expect(range.lowerBound >= searchFrom, "\(name)'s bursts stay in order: \(text)")
                #expect(name == "ada" ? range.upperBound <= seed.lowerBound : range.lowerBound >= seed.upperBound, "\(burst) is on its side of the seed")
                searchFrom = range.upperBound
            }
        }
        for name in names {
            #expect(session.wrappedScreenText(name) == text, "\(name)'s screen shows the document")
            session.keys(name, "C-q")
        }
        host.signal(SIGTERM)
        _ = await host.wait()
    }

    @Test("one Ctrl-Z undoes a word typed in one go, and only that word")
    func undoAWord() async throws {
        let session = try PadSession()
        let host = try await session.startHostAndAda(id: "pad-undo-host")
        session.keys("ada", "-l", "first ")
        #expect(await eventually(.seconds(10)) { session.document("host") == "first " })
        try await Task.sleep(for: .milliseconds(800))
        session.keys("ada", "-l", "second")
        #expect(await eventually(.seconds(10)) { session.document("host") == "first second" })
        session.keys("ada", "C-z")
        #expect(await eventually(.seconds(10)) { session.document("host") == "first " && session.screenText("ada") == "first" })
        session.keys("ada", "C-y")
        #expect(await eventually(.seconds(10)) { session.document("host") == "first second" && session.screenText("ada") == "first second" })
        session.keys("ada", "C-q")
        host.signal(SIGTERM)
        _ = await host.wait()
    }

    @Test("Ctrl-T opens the history: the arrows step through past texts, which cannot be edited, and Ctrl-T returns to the live text")
    func historyView() async throws {
        let session = try PadSession()
        let host = try await session.startHostAndAda(id: "pad-history-host")
        // Three keystrokes, three transactions.
        session.keys("ada", "-l", "one")
        #expect(await eventually(.seconds(10)) { session.document("host") == "one" })
        session.keys("ada", "C-t")
        #expect(await eventually(.seconds(10)) { session.screenText("ada") == "one" && session.statusLines("ada").contains("history 3/3") },
                "\(session.tmux(["capture-pane", "-p", "-S", "-", "-t", "ada"]))")
        session.keys("ada", "Left")
        #expect(await eventually(.seconds(10)) { session.screenText("ada") == "on" && session.statusLines("ada").contains("history 2/3") })
        session.keys("ada", "Left")
        #expect(await eventually(.seconds(10)) { session.screenText("ada") == "o" })
        session.keys("ada", "-l", "x")
        session.keys("ada", "Right")
        #expect(await eventually(.seconds(10)) { session.screenText("ada") == "on" })
        #expect(session.document("host") == "one", "the history is read-only")
        session.keys("ada", "C-t")
        #expect(await eventually(.seconds(10)) { session.screenText("ada") == "one" && !session.statusLines("ada").contains("history") })
        session.keys("ada", "-l", "!")
        #expect(await eventually(.seconds(10)) { session.document("host") == "one!" })
        session.keys("ada", "C-q")
        host.signal(SIGTERM)
        _ = await host.wait()
    }

    @Test("three editors type into one document, the host is killed, they type more, and all three screens agree")
    func threeEditors() async throws {
        let session = try PadSession()
        let port = session.helper.freePort()
        let host = try ZincProcess(["node", "--id", "pad-host", "--bind", "tcp://127.0.0.1:\(port)", "--admin", session.admin("host")])
        #expect(await eventually(.seconds(10)) { adminStatus(session.admin("host")) != nil })
        let names = ["ada", "bob", "cy"]
        for name in names { session.startPad(name, join: port) }
        #expect(await eventually(.seconds(15)) { names.allSatisfy { adminStatus(session.admin($0))?.link.isJoined == true } })

        session.keys("ada", "Ada: hello 🌍 世界")
        #expect(await eventually(.seconds(10)) { session.screenText("bob").contains("Ada: hello 🌍 世界") })
        session.keys("bob", "C-End", "End", "Enter", "Bob: second line")
        #expect(await eventually(.seconds(10)) { session.screenText("cy").contains("Bob: second line") })
        session.keys("cy", "PgDn", "End", "Enter", "Cy: third")
        #expect(await eventually(.seconds(10)) { names.allSatisfy { session.screenText($0).contains("Cy: third") } })

        // The host dies; the pads promote one of themselves and keep going.
        host.signal(SIGKILL)
        _ = await host.wait()
        session.keys("ada", "PgDn", "End", "Enter", "Ada: after the kill")
        session.keys("cy", "PgUp", "Home", "[cy] ")
        session.keys("bob", "BSpace")
        let agreed = await eventually(.seconds(20)) {
            let screens = names.map(session.screenText)
            return Set(screens).count == 1 && screens[0].contains("Ada: after the kill") && screens[0].hasPrefix("[cy] ")
        }
        let screens = names.map(session.screenText)
        #expect(agreed, "all three screens show the same text:\n\(screens.joined(separator: "\n-----\n"))")
        #expect(screens[0].contains("Ada: hello 🌍 世界") && screens[0].contains("Cy: third"))
        let statuses = names.compactMap { adminStatus(session.admin($0)) }
        #expect(statuses.filter { $0.role == .root && $0.term == 1 }.count == 1, "one pad was promoted")
        for name in names { session.keys(name, "C-q") }
    }
}
