import ArgumentParser
import Dispatch
import Foundation
import Glibc
import Logging
import Zinc
import ZincCore
import ZincProtocol

/// `zinc-jobs worker`: one worker node of the demo (the demo starts these; you can too).
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run one worker: join the tree, process or forward jobs, report load."
    )

    @Option(help: "The PUB address of a node to join (repeatable).") var join: [String] = []
    @Option(help: "Where this worker hosts its own clients.") var bind = "tcp://127.0.0.1:*"
    @Option(help: "The worker's name (in the ledger and on screen).") var name: String
    @Option(help: "Jobs this worker runs at once.") var slots = 2
    @Option(help: "Children this worker hosts before redirecting joiners.") var fanout = 3
    @Option(help: "Serve the admin interface here.") var admin: String?
    @Option(help: "Exit when this process is gone (the demo passes its own).") var parentPid: Int32?

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        var configuration = EndpointConfiguration(id: ReplicaID(deterministicFrom: "zinc-jobs/\(name)/\(getpid())"))
        configuration.name = name
        configuration.bind = bind
        configuration.join = join
        configuration.admin = admin
        configuration.fanout = fanout
        configuration.interest = .documents([Ledger.document])
        let endpoint: Endpoint
        do { endpoint = try Endpoint(configuration) } catch { throw ValidationError("\(error)") }
        let ledger = try await endpoint.document(Ledger.document)
        let node = JobNode(endpoint: endpoint, ledger: ledger, name: name, isWorker: true, slots: slots)
        try await endpoint.register(JobHandler(node: node))

        let stop = StopSignal()
        let slotTasks = (0..<max(1, slots)).map { _ in Task { await node.runSlot() } }
        let ticker = Task {
            while !Task.isCancelled {
                await node.tick(isWorker: true)
                if let parentPid, kill(parentPid, 0) != 0 { stop.raise() }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        await stop.wait()
        // A clean leave: route new work elsewhere, finish what is queued, then leave the tree.
        await node.drain(limit: .seconds(3))
        ticker.cancel()
        slotTasks.forEach { $0.cancel() }
        await endpoint.shutdown()
    }
}

/// Completes when SIGINT or SIGTERM arrives, or when `raise()` is called.
final class StopSignal: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    // Kept only to keep the sources alive; never touched after init.
    nonisolated(unsafe) private let sources: [any DispatchSourceSignal]

    init() {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        self.stream = stream
        self.continuation = continuation
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield() }
            source.resume()
            return source
        }
    }

    func raise() { continuation.yield() }

    func wait() async {
        for await _ in stream { return }
    }
}
