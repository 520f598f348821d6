import Testing
@testable import ZincCore
@testable import ZincProtocol
@testable import ZincSimulator

/// An idle node sleeps until its machine's next deadline (``NodeMachine/nextDeadline(now:)``):
/// the deadline must never be later than the first tick that would act.
@Suite("Deadlines", .timeLimit(.minutes(5)))
struct DeadlineTests {
    @Test("a detector's deadline is where its status changes, for random heartbeat histories")
    func detectorDeadlines() {
        var random = SimulationRandom(seed: 17)
        for _ in 0..<500 {
            var detector = FailureDetector(now: .zero)
            var now = Duration.zero
            for _ in 0..<random.int(0..<80) {
                now += random.duration(.milliseconds(20), .milliseconds(400))
                detector.heartbeat(at: now)
            }
            let suspect = detector.deadline(reaching: .suspect)
            let dead = detector.deadline(reaching: .dead)
            #expect(suspect <= dead)
            #expect(detector.status(at: suspect) != .alive)
            #expect(detector.status(at: suspect - .milliseconds(1)) == .alive)
            #expect(detector.status(at: dead) == .dead)
            #expect(detector.status(at: dead - .milliseconds(1)) != .dead)
        }
    }

    @Test("a closed connection brings the dead deadline forward to the grace period")
    func disconnectDeadline() {
        var detector = FailureDetector(now: .zero)
        for beat in 1...20 { detector.heartbeat(at: .milliseconds(100 * beat)) }
        detector.noteDisconnect(at: .milliseconds(2_050))
        let dead = detector.deadline(reaching: .dead)
        #expect(dead == .milliseconds(2_350))
        #expect(detector.status(at: dead) == .dead)
        #expect(detector.status(at: dead - .milliseconds(1)) != .dead)
    }

    @Test("an idle root sleeps until its next heartbeat, and a tick before it does nothing")
    func idleRoot() {
        var configuration = NodeConfiguration(id: ReplicaID(deterministicFrom: "idle root"), endpoints: Endpoints(publish: "tcp://127.0.0.1:7000", pull: "tcp://127.0.0.1:7001"))
        configuration.heartbeatInterval = .milliseconds(100)
        var machine = NodeMachine(configuration: configuration)
        _ = machine.start(now: .zero)
        _ = machine.tick(now: .milliseconds(100))
        #expect(machine.nextDeadline(now: .milliseconds(100)) == .milliseconds(200))
        #expect(machine.tick(now: .milliseconds(150)).isEmpty)
        #expect(machine.nextDeadline(now: .milliseconds(150)) == .milliseconds(200))
    }

    @Test("ticks at the fixed cadence never act before the deadline the machine gave", arguments: [false, true])
    func audit(trimming: Bool) async {
        let results = await simulate(simulationSeeds(12, base: trimming ? 70_000 : 60_000)) { configuration in
            configuration.nodes = 8
            configuration.trimming = trimming
            configuration.auditDeadlines = true
        }
        for result in results {
            #expect(result.passed, "\(result.summary) — replay with zinc simulate --audit-deadlines\(trimming ? " --trimming" : "") --seed \(result.seed)")
        }
    }
}

@Suite("Failure detection presets")
struct FailureDetectionPresetTests {
    @Test("after steady 100 ms heartbeats, a 1 s silence is death on a LAN and only suspicion-free jitter on a WAN")
    func lanAndWan() {
        var lan = FailureDetector(settings: .init(), now: .zero)
        var wan = FailureDetector(settings: .wan, now: .zero)
        for beat in 1...50 {
            lan.heartbeat(at: .milliseconds(100 * beat))
            wan.heartbeat(at: .milliseconds(100 * beat))
        }
        let silence = Duration.milliseconds(5_000 + 1_000)
        #expect(lan.status(at: silence) == .dead)
        #expect(wan.status(at: silence) == .alive)
        // Both still declare a peer dead in the end: the WAN preset within a few seconds.
        #expect(lan.deadline(reaching: .dead) < .milliseconds(5_000 + 700))
        #expect(wan.deadline(reaching: .dead) > .milliseconds(5_000 + 1_100))
        #expect(wan.deadline(reaching: .dead) < .milliseconds(5_000 + 4_000))
    }
}
