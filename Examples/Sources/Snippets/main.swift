import Zinc

// Runs the documentation snippets named on the command line (their `<!-- snippet: NAME -->`
// names), each under a time limit: a snippet that hangs fails instead of stalling the tests.
let runnable: [String: @Sendable () async throws -> Bool] = [
    "getting-started": { try await gettingStarted() },
]

var failed = false
for name in CommandLine.arguments.dropFirst() {
    guard let snippet = runnable[name] else {
        print("no runnable snippet named \(name); known: \(runnable.keys.sorted().joined(separator: ", "))")
        failed = true
        continue
    }
    let finished = try await withThrowingTaskGroup(of: Bool.self) { group in
        group.addTask { try await snippet() }
        group.addTask {
            try await Task.sleep(for: .seconds(30))
            return false
        }
        let first = try await group.next() ?? false
        group.cancelAll()
        return first
    }
    print(finished ? "snippet \(name): ok" : "snippet \(name): did not finish within 30 s")
    failed = failed || !finished
}
if failed { fatalError("a snippet failed") }
