import ArgumentParser
import Foundation
import Synchronization
import ZeroMQ
import ZincSimulator

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run the protocol on simulated trees over a faulty network, with virtual time.",
        discussion: """
        Each seed runs --nodes nodes of the real protocol core with random edits while the
        network drops, duplicates, reorders and delays messages, nodes crash and restart, and
        partitions open and heal. Afterwards it checks that every live node holds identical
        documents, no edit that reached a survivor was lost, there is exactly one root, the
        tree has no cycle and no orphan, and no host whose children have settled is over its
        fan-out. A failing seed is printed; replay it with --seed.

        Examples:
          zinc simulate --seeds 1000
          zinc simulate --seeds 10000 --nodes 50
          zinc simulate --seed 1234 --verbose
        """
    )

    @Option(help: "Run this one seed.") var seed: UInt64?
    @Option(help: "Run this many seeds (from --first).") var seeds = 100
    @Option(help: "The first seed of a range.") var first: UInt64 = 1
    @Option(help: "Nodes per run.") var nodes = 8
    @Option(help: "Children per host before redirecting.") var fanout = 3
    @Option(help: "How many of the nodes are clients that cannot host a subtree.") var clients = 0
    @Option(help: "Browsers joining through WebSocket gateways, beyond --nodes (each knows two gateways).") var browsers = 0
    @Flag(help: "Certify every node (one authority) and apply the access rules on every link.") var certified = false
    @Option(help: "With certificates: how many of the clients are readers of the first document only.") var readers = 0
    @Flag(help: "Give every node node 0 as its only seed (default: every other node).") var singleSeed = false
    @Flag(help: "Give nodes no seeds: they find each other by UDP discovery on one simulated segment.") var discovery = false
    @Flag(help: "Add one-way cuts to the faults (about 1.5 a run): one group of nodes cannot send to another, a third reaches both.") var oneWayCuts = false
    @Flag(help: "Nodes batch where their peers accept packed frames (docs/protocol.md §4); every eighth node (from n2) is of a version that cannot read them, and every eighth (from n4) has batching off.") var batching = false
    @Flag(help: "Every node trims its documents' history every half second, as far as the whole tree holds.") var trimming = false
    @Flag(help: "Run every node's timers every 25 ms and fail a run in which a tick before the node's own deadline does anything (checks that idle nodes may sleep).") var auditDeadlines = false
    @Option(help: "Documents per run.") var documents = 2
    @Option(help: "Virtual seconds of faults and edits.") var duration = 12.0
    @Option(help: "Virtual seconds to heal and converge afterwards.") var settle = 12.0
    @Option(help: "Edits per virtual second.") var editRate = 15.0
    @Option(help: "Fault mix: standard or none.") var faults = "standard"
    @Option(help: "Parallel workers (default: one per core).") var jobs: Int?
    @Flag(help: "Print each run's event log (use with --seed).") var verbose = false
    @Flag(help: "Print one JSON object.") var json = false
    @Flag(help: "Report progress on stderr every 1 % of the seeds (for long runs).") var progress = false

    func validate() throws {
        guard nodes >= 2 && nodes <= 500 else { throw ValidationError("--nodes must be between 2 and 500") }
        guard fanout >= 1 else { throw ValidationError("--fanout must be at least 1") }
        guard clients >= 0 && clients < nodes else { throw ValidationError("--clients must be between 0 and --nodes - 1") }
        guard browsers >= 0 && browsers <= 1000 else { throw ValidationError("--browsers must be between 0 and 1000") }
        guard readers >= 0 && readers <= clients else { throw ValidationError("--readers must be between 0 and --clients (readers never host)") }
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1") }
        guard ["standard", "none"].contains(faults) else { throw ValidationError("--faults must be standard or none") }
        guard duration > 0 && settle > 0 else { throw ValidationError("--duration and --settle must be positive") }
    }

    func configuration(seed: UInt64) -> SimulationConfiguration {
        var configuration = SimulationConfiguration(seed: seed)
        configuration.nodes = nodes
        configuration.fanout = fanout
        configuration.clients = clients
        configuration.browsers = browsers
        configuration.certified = certified
        configuration.batching = batching
        configuration.readers = readers
        configuration.singleSeed = singleSeed
        configuration.discovery = discovery
        configuration.trimming = trimming
        configuration.auditDeadlines = auditDeadlines
        configuration.documents = documents
        configuration.duration = .milliseconds(Int64(duration * 1000))
        configuration.settle = .milliseconds(Int64(settle * 1000))
        configuration.editRate = editRate
        configuration.faults = faults == "none" ? .none : .standard
        if oneWayCuts { configuration.faults.oneWayCuts = 1.5 }
        return configuration
    }

    func run() throws {
        let list: [UInt64] = seed.map { [$0] } ?? (0..<UInt64(seeds)).map { first + $0 }
        let clock = ContinuousClock()
        let start = clock.now
        let workers = max(1, min(jobs ?? ProcessInfo.processInfo.activeProcessorCount, list.count))
        let next = Atomic<Int>(0)
        let results = Mutex<[SimulationResult]>([])
        let verbose = self.verbose
        let threads = (0..<workers).map { worker in
            IOThread(name: "simulate-\(worker)") { [self] in
                while true {
                    let index = next.add(1, ordering: .relaxed).oldValue
                    guard index < list.count else { return }
                    let result = Simulator.run(configuration(seed: list[index]), log: verbose ? { print($0) } : nil)
                    if !result.passed && !json { print(result.summary) }
                    let done = results.withLock { results in
                        results.append(result)
                        return results.count
                    }
                    if progress, done % max(1, list.count / 100) == 0 {
                        let failures = results.withLock { $0.lazy.filter { !$0.passed }.count }
                        FileHandle.standardError.write(Data("\(done)/\(list.count) seeds run, \(failures) failed, \(Int((clock.now - start).components.seconds)) s\n".utf8))
                    }
                }
            }
        }
        threads.forEach { $0.join() }
        let elapsed = clock.now - start
        let all = results.withLock { $0 }.sorted { $0.seed < $1.seed }
        let failed = all.filter { !$0.passed }
        if json {
            var object: [String: Any] = [
                "seeds": all.count, "failed": failed.map(\.seed), "seconds": Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                "nodes": nodes, "crashes": all.reduce(0) { $0 + $1.crashes }, "promotions": all.reduce(0) { $0 + $1.promotions },
                "partitions": all.reduce(0) { $0 + $1.partitions }, "edits": all.reduce(0) { $0 + $1.edits },
                "merges": all.reduce(0) { $0 + $1.merges }, "rebalances": all.reduce(0) { $0 + $1.rebalances },
                "trims": all.reduce(0) { $0 + $1.trims }, "statesMerged": all.reduce(0) { $0 + $1.statesMerged },
                "oneWayCutsEnded": all.reduce(0) { $0 + $1.oneWayCutsEnded }, "oneWayCutsWhole": all.reduce(0) { $0 + $1.oneWayCutsWhole },
                "deliveries": all.reduce(0) { $0 + $1.deliveries }, "dropped": all.reduce(0) { $0 + $1.dropped },
                "controlFaults": all.reduce(0) { $0 + $1.controlFaults },
            ]
            if certified || readers > 0 {
                object["accessRefused"] = all.reduce(0) { $0 + $1.accessRefused }
                object["subscriptionsRefused"] = all.reduce(0) { $0 + $1.subscriptionsRefused }
                object["keptOnlyByReaders"] = all.reduce(0) { $0 + $1.keptOnlyByReaders }
                object["claimsRefused"] = all.reduce(0) { $0 + $1.claimsRefused }
            }
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            if list.count == 1, let only = all.first { print(only.summary) }
            print("\(all.count - failed.count)/\(all.count) seeds passed in \(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1)))) (\(nodes) nodes; \(all.reduce(0) { $0 + $1.crashes }) crashes, \(all.reduce(0) { $0 + $1.restarts }) restarts, \(all.reduce(0) { $0 + $1.partitions }) partitions, \(all.reduce(0) { $0 + $1.promotions }) promotions, \(all.reduce(0) { $0 + $1.merges }) merges, \(all.reduce(0) { $0 + $1.rebalances }) rebalances, \(all.reduce(0) { $0 + $1.controlFaults }) control-plane faults, \(all.reduce(0) { $0 + $1.edits }) edits" + (oneWayCuts ? ", one tree at the end of \(all.reduce(0) { $0 + $1.oneWayCutsWhole }) of \(all.reduce(0) { $0 + $1.oneWayCutsEnded }) one-way cuts" : "")
                + (certified || readers > 0 ? ", \(all.reduce(0) { $0 + $1.claimsRefused }) replica claims refused" : "")
                + (trimming ? ", \(all.reduce(0) { $0 + $1.trims }) trims, \(all.reduce(0) { $0 + $1.statesMerged }) states merged)" : ")"))
            if !failed.isEmpty { print("failing seeds: \(failed.map { String($0.seed) }.joined(separator: " "))") }
        }
        if !failed.isEmpty { throw ExitCode(1) }
    }
}
