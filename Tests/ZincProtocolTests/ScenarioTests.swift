import Testing
@testable import ZincProtocol
@testable import ZincSimulator

/// The integration scenarios of the tree-sync issue, on the pure core alone (the same ones run
/// over real sockets in ZincTests).
@Suite("Tree scenarios on the pure core", .timeLimit(.minutes(3)))
struct ScenarioTests {
    func run(_ configure: @escaping @Sendable (inout SimulationConfiguration) -> Void, seeds: [UInt64]) async {
        let results = await simulate(seeds) { configuration in
            configuration.faults = .none
            configure(&configuration)
        }
        for result in results {
            #expect(result.passed, "\(result.summary) — replay with ZINC_SEED=\(result.seed)")
        }
    }

    @Test("one host and five clients editing concurrently end identical")
    func hostAndFiveClients() async {
        await run({ $0.nodes = 6; $0.fanout = 8; $0.editRate = 60 }, seeds: simulationSeeds(5, base: 100))
    }

    @Test("a three-level tree (1 + 3 + 9) converges")
    func threeLevels() async {
        await run({ $0.nodes = 13; $0.fanout = 3; $0.editRate = 40 }, seeds: simulationSeeds(4, base: 200))
    }

    @Test("a node joining after 10,000 edits gets the identical state")
    func lateJoiner() async {
        await run({
            $0.nodes = 4
            $0.documents = 1
            $0.duration = .seconds(12)
            $0.editRate = 900
            $0.lateJoinerAt = .seconds(11.5)
            $0.settle = .seconds(6)
        }, seeds: simulationSeeds(2, base: 300))
    }

    @Test("heavy loss and duplication (like tiny high-water marks) still converge")
    func heavyLoss() async {
        await run({
            $0.nodes = 8
            $0.faults.drop = 0.3
            $0.faults.duplicate = 0.1
            $0.faults.reorder = 0.2
        }, seeds: simulationSeeds(6, base: 400))
    }
}
