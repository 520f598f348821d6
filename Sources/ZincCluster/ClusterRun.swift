import Dispatch
import Foundation
import Glibc
import Synchronization
package import Zinc

/// One `zinc cluster` run: starts the node processes, drives edits through their admin
/// interfaces, kills and restarts the host, watches the tree heal and checks convergence.
package final class ClusterRun {
    package enum Display: Sendable { case live, plain, quiet }

    package struct Options: Sendable {
        package var nodes = 7
        package var fanout = 2
        package var basePort = 7400
        package var edits = 300
        package var kill: Double? = 4
        package var restart: Double? = 3
        package var duration = 8.0
        package var settleTimeout = 20.0
        package var nodeLogLevel = "info"
        package var persist = true
        package var keyPath: String?
        package var key: ClusterKey?
        package var display = Display.live
        /// The `zinc` executable the nodes run (the CLI passes itself).
        package var nodeExecutable = "/proc/self/exe"
        /// Explain each stage on screen (the `zinc-tree` demo).
        package var explain = false
        package var title = "zinc cluster"

        package init() {}
    }

    static let document = "demo"

    package let options: Options
    package let directory: String
    let processes: [NodeProcess]
    private let executable: String
    private let started = ContinuousClock.now
    private var statuses: [String: EndpointStatus] = [:]
    private var events: [String] = []
    private var summary = ClusterSummary()
    private var random = SystemRandomNumberGenerator()
    /// The highest counter each replica reached in an acknowledged edit, and whose node made it.
    private var madeByReplica: [String: (node: String, counter: UInt64)] = [:]
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private var stage = Stage.forming
    /// Whether the run has seen a child notice its dead host (narrated once).
    private var sawFailover = false
    /// Whether the run has seen the successor over its fan-out after healing (narrated once).
    private var sawOverfull = false
    private let interrupted = InterruptFlag()
    private var signalSources: [any DispatchSourceSignal] = []

    package init(_ options: Options) throws {
        self.options = options
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("zinc-cluster-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        executable = URL(fileURLWithPath: options.nodeExecutable).resolvingSymlinksInPath().path
        processes = (0..<options.nodes).map { index in
            NodeProcess(
                name: "n\(index)", publish: "tcp://127.0.0.1:\(options.basePort + 2 * index)",
                admin: "ipc://\(FileManager.default.temporaryDirectory.path)/zinc-cluster-\(getpid())/n\(index).admin",
                logPath: "\(FileManager.default.temporaryDirectory.path)/zinc-cluster-\(getpid())/n\(index).log")
        }
        summary.nodes = options.nodes
        summary.fanout = options.fanout
        summary.edits = options.edits
    }

    package func removeLogs() { try? FileManager.default.removeItem(atPath: directory) }

    private var elapsed: Double { (ContinuousClock.now - started).inSeconds }

    // MARK: - The run

    package func execute() -> ClusterSummary {
        installSignalHandlers()
        do {
            try startNodes()
            try waitForTree()
            try demo()
        } catch {
            summary.error = "\(error)"
            note("stopped: \(error)")
        }
        for process in processes { process.stop() }
        summary.elapsedSeconds = elapsed
        return summary
    }

    private func installSignalHandlers() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [interrupted] in interrupted.raise() }
            source.resume()
            signalSources.append(source)
        }
    }

    private func checkInterrupted() throws {
        if interrupted.isRaised { throw ClusterError("interrupted") }
    }

    private func startNodes() throws {
        let root = processes[0]
        enter(.forming)
        note("starting \(options.nodes) nodes on 127.0.0.1:\(options.basePort)–\(options.basePort + 2 * options.nodes - 1); all join \(root.name), fan-out \(options.fanout)")
        try root.start(executable: executable, join: [], fanout: options.fanout, logLevel: options.nodeLogLevel, dataDirectory: dataDirectory(root), keyPath: options.keyPath)
        try waitForAdmin(root)
        for process in processes.dropFirst() {
            try process.start(executable: executable, join: [root.publish], fanout: options.fanout, logLevel: options.nodeLogLevel, dataDirectory: dataDirectory(process), keyPath: options.keyPath)
        }
    }

    /// Each node's store, inside the run's directory (so a restarted node brings its edits back).
    private func dataDirectory(_ process: NodeProcess) -> String? {
        options.persist ? "\(directory)/\(process.name).data" : nil
    }

    private func waitForAdmin(_ process: NodeProcess) throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            try checkInterrupted()
            if !process.isRunning { throw ClusterError("\(process.name) exited: \(process.lastLogLine)") }
            if (try? AdminClient(address: process.admin, timeout: .milliseconds(200), key: options.key).status()) != nil { return }
            usleep(20_000)
        }
        throw ClusterError("\(process.name) did not answer on \(process.admin) within 10 s")
    }

    private func waitForTree() throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            try checkInterrupted()
            for process in processes where !process.isRunning && process.killedAt == nil {
                throw ClusterError("\(process.name) exited: \(process.lastLogLine)")
            }
            poll()
            draw(phase: "forming the tree")
            if isHealed(processes) {
                summary.formationSeconds = elapsed
                summary.depth = statuses.values.map(\.depth).max() ?? 0
                let redirects = total(.redirects)
                note("tree formed: \(options.nodes) nodes, depth \(summary.depth); hosts redirected joiners \(redirects / 2) times to keep every fan-out ≤ \(options.fanout)")
                enter(.editing)
                draw(phase: "tree formed", force: true)
                return
            }
            usleep(100_000)
        }
        let missing = processes.filter { statuses[$0.name].map { $0.role != .root && !$0.link.isJoined } ?? true }.map(\.name)
        throw ClusterError("the tree did not form within 20 s (not attached: \(missing.joined(separator: ", ")))")
    }

    private func demo() throws {
        let root = processes[0]
        let demoStart = ContinuousClock.now
        let editSpan = options.duration * 0.8
        let initialTerm = statuses[root.name]?.term ?? 0
        var editsMade = 0
        var killAt = options.kill.map { demoStart + .milliseconds(Int64($0 * 1000)) }
        var restartAt: ContinuousClock.Instant?
        var killedAt: ContinuousClock.Instant?
        var lastPoll = ContinuousClock.now - .seconds(1)
        let end = demoStart + .milliseconds(Int64(options.duration * 1000))

        while ContinuousClock.now < end || editsMade < options.edits {
            try checkInterrupted()
            let now = ContinuousClock.now
            // Edits, paced evenly over 80% of the run.
            let due = min(options.edits, Int(Double(options.edits) * min(1, (now - demoStart).inSeconds / editSpan)) + 1)
            while editsMade < due {
                edit(number: editsMade)
                editsMade += 1
            }
            if let at = killAt, now >= at {
                killAt = nil
                let host = currentRoot() ?? root
                note("SIGKILL \(host.name), the root: its children stop hearing heartbeats and suspect it")
                host.crash()
                enter(.suspecting)
                killedReplicas = Set(madeByReplica.filter { $0.value.node == host.name }.map(\.key))
                statuses[host.name] = nil
                summary.killedHost = host.name
                killedAt = .now
                restartAt = options.restart.map { .now + .milliseconds(Int64($0 * 1000)) }
            }
            if let at = restartAt, now >= at, let killed = processes.first(where: { $0.name == summary.killedHost }) {
                restartAt = nil
                if let newRoot = currentRoot() {
                    note("restarting \(killed.name) with --join \(newRoot.name): an old host comes back as a client")
                    enter(.rejoining)
                    try? killed.start(executable: executable, join: [newRoot.publish], fanout: options.fanout, logLevel: options.nodeLogLevel, dataDirectory: dataDirectory(killed), keyPath: options.keyPath)
                }
            }
            if now - lastPoll >= .milliseconds(200) {
                lastPoll = now
                poll()
                if let killedAt, summary.promotionSeconds == nil, let newRoot = currentRoot(), let status = statuses[newRoot.name], status.term > initialTerm {
                    summary.promotionSeconds = (.now - killedAt).inSeconds
                    summary.newRoot = newRoot.name
                    summary.term = status.term
                    enter(.promoting)
                    note("\(newRoot.name) promoted to root under term \(status.term), \(String(format: "%.2f", summary.promotionSeconds ?? 0)) s after the kill; its siblings re-attach, repair by digest")
                }
                if let killedAt, summary.healSeconds == nil, summary.promotionSeconds != nil,
                   isHealed(processes.filter { $0.isRunning && $0.name != summary.killedHost })
                {
                    summary.healSeconds = (.now - killedAt).inSeconds
                    enter(.repairing)
                    note("tree healed \(String(format: "%.2f", summary.healSeconds ?? 0)) s after the kill: every surviving node is attached under \(summary.newRoot ?? "the new root")")
                }
                if let killedAt, summary.healSeconds != nil, summary.balancedSeconds == nil, let busiest = busiestHost() {
                    if busiest.children > options.fanout, !sawOverfull {
                        sawOverfull = true
                        note("\(busiest.name) hosts \(busiest.children) children, over its fan-out of \(options.fanout); the excess moves down once they settle")
                    } else if busiest.children <= options.fanout {
                        summary.balancedSeconds = (.now - killedAt).inSeconds
                        if sawOverfull {
                            let moves = total(.rebalances)
                            note("rebalanced \(String(format: "%.2f", summary.balancedSeconds ?? 0)) s after the kill: \(moves) child\(moves == 1 ? "" : "ren") moved down, every host within fan-out \(options.fanout)")
                        }
                    }
                }
                if killedAt != nil, !sawFailover, let child = processes.first(where: { statuses[$0.name]?.link == .failingOver }) {
                    sawFailover = true
                    if options.explain { note("\(child.name) declared its host dead and is failing over (term \(statuses[child.name]?.term ?? 0))") }
                }
                draw(phase: killedAt == nil ? "editing" : "editing after the kill")
            }
            if ContinuousClock.now >= end && editsMade >= options.edits { break }
            usleep(5_000)
        }
        enter(.converging)
        note("\(summary.acknowledgedEdits) edits applied; waiting for every live node to hold the same document")
        try settle(since: .now)
    }

    private func settle(since: ContinuousClock.Instant) throws {
        let deadline = ContinuousClock.now + .milliseconds(Int64(options.settleTimeout * 1000))
        while ContinuousClock.now < deadline {
            try checkInterrupted()
            poll()
            draw(phase: "converging")
            if checkConvergence() {
                summary.convergeSeconds = (.now - since).inSeconds
                enter(.converged)
                note("converged: \(summary.liveNodes) live nodes hold identical documents (sha256 \(summary.sha256?.prefix(16) ?? "")…)")
                draw(phase: "converged", force: true)
                try waitForBalance(until: deadline)
                return
            }
            usleep(100_000)
        }
        draw(phase: "did not converge", force: true)
    }

    /// After convergence: every host back within its fan-out (a successor moves the siblings it
    /// adopted beyond it once its children have settled, protocol §14).
    private func waitForBalance(until deadline: ContinuousClock.Instant) throws {
        while true {
            try checkInterrupted()
            if let busiest = busiestHost() {
                summary.maxChildren = busiest.children
                summary.rebalances = total(.rebalances)
                if busiest.children <= options.fanout && isHealed(processes.filter(\.isRunning)) {
                    summary.balanced = true
                    return
                }
            }
            guard ContinuousClock.now < deadline else {
                if let busiest = busiestHost() { note("\(busiest.name) still hosts \(busiest.children) children, over the fan-out of \(options.fanout)") }
                return
            }
            usleep(100_000)
            poll()
        }
    }

    /// A counter summed over every node that answered.
    private func total(_ counter: EndpointStatus.Counters.Name) -> UInt64 {
        statuses.values.reduce(0) { $0 + $1.counters[counter] }
    }

    /// The live node with the most children.
    private func busiestHost() -> (name: String, children: Int)? {
        processes.compactMap { process in statuses[process.name].map { (process.name, $0.children.count) } }.max { $0.1 < $1.1 }
    }

    /// True when every running node answered and they all hold the same version and content.
    private func checkConvergence() -> Bool {
        let live = processes.filter(\.isRunning)
        let documents = live.compactMap { statuses[$0.name]?.documents.first { $0.id == Self.document } }
        guard documents.count == live.count, let first = documents.first else { return false }
        guard documents.allSatisfy({ $0.sha256 == first.sha256 && $0.versionVector == first.versionVector && $0.pending == 0 }) else { return false }
        let roots = live.filter { statuses[$0.name]?.role == .root }
        guard roots.count == 1 else { return false }
        summary.converged = true
        summary.liveNodes = live.count
        summary.sha256 = first.sha256
        summary.length = first.length
        summary.depth = live.compactMap { statuses[$0.name]?.depth }.max() ?? 0
        summary.promotions = live.compactMap { statuses[$0.name]?.counters[.promotions] }.reduce(0, +)
        summary.merges = live.compactMap { statuses[$0.name]?.counters[.merges] }.reduce(0, +)
        if let killed = summary.killedHost, summary.restartedAsClient == nil || summary.restartedAsClient == false {
            if let status = statuses[killed] { summary.restartedAsClient = status.role != .root && status.link.isJoined }
        }
        // Lost: acknowledged at a node that is still alive, but not in the converged version.
        summary.lostOperations = 0
        summary.survivingOperations = 0
        summary.killedHostOperations = 0
        summary.killedHostOperationsKept = 0
        for (replica, made) in madeByReplica {
            let present = ReplicaID(replica).map { first.versionVector[$0] } ?? 0
            let survived = processes.first { $0.name == made.node }?.isRunning ?? false
            if survived && !killedReplicas.contains(replica) {
                summary.survivingOperations += made.counter
                summary.lostOperations += made.counter > present ? made.counter - present : 0
            } else {
                summary.killedHostOperations += made.counter
                summary.killedHostOperationsKept += min(present, made.counter)
            }
        }
        return true
    }

    private var currentReplica: [String: String] = [:]
    /// The replicas the killed host edited as before it died.
    private var killedReplicas: Set<String> = []

    /// One root, and every node of `group` attached to a parent that lists it as a child.
    private func isHealed(_ group: [NodeProcess]) -> Bool {
        let byID = Dictionary(statuses.values.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        guard statuses.values.filter({ $0.role == .root }).count == 1 else { return false }
        return group.allSatisfy { process in
            guard let status = statuses[process.name] else { return false }
            if status.role == .root { return true }
            guard status.link.isJoined, let parent = status.parent else { return false }
            return byID[parent]?.children.contains(status.id) ?? false
        }
    }

    private func currentRoot() -> NodeProcess? {
        processes.first { $0.isRunning && statuses[$0.name]?.role == .root }
    }

    // MARK: - Talking to the nodes

    private func poll() {
        for process in processes {
            guard process.isRunning else {
                statuses[process.name] = nil
                continue
            }
            statuses[process.name] = try? AdminClient(address: process.admin, timeout: .milliseconds(300), key: options.key).status()
        }
    }

    private func edit(number: Int) {
        let live = processes.filter { $0.isRunning }
        guard !live.isEmpty else { return }
        let process = live[Int.random(in: 0..<live.count, using: &random)]
        let length = statuses[process.name]?.documents.first { $0.id == Self.document }?.length ?? 0
        let word = "\(process.name)·\(number) "
        let position = length == 0 ? 0 : Int.random(in: 0...length, using: &random)
        let client = AdminClient(address: process.admin, timeout: .milliseconds(500), key: options.key)
        var reply = try? client.send(.insert(word, at: position, in: Self.document))
        if reply == nil { reply = try? client.send(.insert(word, at: 0, in: Self.document)) }
        guard let result = reply?.edit else {
            summary.failedEdits += 1
            return
        }
        summary.acknowledgedEdits += 1
        currentReplica[process.name] = result.replica
        let counter = result.versionVector[result.replica] ?? 0
        if counter > madeByReplica[result.replica]?.counter ?? 0 { madeByReplica[result.replica] = (process.name, counter) }
    }

    // MARK: - Display

    /// Moves to `next`; with `explain`, plain output prints the stage's explanation once.
    private func enter(_ next: Stage) {
        stage = next
        guard options.explain, options.display == .plain else { return }
        print("\n── \(next.title) ──")
        for line in next.explanation(fanout: options.fanout) { print("   " + line) }
        print("")
        fflush(nil)
    }

    private func note(_ text: String) {
        let line = String(format: "%6.2fs  ", elapsed) + text
        events.append(line)
        if options.display == .plain { print(line); fflush(nil) }
    }

    private func draw(phase: String, force: Bool = false) {
        let reference = currentRoot().flatMap { statuses[$0.name]?.documents.first { $0.id == Self.document }?.sha256 }
        let entries = processes.map { process in
            TreeView.Entry(name: process.name, status: statuses[process.name], killed: process.killedAt != nil && !process.isRunning)
        }
        switch options.display {
        case .quiet:
            return
        case .plain:
            guard force else { return }
            for line in TreeView.render(entries, document: Self.document, referenceDigest: reference) { print("          " + line) }
            fflush(nil)
        case .live:
            guard force || ContinuousClock.now - lastDraw >= .milliseconds(200) else { return }
            lastDraw = .now
            var screen = ["\(options.title) — \(options.nodes) nodes, fan-out \(options.fanout), document \"\(Self.document)\"   t=\(String(format: "%.1f", elapsed))s   edits \(summary.acknowledgedEdits)/\(options.edits)   \(phase)", ""]
            screen += TreeView.render(entries, document: Self.document, referenceDigest: reference)
            screen += ["", "✓ = same content as the root; … = still catching up", ""]
            if options.explain {
                screen += ["── \(stage.title) " + String(repeating: "─", count: max(0, 78 - stage.title.count))]
                screen += stage.explanation(fanout: options.fanout).map { "  " + $0 }
                screen.append("")
            }
            screen += events.suffix(options.explain ? 7 : 10)
            print("\u{1B}[H" + screen.map { $0 + "\u{1B}[K" }.joined(separator: "\n") + "\n\u{1B}[J", terminator: "")
            fflush(nil)
        }
    }
}

/// Set from a signal handler's queue, read by the run loop.
final class InterruptFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func raise() { value.store(true, ordering: .relaxed) }
    var isRaised: Bool { value.load(ordering: .relaxed) }
}
