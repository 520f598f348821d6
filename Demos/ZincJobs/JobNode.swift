import Synchronization
import Zinc
import ZincCore
import ZincProtocol

/// The job logic of one node, over its Endpoint: receive jobs, process them or forward them
/// down, report the subtree's load up. Workers and the submitter both run one; only workers
/// process jobs.
final class JobNode: Sendable {
    struct Counters: Sendable {
        var received = 0
        var forwarded = 0
        var processed = 0
        /// Jobs already in the ledger as done when a slot took them: not run again.
        var skipped = 0
        var badMessages = 0
    }

    private struct State {
        var dispatcher: Dispatcher
        var queue: [Job] = []
        var running = 0
        /// Jobs with nowhere to go yet.
        var held: [Job] = []
        var submitter: ReplicaID?
        var leaving = false
        var counters = Counters()
        /// Liveness of workers, as heard by the submitter.
        var lastAlive: [String: ContinuousClock.Instant] = [:]
        var random = SystemRandomNumberGenerator()
    }

    let endpoint: Endpoint
    let ledger: DocumentHandle
    let name: String
    private let state: Mutex<State>

    init(endpoint: Endpoint, ledger: DocumentHandle, name: String, isWorker: Bool, slots: Int) {
        self.endpoint = endpoint
        self.ledger = ledger
        self.name = name
        state = Mutex(State(dispatcher: Dispatcher(isWorker: isWorker, slots: slots)))
    }

    var counters: Counters { state.withLock { $0.counters } }
    var queued: Int { state.withLock { $0.queue.count + $0.running } }
    var childCount: Int { state.withLock { $0.dispatcher.children.count } }

    /// The last time each worker said it was alive (submitter only).
    var lastAlive: [String: ContinuousClock.Instant] { state.withLock { $0.lastAlive } }

    // MARK: - Routing

    /// Decides where `job` goes; `forward` sends it to a child. Returns false if it is held.
    @discardableResult
    func route(_ job: Job, forward: (ReplicaID, [UInt8]) -> Void) -> Bool {
        let decision = state.withLock { state -> Dispatcher.Decision in
            state.submitter = job.submitter
            // A leaving worker takes no new work while it has somewhere else to put it.
            let own = state.leaving ? Int.max / 4 : state.queue.count + state.running
            let decision = state.dispatcher.decide(ownQueued: own, using: &state.random)
            switch decision {
            case .process: state.queue.append(job)
            case .forward: state.counters.forwarded += 1
            case .hold: state.held.append(job)
            }
            return decision
        }
        if case .forward(let child) = decision { forward(child, job.encoded()) }
        return decision != .hold
    }

    func received(_ message: Message, context: MessageContext) {
        switch message.channel {
        case Channel.jobs:
            guard let job = Job(decoding: message.body) else { return countBad() }
            state.withLock { $0.counters.received += 1 }
            route(job) { child, body in context.send(channel: Channel.jobs, routing: .node(child), body: body) }
        case Channel.load:
            guard let report = LoadReport(decoding: message.body) else { return countBad() }
            state.withLock { $0.dispatcher.report(report, from: message.origin, now: .now) }
        case Channel.alive:
            guard message.body.count <= 64 else { return countBad() }
            let worker = String(decoding: message.body, as: UTF8.self)
            state.withLock { $0.lastAlive[worker] = .now }
        default:
            break
        }
    }

    private func countBad() { state.withLock { $0.counters.badMessages += 1 } }

    // MARK: - Periodic work

    /// Every interval: forget silent children, report the subtree's load up, retry held jobs,
    /// and (workers) tell the submitter this worker is alive.
    func tick(isWorker: Bool) async {
        let (report, held, submitter) = state.withLock { state in
            state.dispatcher.expire(now: .now)
            var report = state.dispatcher.subtreeReport(ownQueued: state.queue.count + state.running)
            if state.leaving { report.workers = 0 }
            let held = state.held
            state.held = []
            return (report, held, state.submitter)
        }
        try? await endpoint.send(channel: Channel.load, routing: .up, body: report.encoded())
        for job in held {
            var sends: [(ReplicaID, [UInt8])] = []
            route(job) { sends.append(($0, $1)) }
            for (child, body) in sends { try? await endpoint.send(channel: Channel.jobs, routing: .node(child), body: body) }
        }
        if isWorker, let submitter {
            try? await endpoint.send(channel: Channel.alive, routing: .node(submitter), body: Array(name.utf8))
        }
    }

    /// Sends a job from this node (the submitter's entry point).
    func submit(_ job: Job) async {
        var sends: [(ReplicaID, [UInt8])] = []
        route(job) { sends.append(($0, $1)) }
        for (child, body) in sends { try? await endpoint.send(channel: Channel.jobs, routing: .node(child), body: body) }
    }

    // MARK: - Working

    /// One worker slot: takes jobs from the queue until cancelled. A job already done (per this
    /// node's replica of the ledger) is skipped; otherwise it is claimed, run, and recorded.
    func runSlot() async {
        let name = self.name
        while !Task.isCancelled {
            let next = state.withLock { state -> Job? in
                guard !state.queue.isEmpty else { return nil }
                state.running += 1
                return state.queue.removeFirst()
            }
            guard let job = next else {
                try? await Task.sleep(for: .milliseconds(5))
                continue
            }
            let key = job.key
            let claimed = try? await ledger.edit { document -> Bool in
                guard Ledger.finisher(of: key, in: document) == nil else { return false }
                try document.set(key, to: .string(name), in: Ledger.claims)
                return true
            }
            if claimed == true {
                try? await Task.sleep(for: .milliseconds(Int(job.costMilliseconds)))
                _ = try? await ledger.edit { document in
                    try document.set(key, to: .string(name), in: Ledger.done)
                    try document.increment(Ledger.executions(name))
                }
                state.withLock { $0.counters.processed += 1 }
            } else {
                state.withLock { $0.counters.skipped += 1 }
            }
            state.withLock { $0.running -= 1 }
        }
    }

    /// Stops taking work (the parent sees zero workers here and routes around it) and waits up
    /// to `limit` for the queue to drain.
    func drain(limit: Duration) async {
        state.withLock { $0.leaving = true }
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline, queued > 0 {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// Delivers the demo's channels to its node.
struct JobHandler: MessageHandler {
    let node: JobNode
    var channels: Set<String> { [Channel.jobs, Channel.load, Channel.alive] }
    func handle(_ message: Message, context: MessageContext) { node.received(message, context: context) }
}
