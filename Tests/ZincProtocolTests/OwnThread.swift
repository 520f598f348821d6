import Foundation
@testable import ZincSimulator

/// Runs CPU-heavy work on a thread of its own, so a long simulation does not occupy the
/// cooperative pool that socket tests (with their time limits) are waiting to run on.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: body()) }
        thread.stackSize = 16 << 20
        thread.start()
    }
}

/// Runs each seed's simulation off the cooperative pool and returns the results in order.
func simulate(_ seeds: [UInt64], _ configure: @escaping @Sendable (inout SimulationConfiguration) -> Void) async -> [SimulationResult] {
    await onOwnThread {
        seeds.map { seed in
            var configuration = SimulationConfiguration(seed: seed)
            configure(&configuration)
            return Simulator.run(configuration)
        }
    }
}
