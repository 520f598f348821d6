import Foundation
import Synchronization
import Testing
@testable import Zinc
import ZincCore
import ZincProtocol

/// Waits until `condition` holds, checking every 20 ms, for at most `timeout`.
func eventually(_ timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// A tree of endpoints for a test, shut down at the end.
final class TestTree: @unchecked Sendable {
    // @unchecked: only used from one test task.
    var nodes: [Endpoint] = []

    func host(_ bind: String = "tcp://127.0.0.1:*", join: [String] = [], fanout: Int = 8, interest: Interest = .all, name: String? = nil, configure: (inout EndpointConfiguration) -> Void = { _ in }) throws -> Endpoint {
        var configuration = EndpointConfiguration(id: name.map { ReplicaID(deterministicFrom: $0) } ?? .random())
        configuration.bind = bind
        configuration.join = join
        configuration.fanout = fanout
        configuration.interest = interest
        configure(&configuration)
        let endpoint = try Endpoint(configuration)
        nodes.append(endpoint)
        return endpoint
    }

    func shutdown() async {
        for node in nodes.reversed() { await node.shutdown() }
        nodes.removeAll()
    }

    /// True when every node holds `document` with the same version and content.
    func converged(_ document: String, expectedOperations: UInt64? = nil) async throws -> Bool {
        var reference: (VersionVector, String)?
        for node in nodes {
            let handle = DocumentHandle(id: document, endpoint: node)
            guard let snapshot = try? await handle.snapshot() else { return false }
            let state = (snapshot.versionVector, snapshot.canonicalContent())
            if let expectedOperations, state.0.totalOperations != expectedOperations { return false }
            if let reference, reference != state { return false }
            reference = state
        }
        return true
    }
}
