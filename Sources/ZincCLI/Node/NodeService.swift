import Foundation
import Glibc
import Logging
import ServiceLifecycle
import Zinc

/// Runs one endpoint as a service: it serves until a graceful shutdown (SIGINT or SIGTERM),
/// then leaves the tree cleanly, telling its parent and children, before the process exits.
struct NodeService: Service {
    let endpoint: Endpoint
    let logger: Logger
    /// Exit when this process disappears (a `zinc cluster` that was killed), so no node outlives it.
    let watchedParent: Int32?

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Returns at SIGINT/SIGTERM (or when the group is cancelled).
                try? await gracefulShutdown()
            }
            if let watchedParent {
                group.addTask {
                    while !Task.isCancelled, getppid() == watchedParent {
                        try? await Task.sleep(for: .milliseconds(200))
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
        logger.info("leaving the tree")
        await endpoint.shutdown()
    }
}
