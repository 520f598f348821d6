import Testing
@testable import ZincCore
@testable import ZincProtocol
@testable import ZincSimulator

@Suite("Flow window")
struct FlowWindowTests {
    let a = ReplicaID(deterministicFrom: "a")
    let b = ReplicaID(deterministicFrom: "b")

    @Test("the lag counts local deltas above the slowest child's last report, in messages")
    func lagInMessages() {
        var flow = FlowWindow()
        flow.sent(total: 10)
        #expect(flow.lag == 0, "nothing is remembered while no child reports")
        flow.reported(a, total: 0)
        flow.reported(b, total: 0)
        // Deltas of different sizes: the window counts messages, not operations.
        for total: UInt64 in [1_024, 2_048, 2_049, 2_050, 10_000] { flow.sent(total: total) }
        #expect(flow.lag == 5)
        flow.reported(a, total: 2_049)
        #expect(flow.lag == 5, "b is the slowest")
        flow.reported(b, total: 2_048)
        #expect(flow.lag == 3)
        flow.forget(b)
        #expect(flow.lag == 2, "a child that left holds nothing back")
        flow.reported(a, total: 10_000)
        #expect(flow.lag == 0)
        flow.forget(a)
        flow.sent(total: 20_000)
        #expect(flow.lag == 0 && flow.reportingChildren == 0)
    }

    @Test("a child the source stopped waiting for holds it back again only once it reaches where the source was")
    func exemption() {
        var flow = FlowWindow()
        flow.reported(a, total: 0)
        flow.reported(b, total: 0)
        for total in 1...100 { flow.sent(total: UInt64(total)) }
        flow.reported(a, total: 100)
        #expect(flow.lag == 100)
        #expect(flow.exemptSlowest(total: 100) == [b])
        #expect(flow.lag == 0 && flow.reportingChildren == 1)
        for total in 101...150 { flow.sent(total: UInt64(total)) }
        flow.reported(b, total: 60)
        #expect(flow.reportingChildren == 1, "still catching up: ignored")
        flow.reported(b, total: 120)
        #expect(flow.reportingChildren == 2)
        #expect(flow.lag == 50, "a reported 100: the slowest again")
    }

    @Test("memory stays bounded by the capacity, whatever the children do")
    func bounded() {
        var flow = FlowWindow(capacity: 64)
        flow.reported(a, total: 0)
        for total in 1...1_000 { flow.sent(total: UInt64(total)) }
        #expect(flow.lag == 64)
    }

    @Test("random reports, sends and departures agree with a direct count (ZINC_SEED replays one)")
    func randomAgainstModel() {
        for seed in simulationSeeds(50, base: 4_100) {
            randomRun(seed: seed)
        }
    }

    private func randomRun(seed: UInt64) {
        var random = SimulationRandom(seed: seed)
        var flow = FlowWindow()
        var sentTotals: [UInt64] = []
        var reports: [ReplicaID: UInt64] = [:]
        let children = (0..<4).map { ReplicaID(deterministicFrom: "child \($0)") }
        var total: UInt64 = 0
        for _ in 0..<500 {
            switch random.int(0..<10) {
            case 0..<6:
                total += UInt64(random.int(1..<2_000))
                flow.sent(total: total)
                if !reports.isEmpty { sentTotals.append(total) }
            case 6..<9:
                let child = children[random.int(0..<children.count)]
                let held = min(total, (reports[child] ?? 0) + UInt64(random.int(0..<5_000)))
                flow.reported(child, total: held)
                reports[child] = held
            default:
                let child = children[random.int(0..<children.count)]
                flow.forget(child)
                reports[child] = nil
                if reports.isEmpty { sentTotals.removeAll() }
            }
            let slowest = reports.values.min()
            // Deltas every reporting child held are forgotten (a later joiner counts from the rest).
            if let slowest { sentTotals.removeAll { $0 <= slowest } }
            let expected = slowest.map { s in sentTotals.filter { $0 > s }.count } ?? 0
            #expect(flow.lag == expected, "seed \(seed)")
        }
    }
}
